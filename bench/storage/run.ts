// Storage benchmark: bytes per host-day at the default 5 s interval, from the database file's
// growth. H hosts each send one day of realistic snapshots (heavier areas on their cadences),
// interleaved in time order and committed in ingest-sized batches as the gateway would.
//   node bench/storage/run.ts [--hosts 20]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Store } from '../../packages/collector/src/store/index.ts';
import type { IncomingSnapshot } from '../../packages/collector/src/store/writer.ts';
import { benchSnapshot } from '../snapshots.ts';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '20' } } });
const hosts = Number(values.hosts);
const DAY = 86_400_000;
const INTERVAL = 5_000;
const dir = mkdtempSync(join(tmpdir(), 'pantau-storage-'));
const store = new Store({
  dataDir: dir,
  busyTimeout: 5000,
  retention: { raw: 2 * DAY, minute: 30 * DAY, hour: 365 * DAY, chunkRows: 2000 },
});
const ids = Array.from({ length: hosts }, (_, i) => store.hosts.add(`storage-${i}`, {}).host.id);
const size = () => {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(join(dir, 'pantau.db')).size;
};
const before = size();
const start = Date.now() - DAY;
let batch: IncomingSnapshot[] = [];
let seq = 0;
for (let ts = start; ts < start + DAY; ts += INTERVAL) {
  seq++;
  for (const [i, hostId] of ids.entries()) {
    batch.push({ hostId, receivedAt: ts, snapshot: benchSnapshot(seq, ts + i * 37, INTERVAL) });
  }
  if (batch.length >= 400) {
    store.writer.write(batch);
    batch = [];
  }
}
if (batch.length) store.writer.write(batch);
const after = size();
const perHostDay = (after - before) / hosts;
const tables = store.db
  .prepare(
    "SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name NOT LIKE 'sqlite_%' GROUP BY name ORDER BY bytes DESC",
  )
  .all() as { name: string; bytes: number }[];
console.log(`${hosts} hosts × 1 day at 5 s = ${seq * hosts} snapshots`);
console.log(
  `bytes per host-day: ${(perHostDay / 1e6).toFixed(2)} MB (${Math.round(perHostDay / seq)} bytes per snapshot)`,
);
for (const t of tables)
  console.log(`  ${t.name.padEnd(28)} ${(t.bytes / hosts / 1e6).toFixed(3)} MB per host-day`);
store.close();
rmSync(dir, { recursive: true, force: true });
