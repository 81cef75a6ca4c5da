import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullSnapshot, sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { Store } from './index.ts';
import type { RowBatch } from './row-batch.ts';
import type { IncomingSnapshot } from './writer.ts';
import type { WriterThread } from './writer-thread.ts';

const HOUR = 3_600_000;
const retention = { raw: 48 * HOUR, minute: 720 * HOUR, hour: 8760 * HOUR, chunkRows: 100 };
let dir: string;
let store: Store;
let hostId: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-writer-thread-'));
  store = new Store({ dataDir: dir, busyTimeout: 1000, retention });
  hostId = store.hosts.add('web-1', {}).host.id;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (sql: string) => store.db.prepare(sql).pluck().get() as number;
/** Snapshots seq from..to, one a second within one minute, as an agent sends them. */
const batch = (from: number, to: number): IncomingSnapshot[] => {
  const base = Date.UTC(2026, 11, 7, 12, 0, 0);
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const seq = from + i;
    const snapshot = seq === 1 ? fullSnapshot(seq) : sampleSnapshot(seq);
    return { hostId, snapshot: { ...snapshot, ts: base + seq * 1000 }, receivedAt: base + seq * 1000 };
  });
};
const commit = (thread: WriterThread, rows: RowBatch) =>
  new Promise<Error | null>((resolve) => thread.commit(rows, resolve));

describe('writer thread', () => {
  it('commits a batch on its own connection; the main connection then reads every row', async () => {
    const plan = store.writer.plan(batch(1, 5));
    expect(await commit(store.writerThread, plan.rows)).toBeNull();
    const result = store.writer.committed(plan);
    expect(result.committed.get(hostId)).toBe(5);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(5);
    expect(count('SELECT sum(n) FROM metrics_1m')).toBe(5);
    expect(count('SELECT sum(n) FROM metrics_1h')).toBe(5);
    expect(count('SELECT last_seq FROM hosts')).toBe(5);
    // fullSnapshot carries the areas, disks and checks: their rows went through the thread too.
    expect(count('SELECT count(*) FROM host_state')).toBeGreaterThan(2);
    expect(count('SELECT count(*) FROM disk_history')).toBeGreaterThan(0);
    expect(count('SELECT count(*) FROM check_history')).toBeGreaterThan(0);
    expect(store.writer.latest(hostId)?.seq).toBe(5);
  });

  it('settle() blocks until the batch in flight is answered', () => {
    const plan = store.writer.plan(batch(1, 3));
    let answer: Error | null | undefined;
    store.writerThread.commit(plan.rows, (err) => {
      answer = err;
    });
    expect(store.writerThread.busy).toBe(true);
    store.writerThread.settle();
    expect(answer).toBeNull();
    expect(store.writerThread.busy).toBe(false);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(3);
  });

  it('answers a failed transaction with its SQLite error, and commits nothing of the batch', async () => {
    // Fails the hour rollup, after the raw rows of the same transaction were written.
    store.db.exec(
      "CREATE TRIGGER fail BEFORE INSERT ON metrics_1h BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    const plan = store.writer.plan(batch(1, 3));
    const err = await commit(store.writerThread, plan.rows);
    expect(err).toMatchObject({ name: 'WriterThreadError', code: 'SQLITE_CONSTRAINT_TRIGGER' });
    expect(err?.message).toBe('disk full');
    store.writer.abandon(plan);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(0);
    expect(count('SELECT count(*) FROM metrics_1m')).toBe(0);
    expect(store.writer.lastSeq(hostId)).toBe(0);
  });

  it('a thread that cannot start fails its batch with the reason', async () => {
    store.db.exec('DROP TABLE metrics_1h');
    const plan = store.writer.plan(batch(1, 3));
    const err = await commit(store.writerThread, plan.rows);
    expect(err).toMatchObject({ name: 'WriterThreadError', code: 'WRITER_THREAD_DIED' });
    expect(err?.message).toMatch(/no such table: metrics_1h/);
  });

  it('a thread that dies before committing fails its batch; a new thread stores it once', async () => {
    const first = store.writer.plan(batch(1, 4));
    const answer = commit(store.writerThread, first.rows);
    await store.writerThread.terminate();
    expect(await answer).toMatchObject({ code: 'WRITER_THREAD_DIED' });
    store.writer.abandon(first);
    expect(store.writer.lastSeq(hostId)).toBe(0);
    const again = store.writer.plan(batch(1, 4));
    expect(again.stored).toHaveLength(4);
    expect(await commit(store.writerThread, again.rows)).toBeNull();
    expect(store.writer.committed(again).committed.get(hostId)).toBe(4);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(4);
    expect(count('SELECT sum(n) FROM metrics_1m')).toBe(4);
  });

  it('a thread that dies after committing, before its answer is read: the retry finds duplicates, counts nothing twice', async () => {
    const first = store.writer.plan(batch(1, 4));
    const answer = commit(store.writerThread, first.rows);
    // This thread is busy, so the answer waits in the port while the rows commit.
    while (count('SELECT last_seq FROM hosts') < 4) {
      /* spin until the thread's commit is visible */
    }
    void store.writerThread.terminate();
    expect(await answer).toMatchObject({ code: 'WRITER_THREAD_DIED' });
    store.writer.abandon(first);
    // The seq is read again from the database, where it moved with the committed rows.
    expect(store.writer.lastSeq(hostId)).toBe(4);
    const again = store.writer.plan(batch(1, 6));
    expect(again.duplicates).toBe(4);
    expect(again.stored.map((s) => s.snapshot.seq)).toEqual([5, 6]);
    expect(await commit(store.writerThread, again.rows)).toBeNull();
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(6);
    expect(count('SELECT sum(n) FROM metrics_1m')).toBe(6);
    expect(count('SELECT sum(n) FROM metrics_1h')).toBe(6);
  });

  it("a renumbering while a batch is in flight (token rotation) survives that batch's commit", async () => {
    store.writer.write(batch(1, 3));
    // Hold the write lock so the thread commits only after the renumbering.
    store.db.exec('BEGIN IMMEDIATE');
    const plan = store.writer.plan(batch(4, 6));
    const answer = commit(store.writerThread, plan.rows);
    store.writer.restartNumbering(hostId, null);
    store.db.exec('COMMIT');
    expect(await answer).toBeNull();
    store.writer.committed(plan);
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(6);
    // The new token's holder counts from 1; after a restart its seq 1 must not be a duplicate.
    expect(store.writer.lastSeq(hostId)).toBe(0);
    expect(count('SELECT last_seq FROM hosts')).toBe(0);
    const fresh = { ...batch(1, 1)[0]!, receivedAt: Date.UTC(2026, 11, 7, 12, 1, 0) };
    fresh.snapshot = { ...fresh.snapshot, ts: fresh.receivedAt };
    expect(store.writer.write([fresh]).stored).toHaveLength(1);
  });

  it('close() waits for the batch in flight and releases the database', () => {
    const plan = store.writer.plan(batch(1, 2));
    let answer: Error | null | undefined;
    store.writerThread.commit(plan.rows, (err) => {
      answer = err;
    });
    store.close();
    expect(answer).toBeNull();
    // Reopened: the rows are there and no connection holds a lock.
    store = new Store({ dataDir: dir, busyTimeout: 100, retention });
    expect(count('SELECT count(*) FROM metrics_raw')).toBe(2);
    store.db.exec('BEGIN IMMEDIATE; COMMIT');
  });
});
