// The writer thread: commits the ingest queue's row batches on its own connection, so the
// SQLite work runs beside the main thread's decoding, detection and acks instead of inside it.
import { type MessagePort, workerData } from 'node:worker_threads';
import { openDatabase } from './db.ts';
import { type RowBatch, RowWriter } from './row-batch.ts';
import type { ThreadReply, ThreadRequest } from './writer-thread.ts';

const { dataDir, busyTimeout, port, signal } = workerData as {
  dataDir: string;
  busyTimeout: number;
  port: MessagePort;
  signal: Int32Array;
};
const db = openDatabase(dataDir, busyTimeout);
const rows = new RowWriter(db);
const commit = db.transaction((b: RowBatch) => rows.apply(b));

port.on('message', (m: ThreadRequest) => {
  if (m.t === 'close') {
    db.close();
    port.close();
    answer(1, 1);
    return;
  }
  let reply: ThreadReply = { id: m.id };
  try {
    commit(m.rows);
  } catch (err) {
    const e = err as { message?: string; code?: string };
    reply = { id: m.id, error: { message: String(e.message ?? err), code: e.code ?? null } };
  }
  port.postMessage(reply);
  answer(0, m.id);
});

/** The main thread may be blocked waiting (a flush that must finish now): wake it. */
function answer(slot: number, value: number): void {
  Atomics.store(signal, slot, value);
  Atomics.notify(signal, slot);
}
