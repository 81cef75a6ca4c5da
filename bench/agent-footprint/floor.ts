// The memory floor under the agent: what Node itself takes before any agent code, measured the
// way run.ts measures the agent (VmHWM, RssAnon) and split by mapping (measure.ts residentByKind).
//
//   node bench/agent-footprint/floor.ts [--runs 3] [--hold 3] [--flags="--lite-mode ..."]
//
// Three Node processes under the service's Node flags (install.ts nodeFlags), started one at a
// time in an order that rotates from run to run: an empty one (a timer keeps it alive), one that
// has loaded node:tls, and one holding a TLS connection to a local server whose test CA it trusts
// through `ca`, as the agent's wss:// connection does (host name localhost: a DNS lookup, as for
// a real collector). Each is measured after --hold seconds; medians over the runs. --flags
// replaces the service's flags, to compare.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { nodeFlags } from '../../packages/agent/src/install.ts';
import { makePki } from '../../test/support/tls.ts';
import { type Breakdown, KINDS, load1, median, residentByKind } from './measure.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    hold: { type: 'string', default: '3' },
    flags: { type: 'string' },
  },
});
const FLAGS = values.flags === undefined ? nodeFlags(false) : values.flags.split(' ').filter(Boolean);

const dir = mkdtempSync(join(tmpdir(), 'pantau-floor-'));
const pki = makePki(dir, 'floor');
const server = createServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, (s) => {
  s.on('error', () => {});
  s.write('hello');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

const KEEP_ALIVE = 'setInterval(() => {}, 1000);';
const CASES: Array<[string, string]> = [
  ['empty Node', KEEP_ALIVE],
  ['+ node:tls loaded', `require('node:tls'); ${KEEP_ALIVE}`],
  [
    '+ one TLS connection (CA file, localhost)',
    `const tls = require('node:tls');
     const ca = require('node:fs').readFileSync(${JSON.stringify(pki.ca)});
     tls.connect({ host: 'localhost', port: ${port}, ca }).on('data', () => {}).on('error', (e) => { console.error(e); process.exit(1); });
     ${KEEP_ALIVE}`,
  ],
];

interface Sample extends Breakdown {
  peak: number;
  anon: number;
  file: number;
}

async function measure(script: string): Promise<Sample> {
  const child = spawn(process.execPath, [...FLAGS, '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((resolve) => setTimeout(resolve, Number(values.hold) * 1000));
  if (child.exitCode !== null) throw new Error(`the probe exited with ${child.exitCode}`);
  const pid = child.pid as number;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
  const sample = { peak: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile'), ...residentByKind(pid) };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
  return sample;
}

const RUNS = Number(values.runs);
const samples = new Map<string, Sample[]>(CASES.map(([name]) => [name, []]));
const loads: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    loads.push(load1());
    for (let i = 0; i < CASES.length; i++) {
      const [name, script] = CASES[(i + run) % CASES.length] as [string, string];
      samples.get(name)?.push(await measure(script));
    }
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

const columns = ['peak', 'anon', 'file', ...KINDS] as const;
console.log(
  `Node ${process.version}, flags ${FLAGS.join(' ') || '(none)'}; medians of ${RUNS} runs, MB; load average ${loads.map((l) => l.toFixed(2)).join(', ')}`,
);
console.log(`| process | ${['peak RSS', 'anon', 'file', ...KINDS].join(' | ')} |`);
console.log(`|---|${columns.map(() => '--:').join('|')}|`);
for (const [name, list] of samples)
  console.log(`| ${name} | ${columns.map((c) => median(list.map((s) => s[c])).toFixed(1)).join(' | ')} |`);
