// Both images built and run on a real engine: the collector serves the console, the installer
// and both agent executables, turns healthy and prints its first admin's login once; the agent
// is healthy only while connected, reads containers through the socket with the socket's group,
// and reports the host's memory through /host/proc.
import { statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildImage,
  describeDocker,
  docker,
  engineSocket,
  healthOf,
  publishedPort,
  removeContainers,
  uniqueName,
} from './support/docker.ts';
import { Api } from './support/e2e.ts';
import { until } from './support/until.ts';

describeDocker('container images on a Docker engine', () => {
  const network = uniqueName('pantau-img-net');
  const collector = uniqueName('pantau-img-collector');
  const agent = uniqueName('pantau-img-agent');
  let collectorImage = '';
  let agentImage = '';
  let url = '';

  beforeAll(async () => {
    [collectorImage, agentImage] = await Promise.all([buildImage('collector'), buildImage('agent')]);
    await docker(['network', 'create', network]);
    // The image's own HEALTHCHECK command, run every second instead of every 30 s.
    await docker([
      'run',
      '-d',
      '--name',
      collector,
      '--network',
      network,
      '-p',
      '127.0.0.1::8080',
      '--health-interval',
      '1s',
      '--health-start-period',
      '60s',
      collectorImage,
    ]);
    url = `http://127.0.0.1:${await publishedPort(collector, 8080)}`;
  }, 900_000);

  afterAll(async () => {
    await removeContainers(collector, agent);
    await docker(['network', 'rm', network]).catch(() => undefined);
  });

  it('the collector serves the console, the installer and both agents, and turns healthy', async () => {
    const page = await until(
      'the console at /',
      async () => {
        const res = await fetch(`${url}/`);
        return res.status === 200 ? res.text() : undefined;
      },
      60_000,
    );
    expect(page).toMatch(/<!doctype html>/i);
    expect((await fetch(`${url}/install/agent.sh`)).status).toBe(200);
    for (const arch of ['x64', 'arm64']) {
      const res = await fetch(`${url}/install/pantau-agent-linux-${arch}`, { method: 'HEAD' });
      expect([arch, res.status]).toEqual([arch, 200]);
    }
    expect(
      await until('a healthy collector', async () => (await healthOf(collector)) === 'healthy', 60_000),
    ).toBe(true);
  }, 120_000);

  it("prints the first admin's login once, and it works", async () => {
    const logs = await docker(['logs', collector]);
    const token = /API token: (\S+)/.exec(logs)?.[1];
    const password = /password: +(\S+)/.exec(logs)?.[1];
    expect(token).toBeDefined();
    expect(password).toBeDefined();
    const me = await new Api(url, token as string).get<{ name: string; role: string }>('/auth/whoami');
    expect(me).toMatchObject({ name: 'admin', role: 'admin' });
    const login = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password }),
    });
    expect(login.status).toBe(200);
    // A restart with the same volume makes no second admin and prints no secret.
    await docker(['restart', '-t', '5', collector]);
    url = `http://127.0.0.1:${await publishedPort(collector, 8080)}`; // a new random port
    await until('the collector back', async () => (await fetch(`${url}/readyz`)).ok, 60_000);
    expect((await docker(['logs', collector])).match(/API token:/g)?.length).toBe(1);
  }, 120_000);

  it('the collector image holds no dev dependencies or build tools', async () => {
    const out = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      collectorImage,
      '-c',
      'ls node_modules/.pnpm | grep -E "^(vitest|typescript|vite|@biomejs|esbuild)@" ; for t in gcc make python3 g++ pnpm; do command -v $t; done; true',
    ]);
    expect(out.trim()).toBe('');
    const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', collectorImage])).trim());
    console.log(`image sizes: collector ${(size / 1e6).toFixed(0)} MB`);
    // 705 MB in 2026-12: the two agent executables (240 MB) and their .gz copies (90 MB) are most of it.
    expect(size).toBeLessThan(750e6);
  });

  it("the pruned tree still draws the bot's PNG charts (ECharts, resvg, the DejaVu font)", async () => {
    const script = [
      "const { renderChartPng } = await import('/opt/pantau/collector/dist/charts/render.js');",
      "const png = renderChartPng({ title: 'cpu', subtitle: 'img', unit: '%', from: 0, to: 60000,",
      "  lines: [{ name: 'cpu', ts: [0, 30000, 60000], values: [1, 50, 20] }] });",
      'console.log(png.subarray(1, 4).toString(), png.length);',
    ].join('\n');
    const out = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'node',
      collectorImage,
      '--input-type=module',
      '-e',
      script,
    ]);
    const [magic, size] = out.trim().split(' ');
    expect(magic).toBe('PNG');
    expect(Number(size)).toBeGreaterThan(5_000);
  }, 60_000);

  it('the agent is healthy only while connected to the collector', async () => {
    const token = (
      await docker([
        'exec',
        collector,
        'node',
        'bin/pantau-collector.js',
        'hosts',
        'add',
        `img-${process.pid}`,
      ])
    ).trim();
    expect(token).toMatch(/^\S+$/);
    await docker([
      'run',
      '-d',
      '--name',
      agent,
      '--network',
      network,
      '--health-interval',
      '1s',
      '-e',
      `PANTAU_COLLECTOR_URL=ws://${collector}:8080/agent`,
      '-e',
      `PANTAU_TOKEN=${token}`,
      '-e',
      'PANTAU_INSECURE=1',
      agentImage,
    ]);
    await until('a healthy agent', async () => (await healthOf(agent)) === 'healthy', 60_000);
    await docker(['stop', '-t', '5', collector]);
    await until('an unhealthy agent', async () => (await healthOf(agent)) === 'unhealthy', 30_000);
    const status = ['exec', agent, 'sh', '-c', 'node /opt/pantau/pantau-agent.cjs status; echo "exit $?"'];
    expect(await docker(status)).toMatch(/^not connected \(last: ws:.*\) for \d+ s\nexit 1\n$/);
    await docker(['start', collector]);
    await until('the agent healthy again', async () => (await healthOf(agent)) === 'healthy', 60_000);
    expect(await docker(status)).toMatch(/^connected to ws:.* for \d+ s\nexit 0\n$/);
  }, 180_000);

  it("the agent reads containers with the socket's group, and says what is missing without it", async () => {
    const socket = engineSocket();
    const gid = String(statSync(socket).gid);
    const once = (extra: string[]) =>
      docker(['run', '--rm', '-v', `${socket}:/var/run/docker.sock`, ...extra, agentImage, 'once']).then(
        (out) => JSON.parse(out) as { containers?: { name: string }[]; errors?: { message: string }[] },
      );
    const withGroup = await once(['--group-add', gid]);
    expect(withGroup.containers?.map((c) => c.name)).toContain(collector);
    const without = await once([]);
    expect(without.containers).toBeUndefined();
    expect(without.errors?.map((e) => e.message).join('\n')).toMatch(/EACCES.*--group-add/);
  }, 60_000);

  it("reports the host's memory through /host/proc", async () => {
    const out = await docker([
      'run',
      '--rm',
      '-v',
      '/proc:/host/proc:ro',
      '-v',
      '/sys:/host/sys:ro',
      '-e',
      'PANTAU_PROC_ROOT=/host/proc',
      '-e',
      'PANTAU_SYS_ROOT=/host/sys',
      '--memory',
      '256m',
      agentImage,
      'once',
    ]);
    const snapshot = JSON.parse(out) as { memory: { total: number } };
    expect(snapshot.memory.total).toBe(totalmem());
  }, 60_000);
});
