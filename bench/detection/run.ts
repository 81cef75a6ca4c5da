// Detection benchmark: how long from a failure to the alert arriving at (a fake) Telegram, at
// default settings (grace 5 s; checks every 10 s, confirmed after 1 s, 2 failures to open).
//   node bench/detection/run.ts [--trials 20] [--parallel 2] [--cases host,service,container]
// (a) an agent process is killed with SIGKILL; (b) a TCP port its check watches is closed;
// (c) a watched Docker container is stopped (`docker stop`), then started again: the alert and
// the recovery. Each trial fails at a random moment in the agent's cycle. Prints median and p95
// per case. The container case needs a Docker engine (DOCKER_HOST or the default socket).
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';
import { FakeTelegramServer } from '../../test/fakes/telegram-server.ts';
import { AgentProcess } from '../../test/support/agent-process.ts';
import { startCollectorProcess } from '../../test/support/collector-process.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '2' },
    cases: { type: 'string', default: 'host,service,container' },
  },
});
const cases = new Set(values.cases.split(','));
const trials = Number(values.trials);
const parallel = Number(values.parallel);

const telegram = await FakeTelegramServer.start();
const collector = await startCollectorProcess({
  env: {
    PANTAU_LOG_LEVEL: 'info',
    PANTAU_TELEGRAM_TOKEN: telegram.token,
    PANTAU_TELEGRAM_API_ROOT: telegram.url,
    PANTAU_NOTIFY_RECIPIENTS: JSON.stringify([{ name: 'ops', channel: 'telegram', address: '1001' }]),
  },
});
const agents: AgentProcess[] = [];
const servers: Server[] = [];

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${collector.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${collector.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Arrival time of the first message whose text contains `text`, sent after `since`. */
function arrival(text: string, since: number): number | undefined {
  return telegram
    .callsOf('sendMessage', { ok: true })
    .find((c) => c.at >= since && String(c.body.text).includes(text))?.at;
}

/** A host with a running agent (default settings but for the collector URL), online. */
async function hostWithAgent(
  name: string,
  checks: unknown[] = [],
): Promise<{ agent: AgentProcess; id: number }> {
  const { host, token } = await api<{ host: { id: number }; token: string }>('POST', '/hosts', { name });
  const agent = new AgentProcess(
    { collector: { urls: [collector.wsUrl] }, token, checks },
    { PANTAU_LOG_LEVEL: 'warn' },
  );
  agents.push(agent);
  await until(
    async () =>
      (await api<{ status: string }>('GET', `/hosts/${host.id}`)).status === 'online' ? true : undefined,
    20_000,
    `${name} online`,
  );
  return { agent, id: host.id };
}

/**
 * Silences a measured host: its reminders would otherwise queue behind Telegram's 1 message/s
 * per chat and delay the next trials' alerts, which all go to the same chat.
 */
async function quiet(hostId: number): Promise<void> {
  await api('POST', '/silences', { hostId, duration: '1h', reason: 'benchmark trial done' });
}

const jitter = (ms: number) => new Promise((r) => setTimeout(r, Math.random() * ms));

async function hostCrash(i: number): Promise<number> {
  const name = `crash-${i}`;
  const { agent, id } = await hostWithAgent(name);
  await jitter(5_000); // anywhere in the 5 s snapshot cycle
  const failedAt = Date.now();
  agent.child.kill('SIGKILL');
  const at = await until(() => arrival(`Host down on ${name}`, failedAt), 30_000, `${name} down message`);
  await quiet(id);
  return at - failedAt;
}

async function serviceDown(i: number): Promise<number> {
  const name = `svc-${i}`;
  const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const { id } = await hostWithAgent(name, [{ name: `backend-${i}`, type: 'tcp', host: '127.0.0.1', port }]);
  await jitter(10_000); // anywhere in the 10 s check cycle
  const failedAt = Date.now();
  server.close();
  const at = await until(
    () => arrival(`Service down: backend-${i} on ${name}`, failedAt),
    40_000,
    `${name} message`,
  ).catch(async (err: unknown) => {
    console.error(JSON.stringify(await api('GET', `/incidents?hostId=${id}`), null, 1));
    throw err;
  });
  await quiet(id);
  return at - failedAt;
}

const docker = (...args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile('docker', args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
const dockerSocket = process.env.DOCKER_HOST?.startsWith('unix://')
  ? process.env.DOCKER_HOST.slice('unix://'.length)
  : '/var/run/docker.sock';
let dockerHost: { id: number; name: string } | undefined;

/** A tiny HTTP server in the Node image; stops at once on SIGTERM. */
async function httpContainer(name: string): Promise<void> {
  const server = `const s=require('node:http').createServer((q,r)=>r.end('ok')).listen(8080);process.on('SIGTERM',()=>s.close(()=>process.exit(0)))`;
  await docker('run', '-d', '--name', name, 'node:24-bookworm-slim', 'node', '-e', server);
}

/**
 * Stop → alert (from issuing `docker stop`) and start → recovery (from the container running
 * again), in ms; the agent watches it by default.
 */
async function containerCycle(i: number): Promise<{ down: number; up: number }> {
  if (!dockerHost) {
    const name = 'docker-host';
    const { host, token } = await api<{ host: { id: number }; token: string }>('POST', '/hosts', { name });
    agents.push(
      new AgentProcess(
        { collector: { urls: [collector.wsUrl] }, token, docker: { socket: dockerSocket } },
        { PANTAU_LOG_LEVEL: 'info' },
      ),
    );
    dockerHost = { id: host.id, name };
  }
  const host = dockerHost;
  const container = `bench-${process.pid}-${i}`;
  containers.push(container);
  await httpContainer(container);
  await until(
    async () => {
      const { data } = await api<{ data: { name: string; state: string }[] }>(
        'GET',
        `/hosts/${host.id}/containers`,
      );
      return data.some((c) => c.name === container && c.state === 'running') ? true : undefined;
    },
    30_000,
    `${container} running`,
  );
  await jitter(5_000);
  const stoppedAt = Date.now();
  await docker('stop', '-t', '5', container);
  const down = await until(
    () => arrival(`Container: ${container} (stopped) on ${host.name}`, stoppedAt),
    30_000,
    `${container} stop message`,
  ).catch(async (err: unknown) => {
    await explain(host.id, container);
    throw err;
  });
  await jitter(2_000);
  // Recovery counts from the container running again: `docker start` returns once it is (the
  // message may even arrive before the command returns: that counts as 0).
  const issuedAt = Date.now();
  await docker('start', container);
  const startedAt = Date.now();
  const up = await until(
    () => arrival(`Recovered: ${container} (stopped) on ${host.name}`, issuedAt),
    30_000,
    `${container} recovery message`,
  ).catch(async (err: unknown) => {
    await explain(host.id, container);
    throw err;
  });
  await docker('rm', '-f', container);
  return { down: down - stoppedAt, up: Math.max(0, up - startedAt) };
}
const containers: string[] = [];
const containerRecoveries: number[] = [];

/** What the collector and the agent knew when a container trial timed out. */
async function explain(hostId: number, container: string): Promise<void> {
  const { data } = await api<{ data: { name: string }[] }>('GET', `/hosts/${hostId}/containers`);
  console.error(
    JSON.stringify(
      {
        container: data.filter((c) => c.name === container),
        incidents: await api('GET', `/incidents?hostId=${hostId}&limit=5`),
        messages: telegram
          .callsOf('sendMessage')
          .slice(-6)
          .map((c) => [c.at, c.status, String(c.body.text).slice(0, 120)]),
        agent: agents.at(-1)?.logs.slice(-20),
      },
      null,
      1,
    ),
  );
}

async function run(
  label: string,
  trial: (i: number) => Promise<number>,
  width = parallel,
): Promise<number[]> {
  const results: number[] = [];
  for (let start = 0; start < trials; start += width) {
    const batch = Array.from({ length: Math.min(width, trials - start) }, (_, k) => trial(start + k));
    results.push(...(await Promise.all(batch)));
    process.stderr.write(`${label}: ${results.length}/${trials}\n`);
  }
  return results;
}

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const s = (ms: number) => (ms / 1000).toFixed(2);

const row = (label: string, xs: number[], target: string) =>
  console.log(
    `| ${label} | ${xs.length} | ${s(pct(xs, 50))} | ${s(pct(xs, 95))} | ${s(Math.max(...xs))} | ${target} |`,
  );

try {
  const crash = cases.has('host') ? await run('host crash', hostCrash) : [];
  const service = cases.has('service') ? await run('service down', serviceDown) : [];
  // One at a time: every container's messages go to the one chat, about 1 message/s.
  const container = cases.has('container')
    ? await run(
        'container stop',
        async (i) => {
          const { down, up } = await containerCycle(i);
          containerRecoveries.push(up);
          return down;
        },
        1,
      )
    : [];
  console.log(`\n| case | trials | median s | p95 s | max s | target p95 |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  if (crash.length > 0) row('agent killed (host down)', crash, '≤ 7 s');
  if (service.length > 0) row('checked TCP port closed (service down)', service, '≤ 12 s');
  if (container.length > 0) {
    row('container stopped (docker stop → alert)', container, '≤ 2 s');
    row('container started (docker start → recovery)', containerRecoveries, '≤ 2 s');
  }
} finally {
  if (containers.length > 0) await docker('rm', '-f', ...containers).catch(() => undefined);
  await Promise.all(agents.map((a) => a.stop()));
  for (const server of servers) server.close();
  await collector.stop('SIGTERM');
  await telegram.close();
}
