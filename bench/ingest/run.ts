// Ingest benchmark: N simulated agents (raw ws clients in worker processes) each send one
// realistic snapshot per second to a collector child process. Prints snapshots/s, ack latency
// percentiles, and the collector's CPU and RSS over the measurement window, then the saturation
// point: the smallest agent count measured whose ack p99 passed 1 s. With --store remote the
// collector keeps metric rows out of SQLite and remote-writes them to a local VictoriaMetrics,
// whose CPU and RSS are printed beside; the run then checks every stored sample arrived.
//   node bench/ingest/run.ts [--agents 500,1000,2000] [--seconds 30] [--warmup 10] [--workers 4]
//     [--store sqlite|remote]
//     [--cpu-prof DIR]   (writes the collector's V8 CPU profile, one per agent count, to DIR)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Store } from '../../packages/collector/src/store/index.ts';
import { startCollectorProcess } from '../../test/support/collector-process.ts';
import { startTsdb, type Tsdb } from '../../test/support/tsdb.ts';
import { until } from '../../test/support/until.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '500,1000,2000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    workers: { type: 'string', default: '4' },
    'cpu-prof': { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
  },
});
const remote = values.store === 'remote';
if (!remote && values.store !== 'sqlite') throw new Error('--store is sqlite or remote');
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const workers = Number(values.workers);
const workerFile = fileURLToPath(new URL('./agents.ts', import.meta.url));
const TICK = 100; // clock ticks per second on Linux
/** Ack p99 beyond this means the collector no longer keeps up (the saturation point). */
const SATURATED_MS = 1000;
const profileDir = values['cpu-prof'];

/** CPU ticks of the whole process, or of one thread (the main thread's id is the pid). */
function cpuTicks(pid: number, thread?: number): number {
  const file = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function memKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}
async function scrape(url: string, token: string, pattern: RegExp): Promise<number> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  return Number(pattern.exec(text)?.[1] ?? Number.NaN);
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

console.log(
  `ingest benchmark: ${seconds} s measured after ${warmup} s warm-up, ${workers} agent worker processes`,
);
const remoteColumns = remote
  ? ' VictoriaMetrics CPU % | VictoriaMetrics RSS MB | snapshots stored | in VictoriaMetrics | dropped |'
  : '';
console.log(
  `| agents | snapshots/s stored (acked) | ack p50 ms | ack p99 ms | main-thread CPU % (of one core) | main-thread µs per snapshot | process CPU % | process µs per snapshot | RSS MB | peak RSS MB | errors | load avg (1 min) |${remoteColumns}`,
);
console.log(
  `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${remote ? '---:|---:|---:|---:|---:|' : ''}`,
);
const p99s: [number, number][] = [];
for (const n of values.agents.split(',').map(Number)) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pantau-bench-'));
  const setup = new Store({
    dataDir,
    busyTimeout: 5000,
    retention: { raw: 172_800_000, minute: 2_592_000_000, hour: 31_536_000_000, chunkRows: 2000 },
  });
  const tokens = Array.from({ length: n }, (_, i) => setup.hosts.add(`bench-${i}`, {}).token);
  setup.close();
  let vm: Tsdb | null = null;
  const env: Record<string, string> = profileDir
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-name=collector-${n}.cpuprofile` }
    : {};
  if (remote) {
    vm = await startTsdb('victoria-metrics');
    env.PANTAU_METRICS_STORE = 'remote';
    env.PANTAU_METRICS_REMOTE_WRITE = JSON.stringify([{ name: 'vm', url: vm.writeUrl }]);
    env.PANTAU_METRICS_QUERY = JSON.stringify({ url: vm.url });
  }
  const collector = await startCollectorProcess({ dataDir, env });
  const pid = collector.child.pid!;
  const begin = Date.now();
  const measureFrom = begin + warmup * 1000;
  const measureTo = measureFrom + seconds * 1000;
  const runMs = (warmup + seconds + 3) * 1000;
  const per = Math.ceil(n / workers);
  const results = Array.from({ length: workers }, (_, w) => {
    const slice = tokens.slice(w * per, (w + 1) * per);
    return new Promise<{ sent: number; acked: number; errors: number; latencies: number[] }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            workerFile,
            collector.wsUrl,
            JSON.stringify(slice),
            String(runMs),
            String(measureFrom),
            String(measureTo),
          ],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
        });
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`)),
        );
      },
    );
  });
  await new Promise((r) => setTimeout(r, Math.max(0, measureFrom - Date.now())));
  const cpu0 = cpuTicks(pid);
  const main0 = cpuTicks(pid, pid);
  const vmCpu0 = vm ? cpuTicks(vm.pid()!) : 0;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, measureTo - Date.now())));
  const cpu1 = cpuTicks(pid);
  const main1 = cpuTicks(pid, pid);
  const vmCpu1 = vm ? cpuTicks(vm.pid()!) : 0;
  const t1 = Date.now();
  const vmRss = vm ? memKb(vm.pid()!, 'VmRSS') / 1024 : 0;
  const rss = memKb(pid, 'VmRSS') / 1024;
  const hwm = memKb(pid, 'VmHWM') / 1024;
  // The machine may be shared: the load beside each row says how much else was running.
  const load = loadavg()[0]!;
  const done = await Promise.all(results);
  let check = '';
  if (vm) {
    // No loss: once the queue drains, VictoriaMetrics holds one CPU sample per stored snapshot.
    const { url, adminToken } = collector;
    await until(
      'the remote-write queue drained',
      async () =>
        (await scrape(url, adminToken, /^pantau_remote_write_queue_snapshots\{endpoint="vm"\} (\d+)/m)) === 0,
      120_000,
    );
    const total = await scrape(url, adminToken, /^pantau_snapshots_stored_total (\d+)/m);
    const dropped = await scrape(
      url,
      adminToken,
      /^pantau_remote_write_samples_dropped_total\{endpoint="vm",reason="rejected"\} (\d+)/m,
    );
    const q = encodeURIComponent('sum(count_over_time(pantau_host_cpu_busy_ratio[1h]))');
    const inVm = await until(
      'VictoriaMetrics to show every sample',
      async () => {
        const r = await vm!.get<{ data: { result: { value: [number, string] }[] } }>(
          `/api/v1/query?query=${q}&nocache=1`,
        );
        const n = Number(r.data.result[0]?.value[1] ?? 0);
        return n >= total ? n : null;
      },
      60_000,
    ).catch(() => Number.NaN);
    const vmCpu = ((vmCpu1 - vmCpu0) / TICK / ((t1 - t0) / 1000)) * 100;
    check = ` ${vmCpu.toFixed(0)} | ${vmRss.toFixed(0)} | ${total} | ${inVm} | ${dropped} |`;
  }
  await collector.stop('SIGTERM');
  await vm?.close();
  const lat = done.flatMap((d) => d.latencies).sort((a, b) => a - b);
  const errors = done.reduce((s, d) => s + d.errors, 0);
  // An ack follows the commit, so the snapshots sent in the window and acked are the stored
  // ones (counted by the agents: asking the collector's /metrics perturbs a busy collector).
  const rate = lat.length / seconds;
  // Over the time actually sampled: on a loaded machine this process may wake up late.
  const cpuPct = ((cpu1 - cpu0) / TICK / ((t1 - t0) / 1000)) * 100;
  // The main thread alone (decoding, live state, detection, acks): what one core must carry;
  // the rest of the process is the SQLite writer thread, GC helpers and libuv's pool.
  const mainPct = ((main1 - main0) / TICK / ((t1 - t0) / 1000)) * 100;
  // CPU time per stored snapshot: steadier than the latency when other processes share the cores.
  const perSnapshot = ((cpuPct / 100) * 1e6) / rate;
  const mainPerSnapshot = ((mainPct / 100) * 1e6) / rate;
  console.log(
    `| ${n} | ${rate.toFixed(0)} | ${pct(lat, 50).toFixed(1)} | ${pct(lat, 99).toFixed(1)} | ${mainPct.toFixed(0)} | ${mainPerSnapshot.toFixed(0)} | ${cpuPct.toFixed(0)} | ${perSnapshot.toFixed(0)} | ${rss.toFixed(0)} | ${hwm.toFixed(0)} | ${errors} | ${load.toFixed(1)} |${check}`,
  );
  rmSync(dataDir, { recursive: true, force: true });
  p99s.push([n, pct(lat, 99)]);
}
const saturated = p99s.filter(([, p99]) => !(p99 <= SATURATED_MS)).sort((a, b) => a[0] - b[0])[0];
const below = p99s.filter(([n, p99]) => p99 <= SATURATED_MS && (!saturated || n < saturated[0]));
const highestOk = below.length ? Math.max(...below.map(([n]) => n)) : null;
console.log(
  saturated
    ? `saturation point: ack p99 passed ${SATURATED_MS} ms at ${saturated[0]} agents` +
        (highestOk === null ? '' : ` (still ${SATURATED_MS} ms or less at ${highestOk})`)
    : `saturation point: not reached; ack p99 stayed at ${SATURATED_MS} ms or less up to ${Math.max(...p99s.map(([n]) => n))} agents`,
);
