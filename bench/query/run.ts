// Query benchmark: one host with 24 h of 1 s raw data and 30 days of 1-minute rollups, read
// back as 1,000 points through the same HistoryReader the API uses. Prints p50/p95 in ms.
//   node bench/query/run.ts [--runs 50]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Store } from '../../packages/collector/src/store/index.ts';
import type { IncomingSnapshot } from '../../packages/collector/src/store/writer.ts';
import { benchSnapshot } from '../snapshots.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' } } });
const runs = Number(values.runs);
const DAY = 86_400_000;
const retention = { raw: 2 * DAY, minute: 30 * DAY, hour: 365 * DAY, chunkRows: 2000 };
const dir = mkdtempSync(join(tmpdir(), 'pantau-query-'));
const store = new Store({ dataDir: dir, busyTimeout: 5000, retention });
const { host } = store.hosts.add('query-1', {});
const now = Date.now();

let seq = 0;
const write = (from: number, to: number, stepMs: number) => {
  let batch: IncomingSnapshot[] = [];
  for (let ts = from; ts < to; ts += stepMs) {
    batch.push({ hostId: host.id, receivedAt: ts, snapshot: benchSnapshot(++seq, ts, stepMs) });
    if (batch.length === 5000) {
      store.writer.write(batch);
      batch = [];
    }
  }
  if (batch.length) store.writer.write(batch);
};
let t = performance.now();
// 29 days at one snapshot per minute fill the 1-minute tier as 1 s data would; the last day is 1 s data.
write(now - 30 * DAY, now - DAY, 60_000);
write(now - DAY, now, 1_000);
console.log(`loaded ${seq} snapshots in ${((performance.now() - t) / 1000).toFixed(1)} s`);

function measure(label: string, from: number, to: number): void {
  const times: number[] = [];
  let tier = '';
  let points = 0;
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const series = store.history.read(
      { hostId: host.id, metric: 'cpu', from, to, maxPoints: 1000 },
      retention,
      now,
    );
    times.push(performance.now() - t);
    tier = series.tier;
    points = series.ts.length;
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.floor(q * (times.length - 1))]!.toFixed(1);
  console.log(`| ${label} | ${tier} | ${points} | ${p(0.5)} | ${p(0.95)} |`);
}

console.log(`| range | tier | points | p50 ms | p95 ms |  (${runs} runs each)`);
console.log('|---|---|---:|---:|---:|');
measure('24 h of 1 s data (86,400 rows)', now - DAY, now);
measure('30 days (1-minute rollups)', now - 30 * DAY, now);
store.close();
rmSync(dir, { recursive: true, force: true });
