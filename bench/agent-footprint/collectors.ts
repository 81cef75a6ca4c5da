// Where the agent's CPU goes: each collector of a snapshot, the process and port scans, the
// HTTP checks and the snapshot's encoding, called in a loop in one process with the systemd
// unit's Node flags, measured with process.cpuUsage() (user + system time of the whole process,
// so kernel time reading /proc counts). Prints CPU per call and per minute at the default
// interval and cadences (read from the config's defaults).
//
//   node bench/agent-footprint/collectors.ts [--calls 40]
//
// The unit runs Node with --lite-mode (no optimizing compiler), which a TypeScript checkout
// cannot use (type stripping needs WebAssembly), so this file bundles itself with esbuild and
// runs the bundle under the unit's flags.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderSnapshot } from '../../packages/agent/src/agent.ts';
import { runChecks } from '../../packages/agent/src/collectors/checks.ts';
import { CpuCollector } from '../../packages/agent/src/collectors/cpu.ts';
import { DiskIoCollector } from '../../packages/agent/src/collectors/diskio.ts';
import { collectDisks } from '../../packages/agent/src/collectors/disks.ts';
import { collectLoad } from '../../packages/agent/src/collectors/load.ts';
import { collectMemory } from '../../packages/agent/src/collectors/memory.ts';
import { NetworkCollector } from '../../packages/agent/src/collectors/network.ts';
import { PortCollector } from '../../packages/agent/src/collectors/ports.ts';
import { ProcessCollector } from '../../packages/agent/src/collectors/processes.ts';
import { collectUptime } from '../../packages/agent/src/collectors/uptime.ts';
import { loadConfig } from '../../packages/agent/src/config/load.ts';
import type { CheckConfig } from '../../packages/agent/src/config/types.ts';
import { nodeFlags } from '../../packages/agent/src/install.ts';
import { jsonLog } from '../../packages/agent/src/log.ts';
import { Sampler } from '../../packages/agent/src/snapshot.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '40' } } });
const CALLS = Number(values.calls);

if (process.env.PANTAU_BENCH_BUNDLED !== '1') {
  const dir = mkdtempSync(join(tmpdir(), 'pantau-bench-collectors-'));
  const out = join(dir, 'collectors.mjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [import.meta.filename],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // yaml is CommonJS and requires Node's built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    target: 'node22',
    external: ['esbuild'],
    logLevel: 'warning',
  });
  const args = [...nodeFlags(false), out, '--calls', String(CALLS)];
  console.log(
    `node ${args.slice(0, -3).join(' ')} (the unit's flags), ${CALLS} calls each, ${process.version}`,
  );
  const { status } = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, PANTAU_BENCH_BUNDLED: '1' },
  });
  rmSync(dir, { recursive: true, force: true });
  process.exit(status ?? 1);
}

/** CPU µs of one call: the mean over `calls` calls after 3 warm-up calls. */
async function cpuPerCall(fn: () => unknown, calls = CALLS): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

// The checks' backends run in another process, so their side of each request is not counted.
const backendProcess = spawn(
  process.execPath,
  [
    '-e',
    "const http = require('node:http'); for (let i = 0; i < 3; i++) http.createServer((q, r) => r.end('ok\\n')).listen(0, '127.0.0.1', function () { console.log(this.address().port); });",
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const backendPorts = await new Promise<number[]>((resolve) => {
  let text = '';
  backendProcess.stdout.on('data', (d: Buffer) => {
    text += d;
    const ports = text.split('\n').filter(Boolean).map(Number);
    if (ports.length === 3) resolve(ports);
  });
});
const checks: CheckConfig[] = backendPorts.map((port, i) => ({
  name: `backend-${i}`,
  type: 'http',
  url: `http://127.0.0.1:${port}/`,
  timeoutMs: 5000,
  expectStatus: 200,
  insecure: false,
}));

const cpu = new CpuCollector();
const net = new NetworkCollector();
const diskIo = new DiskIoCollector();
const processes = new ProcessCollector();
const ports = new PortCollector();
const log = jsonLog('silent');
const config = loadConfig({ env: {}, requireCollector: false });
const sampler = new Sampler(config, log);
/** Runs per minute at the default interval or cadence. */
const perMinute = (ms: number) => 60_000 / ms;
const snapshots = perMinute(config.intervalMs);
const body = { ...(await sampler.take(1000)), processes: processes.collect(), ports: ports.collect() };
const encoded = renderSnapshot(1, 0, body, log);

/** Part, calls per minute at the default cadences, CPU µs per call. */
const parts: Array<[string, number, () => unknown]> = [
  ['cpu (/proc/stat)', snapshots, () => cpu.collect()],
  ['memory (/proc/meminfo)', snapshots, collectMemory],
  ['load (/proc/loadavg)', snapshots, collectLoad],
  ['disk I/O (/proc/diskstats)', snapshots, () => diskIo.collect()],
  ['network (/proc/net/dev)', snapshots, () => net.collect()],
  ['uptime (/proc/uptime)', snapshots, collectUptime],
  [
    'processes (every /proc/PID/stat, top lists)',
    perMinute(config.cadences.processes),
    () => processes.collect(),
  ],
  ['ports (/proc/net/tcp*, owners)', perMinute(config.cadences.ports), () => ports.collect()],
  ['disks (mounts + statfs)', perMinute(config.cadences.disks), collectDisks],
  ['3 HTTP checks', perMinute(config.cadences.checks), () => runChecks(checks)],
  [
    `encoding (${(encoded.length / 1024).toFixed(1)} KB, schema check + JSON)`,
    12,
    () => renderSnapshot(1, 0, body, log),
  ],
];
let total = 0;
console.log('| part | µs CPU per call | calls per minute | ms CPU per minute |');
console.log('|---|--:|--:|--:|');
for (const [name, perMinute, fn] of parts) {
  const us = await cpuPerCall(fn, name.includes('HTTP') ? Math.ceil(CALLS / 4) : CALLS);
  total += (us * perMinute) / 1000;
  console.log(`| ${name} | ${us.toFixed(0)} | ${perMinute} | ${((us * perMinute) / 1000).toFixed(1)} |`);
}
console.log(`| sum | | | ${total.toFixed(1)} |`);
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').length - 2;
console.log(
  `this machine: ${body.processes.count} processes, ${body.ports.length} listening ports, ${lines('/proc/net/tcp') + lines('/proc/net/tcp6')} TCP sockets, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
);
backendProcess.kill();
