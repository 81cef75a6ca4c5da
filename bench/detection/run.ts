// Detection benchmark: how long from a failure to the alert arriving at (a fake) Telegram, at
// default settings (grace 5 s; checks every 10 s, confirmed after 1 s, 2 failures to open).
//   node bench/detection/run.ts [--trials 20] [--parallel 2]
// (a) an agent process is killed with SIGKILL; (b) a TCP port its check watches is closed.
// Each trial fails at a random moment in the agent's cycle. Prints median and p95 per case.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';
import { FakeTelegramServer } from '../../test/fakes/telegram-server.ts';
import { AgentProcess } from '../../test/support/agent-process.ts';
import { startCollectorProcess } from '../../test/support/collector-process.ts';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '20' }, parallel: { type: 'string', default: '2' } },
});
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

async function run(label: string, trial: (i: number) => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let start = 0; start < trials; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, trials - start) }, (_, k) => trial(start + k));
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

try {
  const crash = await run('host crash', hostCrash);
  const service = await run('service down', serviceDown);
  console.log(`\n| case | trials | median s | p95 s | max s | target p95 |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  console.log(
    `| agent killed (host down) | ${crash.length} | ${s(pct(crash, 50))} | ${s(pct(crash, 95))} | ${s(Math.max(...crash))} | ≤ 7 s |`,
  );
  console.log(
    `| checked TCP port closed (service down) | ${service.length} | ${s(pct(service, 50))} | ${s(pct(service, 95))} | ${s(Math.max(...service))} | ≤ 12 s |`,
  );
} finally {
  await Promise.all(agents.map((a) => a.stop()));
  for (const server of servers) server.close();
  await collector.stop('SIGTERM');
  await telegram.close();
}
