// Agent footprint: CPU seconds per minute and peak RSS of pantau-agent streaming to a collector,
// next to Debian's prometheus-node-exporter scraped at the same interval, in the same run.
//
//   node bench/agent-footprint/run.ts [--runs 3] [--seconds 60] [--interval 5s]
//       [--from installed|checkout|bundle|executable] [--config default|production]
//       [--node-flags="--flag ..."] [--env NAME=VALUE,...] [--program FILE]
//
// --from installed (default) runs the compiled JavaScript laid out as npm installs it, with the
// Node flags of the shipped systemd unit; --from checkout runs the TypeScript sources of this
// checkout through Node's type stripping (what `pnpm start` does), same flags; --from bundle runs
// the single-file bundle with the unit's flags; --from executable the single executable (its
// flags are built in). --config production adds what a real install runs: wss:// (TLS, trusted
// through caFile) and three HTTP checks every 10 s (two backends and a balancer).
// --node-flags adds Node flags to the agent's (through NODE_OPTIONS for the executable) and --env
// sets environment variables for it, to try a change before shipping it. --program FILE runs a
// prebuilt bundle (with --from bundle) or executable (with --from executable) instead of building
// one, or an installed layout's bin (with --from installed), to compare two builds in one window.
// Both processes are measured the same way: utime + stime from /proc/PID/stat over the window
// (after a warm-up) and VmHWM from /proc/PID/status at the end; for the agent also how its RSS
// at the end splits into anonymous memory (heaps) and file pages (the mapped Node binary).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { parseDuration } from '@pantau/shared';
import { buildBundle, buildExecutable } from '../../packages/agent/scripts/build.ts';
import { nodeFlags } from '../../packages/agent/src/install.ts';
import { FakeCollector } from '../../test/support/fake-collector.ts';
import { makePki } from '../../test/support/tls.ts';
import { installedLayout } from './layout.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '5s' },
    warmup: { type: 'string', default: '10' },
    from: { type: 'string', default: 'installed' },
    config: { type: 'string', default: 'default' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    program: { type: 'string' },
  },
});
const PRODUCTION = values.config === 'production';
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const INTERVAL_MS = parseDuration(values.interval);
const CLOCK_TICKS = 100;
const EXTRA_FLAGS = values['node-flags'].split(' ').filter(Boolean);
const NODE_FLAGS = [...nodeFlags(values.from === 'checkout'), ...EXTRA_FLAGS];
const EXTRA_ENV = Object.fromEntries(
  values.env
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const LAYOUT = mkdtempSync(join(tmpdir(), 'pantau-bench-layout-'));
/** The command line that starts the agent, before `run --config FILE`. */
async function agentCommand(): Promise<string[]> {
  switch (values.from) {
    case 'checkout':
      return [
        process.execPath,
        ...NODE_FLAGS,
        join(import.meta.dirname, '..', '..', 'packages', 'agent', 'bin', 'pantau-agent.js'),
      ];
    case 'bundle':
      return [process.execPath, ...NODE_FLAGS, values.program ?? (await buildBundle(LAYOUT))];
    case 'executable':
      return [values.program ?? (await buildExecutable(await buildBundle(LAYOUT), LAYOUT))];
    default:
      return [process.execPath, ...NODE_FLAGS, values.program ?? (await installedLayout(LAYOUT))];
  }
}
const AGENT = await agentCommand();
const EXPORTER = 'prometheus-node-exporter';

interface Figures {
  cpuSecondsPerMinute: number;
  peakRssMb: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** A field of /proc/PID/status in MB (VmHWM: peak RSS; RssAnon, RssFile: RSS now, split). */
function statusMb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function scrape(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve(bytes));
    }).on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function oneRun(
  run: number,
): Promise<{ agent: Figures; exporter: Figures; snapshots: number; scrapes: number }> {
  const collector = new FakeCollector({ token: 'bench-token' });
  await collector.start();
  const dir = mkdtempSync(join(tmpdir(), 'pantau-bench-'));
  const config = join(dir, 'agent.yaml');
  const production = PRODUCTION ? await productionParts(dir, collector.port) : undefined;
  // The default config, as an installed agent runs it, apart from where the collector is; the
  // production config adds TLS and the three HTTP checks of seed 1.
  writeFileSync(
    config,
    JSON.stringify({
      collector: production ? { urls: [production.url], caFile: production.ca } : { urls: [collector.url] },
      token: 'bench-token',
      interval: values.interval,
      ...(production ? { checks: production.checks } : {}),
    }),
  );
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
  // Node flags as in the shipped systemd unit.
  const env =
    values.from === 'executable' && EXTRA_FLAGS.length > 0
      ? { ...clean, ...EXTRA_ENV, NODE_OPTIONS: EXTRA_FLAGS.join(' ') }
      : { ...clean, ...EXTRA_ENV };
  const agent = spawn(AGENT[0] as string, [...AGENT.slice(1), 'run', '--config', config], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const port = await freePort();
  const exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  let scrapes = 0;
  let scraping = true;
  const scraper = (async () => {
    await sleep(500);
    while (scraping) {
      await scrape(port).then(
        () => scrapes++,
        () => undefined,
      );
      await sleep(INTERVAL_MS);
    }
  })();
  try {
    await sleep(WARMUP * 1000);
    const a0 = cpuTicks(agent.pid as number);
    const e0 = cpuTicks(exporter.pid as number);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const minutes = (performance.now() - t0) / 60_000;
    const figures = (pid: number, ticks0: number): Figures => ({
      cpuSecondsPerMinute: (cpuTicks(pid) - ticks0) / CLOCK_TICKS / minutes,
      peakRssMb: peakRssMb(pid),
    });
    const anon = statusMb(agent.pid as number, 'RssAnon');
    const file = statusMb(agent.pid as number, 'RssFile');
    const result = {
      agent: figures(agent.pid as number, a0),
      exporter: figures(exporter.pid as number, e0),
      snapshots: collector.stored.length,
      scrapes,
    };
    console.log(
      `run ${run}: agent ${result.agent.cpuSecondsPerMinute.toFixed(3)} CPU s/min, ${result.agent.peakRssMb.toFixed(1)} MB peak RSS (now ${anon.toFixed(1)} anon + ${file.toFixed(1)} file), ${result.snapshots} snapshots | ` +
        `node_exporter ${result.exporter.cpuSecondsPerMinute.toFixed(3)} CPU s/min, ${result.exporter.peakRssMb.toFixed(1)} MB peak RSS, ${scrapes} scrapes`,
    );
    return result;
  } finally {
    scraping = false;
    await scraper;
    await stop(agent);
    await stop(exporter);
    await collector.stop();
    await production?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the production config needs around the fake collector: a TLS front (a test CA made with
 * openssl; the agent trusts it through caFile) and three small HTTP backends for the checks.
 */
async function productionParts(dir: string, collectorPort: number) {
  const pki = makePki(dir, 'bench');
  const front = createTlsServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, (tls) => {
    const plain = connect(collectorPort, '127.0.0.1');
    tls.pipe(plain).pipe(tls);
    tls.on('error', () => plain.destroy());
    plain.on('error', () => tls.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const backends = await Promise.all(
    [0, 1, 2].map(async () => {
      const server = createHttpServer((_req, res) => res.end('ok\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  return {
    url: `wss://localhost:${port(front)}/agent`,
    ca: pki.ca,
    checks: backends.map((b, i) => ({
      name: ['backend-a', 'backend-b', 'balancer'][i],
      type: 'http',
      url: `http://127.0.0.1:${port(b)}/`,
    })),
    async stop() {
      for (const b of backends) b.close();
      front.close();
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

try {
  execFileSync(EXPORTER, ['--version'], { stdio: 'ignore' });
} catch {
  console.error(`${EXPORTER} not found; install it with: apt-get install prometheus-node-exporter`);
  process.exit(2);
}

console.log(
  `agent footprint (${values.from}, ${values.config} config, node ${NODE_FLAGS.join(' ')}${values.env ? `, env ${values.env}` : ''}): ${RUNS} runs, ${WARMUP} s warm-up + ${SECONDS} s measured, interval ${values.interval}, node ${process.version}`,
);
const results = [];
try {
  for (let i = 1; i <= RUNS; i++) results.push(await oneRun(i));
} finally {
  rmSync(LAYOUT, { recursive: true, force: true });
}
const agentCpu = median(results.map((r) => r.agent.cpuSecondsPerMinute));
const exporterCpu = median(results.map((r) => r.exporter.cpuSecondsPerMinute));
const agentRss = median(results.map((r) => r.agent.peakRssMb));
const exporterRss = median(results.map((r) => r.exporter.peakRssMb));
console.log('');
console.log('median              CPU s/min   peak RSS MB');
console.log(`pantau-agent        ${agentCpu.toFixed(3).padStart(9)}   ${agentRss.toFixed(1).padStart(11)}`);
console.log(
  `node_exporter       ${exporterCpu.toFixed(3).padStart(9)}   ${exporterRss.toFixed(1).padStart(11)}`,
);
console.log(
  `ratio agent/exporter ${(agentCpu / exporterCpu).toFixed(2).padStart(8)}   ${(agentRss / exporterRss).toFixed(2).padStart(11)}`,
);
