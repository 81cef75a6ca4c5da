// Fan-out benchmark: how long a job takes from the create call until every host's result is
// committed, against a collector child process.
//   1. `uptime` to N simulated agents (protocol clients in worker processes that answer
//      job.start with one job.output and a job.end at once);
//   2. `uptime` to M real agent processes;
//   3. seed 2's scenario: an activity running `sleep 3` on S real agents at once: the job's wall
//      time against the slowest host's own duration.
// Each scenario runs several times; the job time is create call → the SSE `end` event, and every
// host's commit latency is its run's `endedAt` (collector clock) − the wall time of the create call.
//   node bench/fanout/run.ts [--agents 1000] [--real 50] [--seed2 20] [--runs 5] [--workers 4]
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../packages/collector/src/cli/api-client.ts';
import { SseParser } from '../../packages/collector/src/cli/sse.ts';
import { AgentProcess, testConfig } from '../../test/support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from '../../test/support/collector-process.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    real: { type: 'string', default: '50' },
    seed2: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    workers: { type: 'string', default: '4' },
  },
});
const AGENTS = Number(values.agents);
const REAL = Number(values.real);
const SEED2 = Number(values.seed2);
const RUNS = Number(values.runs);
const WORKERS = Number(values.workers);
const workerFile = fileURLToPath(new URL('./agents.ts', import.meta.url));

interface RunRow {
  host: string;
  state: string;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
}
interface Job {
  id: number;
  state: string;
  runs: RunRow[];
}
interface Timed {
  jobMs: number;
  hostMs: number[];
  slowestHostMs: number;
  states: Record<string, number>;
}

const pct = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const median = (values: readonly number[]) => pct(values, 50);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Adds hosts through the API, 20 requests at a time; returns their agent tokens in order. */
async function addHosts(api: ApiClient, prefix: string, n: number): Promise<string[]> {
  const tokens: string[] = new Array(n);
  for (let i = 0; i < n; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
        const body = await api.call<{ token: string }>('POST', '/hosts', { name: `${prefix}-${i + k}` });
        tokens[i + k] = body.token;
      }),
    );
  }
  return tokens;
}

/** Waits until the preview of `activity` on `targets` finds `n` hosts ready. */
async function waitReady(api: ApiClient, activity: string, targets: unknown, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const preview = await api.call<{ hosts: unknown[]; skipped: unknown[] }>('POST', '/jobs/preview', {
      activity,
      targets,
    });
    if (preview.hosts.length === n) return;
    if (Date.now() > deadline)
      throw new Error(`only ${preview.hosts.length} of ${n} hosts ready for ${activity} after 120 s`);
    await sleep(250);
  }
}

/** One job: create → SSE `end`, then every run's commit time from GET /jobs/:id. */
async function timeJob(api: ApiClient, activity: string, targets: unknown): Promise<Timed> {
  const wall0 = Date.now();
  const t0 = performance.now();
  const created = await api.call<Job>('POST', '/jobs', { activity, targets });
  const controller = new AbortController();
  const parser = new SseParser();
  let ended = false;
  while (!ended) {
    for await (const event of api.events(`/jobs/${created.id}/events`, parser, controller.signal)) {
      if (event.event === 'end') {
        ended = true;
        break;
      }
    }
  }
  const jobMs = performance.now() - t0;
  controller.abort();
  const job = await api.call<Job>('GET', `/jobs/${created.id}`);
  const states: Record<string, number> = {};
  for (const r of job.runs) states[r.state] = (states[r.state] ?? 0) + 1;
  return {
    jobMs,
    hostMs: job.runs.map((r) => (r.endedAt ?? Number.NaN) - wall0),
    slowestHostMs: Math.max(...job.runs.map((r) => r.durationMs ?? 0)),
    states,
  };
}

async function scenario(
  title: string,
  api: ApiClient,
  activity: string,
  targets: unknown,
  n: number,
): Promise<Timed[]> {
  await waitReady(api, activity, targets, n);
  await timeJob(api, activity, targets); // warm-up, not counted
  const runs: Timed[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timeJob(api, activity, targets));
  const jobs = runs.map((r) => r.jobMs);
  const hosts = runs.flatMap((r) => r.hostMs);
  const states = runs.map((r) =>
    Object.entries(r.states)
      .map(([s, c]) => `${c} ${s}`)
      .join(', '),
  );
  // The machine may be shared: the load says how much of it the benchmark had.
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  console.log(`\n${title}: ${RUNS} runs after one warm-up; load average ${load} (1 / 5 / 15 min)`);
  console.log(
    '| hosts | job p50 ms | job p95 ms | job max ms | host result p50 ms | host result p95 ms | results |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---|');
  console.log(
    `| ${n} | ${median(jobs).toFixed(0)} | ${pct(jobs, 95).toFixed(0)} | ${Math.max(...jobs).toFixed(0)} | ${median(hosts).toFixed(0)} | ${pct(hosts, 95).toFixed(0)} | ${[...new Set(states)].join(' / ')} |`,
  );
  return runs;
}

async function simulated(collector: CollectorProcess, api: ApiClient): Promise<void> {
  const tokens = await addHosts(api, 'sim', AGENTS);
  const per = Math.ceil(AGENTS / WORKERS);
  const workers: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const slice = tokens.slice(w * per, (w + 1) * per);
    const child = spawn(process.execPath, [workerFile, collector.wsUrl, JSON.stringify(slice)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    workers.push(child);
    ready.push(
      new Promise((resolve, reject) => {
        child.stdout?.on('data', (c: Buffer) => {
          if (c.toString().startsWith('ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`agent worker exited ${code}`)));
      }),
    );
  }
  await Promise.all(ready);
  await scenario(
    `uptime to ${AGENTS} simulated agents (${WORKERS} worker processes)`,
    api,
    'uptime',
    { hosts: ['sim-*'] },
    AGENTS,
  );
  for (const child of workers) child.stdin?.end();
  await Promise.all(workers.map((c) => new Promise((resolve) => c.once('exit', resolve))));
}

async function real(collector: CollectorProcess, api: ApiClient): Promise<void> {
  const n = Math.max(REAL, SEED2);
  const tokens = await addHosts(api, 'real', n);
  await api.call('POST', '/activities', {
    name: 'sleep-3',
    description: 'sleeps 3 s (seed 2 scenario)',
    action: 'sleep3',
  });
  const agents = tokens.map(
    (token) =>
      new AgentProcess(
        {
          ...testConfig([collector.wsUrl]),
          token,
          interval: '5s',
          actions: {
            allow: ['uptime', 'sleep3'],
            maxConcurrent: 2,
            custom: [{ name: 'sleep3', argv: ['sleep', '3'] }],
          },
        },
        { PANTAU_LOG_LEVEL: 'warn' },
      ),
  );
  try {
    if (REAL > 0) {
      const names = Array.from({ length: REAL }, (_, i) => `real-${i}`);
      await scenario(`uptime to ${REAL} real agent processes`, api, 'uptime', { hosts: names }, REAL);
    }
    if (SEED2 > 0) {
      const names = Array.from({ length: SEED2 }, (_, i) => `real-${i}`);
      const runs = await scenario(
        `seed 2: sleep 3 on ${SEED2} real agents at once`,
        api,
        'sleep-3',
        { hosts: names },
        SEED2,
      );
      console.log('\n| run | job wall ms | slowest host ms | overhead ms |');
      console.log('|---:|---:|---:|---:|');
      runs.forEach((r, i) => {
        console.log(
          `| ${i + 1} | ${r.jobMs.toFixed(0)} | ${r.slowestHostMs} | ${(r.jobMs - r.slowestHostMs).toFixed(0)} |`,
        );
      });
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
}

console.log(`fan-out benchmark on ${process.platform}, Node ${process.version}`);
for (const part of [simulated, real]) {
  if (part === simulated && AGENTS === 0) continue;
  if (part === real && REAL === 0 && SEED2 === 0) continue;
  const collector = await startCollectorProcess();
  const api = new ApiClient(collector.url, collector.adminToken);
  try {
    await part(collector, api);
  } finally {
    await collector.stop('SIGTERM');
    rmSync(collector.dataDir, { recursive: true, force: true });
  }
}
