// Seed 1's script on deploy/compose.yaml, brought up with docker-compose v1 on a real engine:
// stop backend 1 → the balancer still answers through backend 2 and the alert arrives and
// repeats; stop backend 2 too → both open and the balancer answers 502; start both → two
// recoveries. Only Telegram is fake; an override file points the collector at it (through the
// engine's gateway), shortens the reminders and moves the host ports to free ones.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeTelegramServer } from './fakes/telegram-server.ts';
import { freePort } from './support/collector-process.ts';
import { describeDocker, engineSocket, uniqueName } from './support/docker.ts';
import { Api } from './support/e2e.ts';
import { until } from './support/until.ts';

const ROOT = join(import.meta.dirname, '..');
const CHAT = 1001;

describeDocker('deploy/compose.yaml with docker-compose v1', () => {
  const project = uniqueName('pantau-demo').replace(/-/g, '');
  const dir = mkdtempSync(join(tmpdir(), 'pantau-compose-'));
  let telegram: FakeTelegramServer;
  let env: NodeJS.ProcessEnv = {};
  let ports = { backend1: 0, backend2: 0, balancer: 0, collector: 0 };
  let api: Api;

  const compose = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        'docker-compose',
        [
          '-p',
          project,
          '-f',
          join(ROOT, 'deploy', 'compose.yaml'),
          '-f',
          join(dir, 'override.yaml'),
          ...args,
        ],
        { env, timeout: 900_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`docker-compose ${args.join(' ')}: ${stderr}`)) : resolve(stdout + stderr),
      ),
    );
  const messages = (text: string, since = 0) =>
    telegram
      .callsOf('sendMessage', { ok: true })
      .filter((c) => c.at >= since && String(c.body.text).includes(text));
  const balancer = async () => {
    const res = await fetch(`http://127.0.0.1:${ports.balancer}/`);
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    telegram = await FakeTelegramServer.start({ host: '0.0.0.0' });
    ports = {
      backend1: await freePort(),
      backend2: await freePort(),
      balancer: await freePort(),
      collector: await freePort(),
    };
    writeFileSync(
      join(dir, 'agent.yaml'),
      `interval: 1s\ncadences: { checks: 1s }\nchecks:\n  - { name: balancer, type: http, url: "http://127.0.0.1:${ports.balancer}/", timeout: 2s }\n`,
    );
    const apiRoot = `http://host.docker.internal:${new URL(telegram.url).port}`;
    writeFileSync(
      join(dir, 'override.yaml'),
      [
        'version: "2.4"',
        'services:',
        '  collector:',
        '    extra_hosts: ["host.docker.internal:host-gateway"]',
        '    environment:',
        `      PANTAU_TELEGRAM_API_ROOT: ${apiRoot}`,
        `      PANTAU_MONITOR: '{"policy":{"repeat":"3s"}}'`,
        '  agent:',
        '    volumes:',
        `      - ${join(dir, 'agent.yaml')}:/etc/pantau/agent.yaml:ro`,
        '',
      ].join('\n'),
    );
    env = {
      PATH: process.env.PATH,
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
      PANTAU_TELEGRAM_TOKEN: telegram.token,
      PANTAU_TELEGRAM_CHAT: String(CHAT),
      PANTAU_DOCKER_GID: String(statSync(engineSocket()).gid),
      PANTAU_DOCKER_SOCKET: engineSocket(),
      PANTAU_DEMO_BACKEND_1: String(ports.backend1),
      PANTAU_DEMO_BACKEND_2: String(ports.backend2),
      PANTAU_DEMO_BALANCER: String(ports.balancer),
      PANTAU_DEMO_COLLECTOR: String(ports.collector),
    };
    // The documented steps: up, then the console login from the collector's log.
    await compose('up', '-d', '--build');
    const token = await until(
      "the first admin's API token in the collector's log",
      async () => /API token: (\S+)/.exec(await compose('logs', '--no-color', 'collector'))?.[1],
      60_000,
    );
    api = new Api(`http://127.0.0.1:${ports.collector}`, token);
    await until(
      'lb-host online with both backends running',
      async () => {
        const hosts = await api.get<{ items: { id: number; name: string; status: string }[] }>('/hosts');
        const host = hosts.items.find((h) => h.name === 'lb-host' && h.status === 'online');
        if (!host) return undefined;
        const { data } = await api.get<{ data: { name: string; state: string }[] }>(
          `/hosts/${host.id}/containers`,
        );
        return ['backend-1', 'backend-2'].every((b) =>
          data.some((c) => c.name.includes(`_${b}_`) && c.state === 'running'),
        );
      },
      120_000,
    );
    await until('the balancer answering', async () => (await balancer()).status === 200, 30_000);
  }, 1_200_000);

  afterAll(async () => {
    await compose('down', '-v', '--timeout', '5').catch(() => undefined);
    await telegram?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("follows seed 1's script: alerts, reminders, 502, two recoveries", async () => {
    const start = Date.now();
    await compose('stop', 'backend-1');
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await balancer();
      expect(res.status).toBe(200);
      answers.add(res.text.trim());
    }
    expect([...answers]).toEqual(['backend 2']);
    await until(
      'the backend-1 alert',
      () => messages(`_backend-1_1 (stopped) on lb-host`, start).length > 0,
      15_000,
    );
    await until(
      'a reminder for backend-1',
      () => messages('reminder', start).some((m) => String(m.body.text).includes('backend-1')),
      15_000,
    );

    await compose('stop', 'backend-2');
    await until(
      'the backend-2 alert',
      () => messages(`_backend-2_1 (stopped) on lb-host`, start).length > 0,
      15_000,
    );
    expect((await balancer()).status).toBe(502);
    const open = await api.get<{ items: { title: string }[] }>('/incidents?status=active&kind=container');
    expect(open.items.map((i) => i.title.replace(/^container \S+_(backend-\d)_1 .*$/, '$1')).sort()).toEqual([
      'backend-1',
      'backend-2',
    ]);

    await compose('start', 'backend-1', 'backend-2');
    await until(
      'two recoveries',
      () =>
        messages('Recovered: ', start).filter((m) => /_backend-[12]_1 \(stopped\)/.test(String(m.body.text)))
          .length === 2,
      20_000,
    );
    await until('the balancer answering again', async () => (await balancer()).status === 200, 20_000);
  }, 120_000);
});
