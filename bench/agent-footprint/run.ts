// Agent footprint: CPU seconds per minute, peak RSS, PSS and anonymous memory of pantau-agent
// streaming to a collector, next to the agents it is measured against, all in the same window:
// Debian's prometheus-node-exporter (scraped every interval), zabbix_agentd (21 passive items
// polled every interval) and collectd (Debian's default plugins at the same interval); see
// peers.ts. Every figure is also given as a ratio to node_exporter's in the same window.
//
//   node bench/agent-footprint/run.ts [--runs 3] [--seconds 60] [--interval 5s] [--warmup 10]
//       [--from installed,bundle,executable] [--peers node_exporter,zabbix,collectd]
//       [--config production|default] [--node-flags="--flag ..."] [--env NAME=VALUE,...]
//       [--program FILE]
//
// Each run starts every agent form named in --from and every peer at once, in an order that
// rotates from run to run (alternated runs), waits out the warm-up and measures the window.
// A form may name a prebuilt program, `--from bundle,bundle=OLD/pantau-agent.cjs`, to compare two
// builds in one window, and add Node flags of its own after `+`, `--from bundle,bundle+--jitless`,
// to compare flags in one window, and environment variables, `bundle+MALLOC_ARENA_MAX=1`. --from installed runs the compiled JavaScript laid out as npm installs it, with the Node flags
// of the shipped systemd unit; checkout the TypeScript sources of this checkout (what
// `pnpm start` does); bundle the single-file bundle with the unit's flags; executable the
// single executable (its flags are built in). --config production (the default) is what a real
// install runs: wss:// (TLS, trusted through caFile) and three HTTP checks every 10 s; default
// is the default config over ws:// and no checks. --node-flags adds Node flags to every agent
// (through NODE_OPTIONS for the executable), --env sets environment variables for them, to try a
// change before shipping it. --program FILE (with a single --from) runs a prebuilt bundle,
// executable or installed bin instead of building one, to compare two builds in one window.
// Measured from /proc (measure.ts): CPU time of every thread over the window, VmHWM at the end, PSS and
// RssAnon at the end, and where the agent's resident memory is by kind of mapping (smaps); the
// 1-minute load average at the start and end of each window.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
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
import {
  type Breakdown,
  cpuOf,
  KINDS,
  load1,
  type Memory,
  median,
  memoryOf,
  residentByKind,
  tree,
} from './measure.ts';
import { missingPeers, PEERS, type Peer, type PeerName, peerVersion, startPeer } from './peers.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '5s' },
    warmup: { type: 'string', default: '15' },
    from: { type: 'string', default: 'installed,bundle,executable' },
    peers: { type: 'string', default: PEERS.join(',') },
    config: { type: 'string', default: 'production' },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    program: { type: 'string' },
  },
});
/**
 * Agent forms as given: `bundle`, `bundle=FILE` (a prebuilt program), either followed by
 * `+--flag` (Node flags for that agent only); --program FILE is `=FILE` for a single form.
 */
const FORMS = values.from
  .split(',')
  .filter(Boolean)
  .map((f) => (values.program && !f.includes('=') ? f.replace(/^\w+/, `$&=${values.program}`) : f));
const formOf = (spec: string) => spec.split(/[=+]/)[0] as string;
const programOf = (spec: string) => /=([^+]*)/.exec(spec.split('+')[0] as string)?.[1];
/** After `+`: NAME=VALUE sets an environment variable for that agent only, anything else is a Node flag. */
const isEnv = (part: string) => /^[A-Z_][A-Z0-9_]*=/.test(part);
const flagsOf = (spec: string) => [
  ...EXTRA_FLAGS,
  ...spec
    .split('+')
    .slice(1)
    .filter((p) => !isEnv(p)),
];
const envOf = (spec: string) =>
  Object.fromEntries(
    spec
      .split('+')
      .slice(1)
      .filter(isEnv)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
const PEER_NAMES = values.peers.split(',').filter(Boolean) as PeerName[];
for (const spec of FORMS)
  if (!['installed', 'checkout', 'bundle', 'executable'].includes(formOf(spec)))
    throw new Error(`unknown --from ${spec}`);
for (const peer of PEER_NAMES) if (!PEERS.includes(peer)) throw new Error(`unknown peer ${peer}`);
if (!PEER_NAMES.includes('node_exporter'))
  throw new Error('--peers must include node_exporter (the baseline)');
if (values.program && FORMS.length !== 1) throw new Error('--program needs a single --from');
if (new Set(FORMS).size !== FORMS.length) throw new Error('--from names a form twice');
const PRODUCTION = values.config === 'production';
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const INTERVAL_MS = parseDuration(values.interval);
const EXTRA_FLAGS = values['node-flags'].split(' ').filter(Boolean);
const EXTRA_ENV = Object.fromEntries(
  values.env
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const LAYOUT = mkdtempSync(join(tmpdir(), 'pantau-bench-layout-'));

/** The command line that starts the agent, before `run --config FILE`. */
async function agentCommand(spec: string): Promise<string[]> {
  const form = formOf(spec);
  const program = programOf(spec);
  const flags = [...nodeFlags(form === 'checkout'), ...flagsOf(spec)];
  switch (form) {
    case 'checkout':
      return [
        process.execPath,
        ...flags,
        join(import.meta.dirname, '..', '..', 'packages', 'agent', 'bin', 'pantau-agent.js'),
      ];
    case 'bundle':
      return [process.execPath, ...flags, program ?? (await buildBundle(LAYOUT))];
    case 'executable':
      return [program ?? (await buildExecutable(await buildBundle(LAYOUT), LAYOUT))];
    default:
      return [process.execPath, ...flags, program ?? (await installedLayout(LAYOUT))];
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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One agent form running against its own fake collector. */
async function startAgent(spec: string, command: string[], dir: string): Promise<Peer> {
  const form = formOf(spec);
  const collector = new FakeCollector({ token: 'bench-token' });
  await collector.start();
  const production = PRODUCTION ? await productionParts(dir, collector.port) : undefined;
  const config = join(dir, 'agent.yaml');
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
  const env =
    form === 'executable' && flagsOf(spec).length > 0
      ? { ...clean, ...EXTRA_ENV, ...envOf(spec), NODE_OPTIONS: flagsOf(spec).join(' ') }
      : { ...clean, ...EXTRA_ENV, ...envOf(spec) };
  const child = spawn(command[0] as string, [...command.slice(1), 'run', '--config', config], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    name: `pantau ${spec}`,
    child,
    answered: () => collector.stored.length,
    async stop() {
      await stopChild(child);
      await collector.stop();
      await production?.stop();
    },
  };
}

interface Row extends Memory {
  name: string;
  cpu: number;
  /** Snapshots stored, scrapes or zabbix rounds answered in the window. */
  answered: number;
  /** Pantau's resident memory at the end by kind of mapping. */
  kinds?: Breakdown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes of the current run, stopped on Ctrl-C or SIGTERM too. */
let running: Peer[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const p of running) p.child.kill('SIGTERM');
    rmSync(LAYOUT, { recursive: true, force: true });
    process.exit(130);
  });

async function oneRun(run: number, commands: Map<string, string[]>) {
  const dir = mkdtempSync(join(tmpdir(), 'pantau-bench-'));
  // Alternate: rotate the start order each run so no one is always first or last.
  const names = [...FORMS.map((f) => `pantau ${f}`), ...PEER_NAMES];
  const order = names.map((_, i) => names[(i + run) % names.length] as string);
  const started: Peer[] = [];
  running = started;
  try {
    for (const name of order) {
      if (name.startsWith('pantau ')) {
        const spec = name.slice(7);
        started.push(
          await startAgent(spec, commands.get(spec) as string[], mkdtempSync(join(dir, 'agent-'))),
        );
      } else started.push(await startPeer(name as PeerName, dir, INTERVAL_MS));
    }
    await sleep(WARMUP * 1000);
    const loadStart = load1();
    const pids = started.map((s) => tree(s.child.pid as number));
    const cpu0 = pids.map(cpuOf);
    const answered0 = started.map((s) => s.answered());
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const minutes = (performance.now() - t0) / 60_000;
    const rows: Row[] = started.map((s, i) => {
      const before = cpu0[i] as Map<number, number>;
      let seconds = 0;
      for (const [pid, t] of cpuOf([...before.keys()])) seconds += t - (before.get(pid) ?? 0);
      return {
        name: s.name,
        cpu: seconds / minutes,
        ...memoryOf(pids[i] as number[]),
        answered: s.answered() - (answered0[i] as number),
        ...(s.name.startsWith('pantau ') ? { kinds: residentByKind(s.child.pid as number) } : {}),
      };
    });
    const load = [loadStart, load1()] as const;
    console.log(`run ${run}: load average ${load[0].toFixed(2)}–${load[1].toFixed(2)}`);
    for (const r of [...rows].sort((a, b) => a.name.localeCompare(b.name)))
      console.log(
        `  ${r.name.padEnd(22)} ${r.cpu.toFixed(3)} CPU s/min  peak RSS ${r.peakRss.toFixed(1)} MB  PSS ${r.pss.toFixed(1)} MB  anon ${r.anon.toFixed(1)} MB  (${r.answered} answered)`,
      );
    return { rows, load };
  } finally {
    for (const s of started.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const missing = missingPeers(PEER_NAMES);
if (missing.length > 0) {
  console.error(`not installed: ${missing.join(', ')}`);
  process.exit(2);
}
const commands = new Map<string, string[]>();
for (const spec of FORMS) commands.set(spec, await agentCommand(spec));
console.log(
  `agent footprint (${FORMS.join(', ')}; ${values.config} config; ${PEER_NAMES.map((p) => `${p} ${peerVersion(p)}`).join(', ')}${EXTRA_FLAGS.length ? `; extra node flags ${EXTRA_FLAGS.join(' ')}` : ''}${values.env ? `; env ${values.env}` : ''}): ${RUNS} runs, ${WARMUP} s warm-up + ${SECONDS} s measured, interval ${values.interval}, node ${process.version}`,
);
const runs: Array<Awaited<ReturnType<typeof oneRun>>> = [];
try {
  for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i, commands));
} finally {
  rmSync(LAYOUT, { recursive: true, force: true });
}

// Medians over the runs of each figure and of its ratio to node_exporter's in the same window.
const rowOf = (run: (typeof runs)[number], name: string) => run.rows.find((r) => r.name === name) as Row;
const cell = (name: string, key: 'cpu' | 'peakRss' | 'pss' | 'anon', digits: number) => {
  const value = median(runs.map((r) => rowOf(r, name)[key]));
  const ratio = median(runs.map((r) => rowOf(r, name)[key] / rowOf(r, 'node_exporter')[key]));
  return `${value.toFixed(digits)} (${ratio.toFixed(2)}×)`;
};
console.log('');
console.log(
  `medians of ${RUNS} runs (× node_exporter in the same window); load average ${runs.map((r) => `${r.load[0].toFixed(2)}–${r.load[1].toFixed(2)}`).join(', ')}`,
);
console.log('| agent | CPU s/min | peak RSS MB | PSS MB | anon MB |');
console.log('|---|--:|--:|--:|--:|');
for (const name of [...FORMS.map((f) => `pantau ${f}`), ...PEER_NAMES])
  console.log(
    `| ${name} | ${cell(name, 'cpu', 3)} | ${cell(name, 'peakRss', 1)} | ${cell(name, 'pss', 1)} | ${cell(name, 'anon', 1)} |`,
  );
// Where each Pantau form's resident memory is at the end of the window (floor.ts: the same for
// Node alone).
console.log('');
console.log(`| agent: resident MB at the end, medians | ${KINDS.join(' | ')} |`);
console.log(`|---|${KINDS.map(() => '--:').join('|')}|`);
for (const spec of FORMS)
  console.log(
    `| pantau ${spec} | ${KINDS.map((k) => median(runs.map((r) => rowOf(r, `pantau ${spec}`).kinds?.[k] ?? 0)).toFixed(1)).join(' | ')} |`,
  );
