// docs/deploy.md's compose steps, run as written on a real engine, line by line: the exports, `up
// -d --build`, the console login from the collector's log, then (once lb-host reports both
// backends, as the page says to wait) `stop backend-1` (the alert arrives and repeats) and `start
// backend-1` (the recovery). A reader fills in the bot token (the
// fake Bot API's) and, where the engine's socket is not Docker's default, its path; the test adds
// only what the page names, PANTAU_TELEGRAM_API_ROOT (the fake, on the engine's gateway) and
// PANTAU_DOCKER_SOCKET. Debian ships docker-compose v1, which the page says the file is valid for:
// a `docker` stand-in plays `docker compose` with it. The page's ports and project name are used
// as they are, so the test refuses to run where they are taken.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeTelegramServer } from './fakes/telegram-server.ts';
import { describeDocker, docker, engineSocket } from './support/docker.ts';
import { Api } from './support/e2e.ts';
import { shellBlocks } from './support/markdown.ts';
import { until } from './support/until.ts';

const ROOT = join(import.meta.dirname, '..');
const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
const CHAT = '123456789';

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, () => server.close(() => resolve(true)));
  });
}

describeDocker("docs/deploy.md's compose steps, run as written", () => {
  const h = mkdtempSync(join(tmpdir(), 'pantau-compose-doc-'));
  let telegram: FakeTelegramServer;
  let lines: string[] = [];
  let env: NodeJS.ProcessEnv = {};

  const bash = (script: string) =>
    new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'bash',
        ['-e', '-o', 'pipefail', '-c', script],
        { cwd: ROOT, env, timeout: 900_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
      ),
    );
  const exports = () => lines.filter((l) => l.startsWith('export ')).join('\n');
  const step = (verb: string) => {
    const line = lines.find((l) => l.includes(` ${verb} `) || l.includes(` ${verb}\t`));
    if (!line) throw new Error(`no "${verb}" step in the page's block`);
    return bash(`${exports()}\n${line}`);
  };
  const alerts = (part: string) =>
    telegram
      .callsOf('sendMessage', { ok: true })
      .filter((c) => String(c.body.chat_id) === CHAT && String(c.body.text).includes(part));

  beforeAll(async () => {
    const taken = [];
    for (const port of [8000, 8080, 8081, 8090]) if (!(await portFree(port))) taken.push(port);
    if (taken.length > 0)
      throw new Error(`the page's ports are in use here, left alone: ${taken.join(', ')}`);
    const blocks = shellBlocks(doc, "### Seed 1's scenario with compose");
    expect(blocks).toHaveLength(1);
    let block = blocks[0]!;
    for (const placeholder of ['123456:ABC...', '/var/run/docker.sock']) expect(block).toContain(placeholder);
    telegram = await FakeTelegramServer.start({ host: '0.0.0.0' });
    block = block.replace('123456:ABC...', telegram.token).replace('/var/run/docker.sock', engineSocket());
    lines = block.split('\n').filter((l) => l.trim() !== '');
    mkdirSync(join(h, 'bin'));
    const real = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(h, 'bin', 'docker'),
      `#!/bin/sh\n# docker compose, played by Debian's docker-compose v1.\nif [ "$1" = compose ]; then shift; exec docker-compose "$@"; fi\nexec ${real} "$@"\n`,
    );
    chmodSync(join(h, 'bin', 'docker'), 0o755);
    const gateway = (
      await docker(['network', 'inspect', 'bridge', '-f', '{{(index .IPAM.Config 0).Gateway}}'])
    ).trim();
    env = {
      ...process.env,
      PATH: `${h}/bin:${process.env.PATH}`,
      PANTAU_TELEGRAM_API_ROOT: `http://${gateway}:${new URL(telegram.url).port}`,
      PANTAU_DOCKER_SOCKET: engineSocket(),
    };
  }, 60_000);

  afterAll(async () => {
    await bash('docker-compose -p pantau-demo -f deploy/compose.yaml down -v --timeout 5').catch(
      () => undefined,
    );
    await telegram?.close();
    rmSync(h, { recursive: true, force: true });
  }, 120_000);

  it('up prints the console login; stopping backend-1 alerts and repeats; starting it recovers', async () => {
    // Everything before the first `stop`: the exports, up, and the login from the log.
    const first = lines.findIndex((l) => l.includes(' stop '));
    const setup = await bash(lines.slice(0, first).join('\n'));
    expect(setup.code, setup.out.slice(-4000)).toBe(0);
    expect(setup.out).toMatch(/pantau:\s+login:\s+admin/);
    await until('the bot polling the fake Bot API', () => telegram.callsOf('getUpdates').length > 0, 60_000);
    // As a reader would, wait until the agent has reported both backends running.
    const api = new Api('http://127.0.0.1:8090', /API token:\s+(\S+)/.exec(setup.out)?.[1] ?? '');
    await until(
      'lb-host online with both backends running',
      async () => {
        const hosts = await api.get<{ items: { id: number; name: string; status: string }[] }>('/hosts');
        const host = hosts.items.find((x) => x.name === 'lb-host' && x.status === 'online');
        if (!host) return false;
        const { data } = await api.get<{ data: { name: string; state: string }[] }>(
          `/hosts/${host.id}/containers`,
        );
        return ['backend-1', 'backend-2'].every((b) =>
          data.some((c) => c.name.includes(b) && c.state === 'running'),
        );
      },
      120_000,
    );

    const stop = await step('stop');
    expect(stop.code, stop.out).toBe(0);
    await until('the backend-1 alert in the chat', () => alerts('backend-1').length > 0, 60_000);
    await until(
      'its reminder (every 10 s)',
      () => alerts('reminder').some((m) => String(m.body.text).includes('backend-1')),
      30_000,
    );

    const start = await step('start');
    expect(start.code, start.out).toBe(0);
    await until(
      'the recovery',
      () => alerts('Recovered: ').some((m) => String(m.body.text).includes('backend-1')),
      60_000,
    );
  }, 600_000);
});
