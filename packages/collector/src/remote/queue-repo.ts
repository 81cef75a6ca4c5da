import type { Database, Statement } from 'better-sqlite3';
import type { Sample } from './series.ts';

export interface QueuedRow {
  id: number;
  ts: number;
  /** The host's labels as stored (JSON): equal text, equal labels. */
  labelsText: string;
  labels: Record<string, string>;
  samples: Sample[];
  n: number;
}

/** Samples one endpoint lost to a bound, and why. */
export interface Dropped {
  endpoint: string;
  samples: number;
}

/**
 * The durable remote-write queue (SQLite, like the notification outbox): rows are appended in
 * the ingest transaction, each endpoint reads forward from its own cursor, and a row is deleted
 * once every endpoint's cursor has passed it.
 */
export class RemoteQueueRepo {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;
  #bytes: number;

  constructor(db: Database) {
    this.#db = db;
    this.#s = {
      append: db.prepare('INSERT INTO remote_queue (ts, labels, samples, n, bytes) VALUES (?, ?, ?, ?, ?)'),
      after: db.prepare(
        'SELECT id, ts, labels, samples, n FROM remote_queue WHERE id > ? ORDER BY id LIMIT ?',
      ),
      cursor: db.prepare('SELECT last_id FROM remote_cursor WHERE endpoint = ?'),
      addCursor: db.prepare(
        'INSERT OR IGNORE INTO remote_cursor (endpoint, last_id) VALUES (?, (SELECT coalesce(min(id) - 1, 0) FROM remote_queue))',
      ),
      advance: db.prepare('UPDATE remote_cursor SET last_id = max(last_id, ?) WHERE endpoint = ?'),
      cursors: db.prepare('SELECT endpoint, last_id AS lastId FROM remote_cursor'),
      dropCursor: db.prepare('DELETE FROM remote_cursor WHERE endpoint = ?'),
      prune: db.prepare(
        'DELETE FROM remote_queue WHERE id <= (SELECT coalesce(min(last_id), 9e18) FROM remote_cursor) RETURNING bytes',
      ),
      depth: db.prepare('SELECT count(*) AS n, min(ts) AS oldest FROM remote_queue WHERE id > ?'),
      oldest: db.prepare('SELECT id, bytes FROM remote_queue WHERE id > ? ORDER BY id LIMIT ?'),
      samplesBetween: db.prepare(
        'SELECT coalesce(sum(n), 0) AS n FROM remote_queue WHERE id > ? AND id <= ?',
      ),
      bytes: db.prepare('SELECT coalesce(sum(bytes), 0) AS b FROM remote_queue'),
    };
    this.#bytes = (this.#s.bytes!.get() as { b: number }).b;
  }

  /** Bytes of samples waiting for at least one endpoint. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds one snapshot's samples; call inside the ingest transaction. */
  append(ts: number, labels: string, samples: Sample[]): void {
    const text = JSON.stringify(samples);
    const bytes = labels.length + text.length;
    this.#s.append!.run(ts, labels, text, samples.length, bytes);
    this.#bytes += bytes;
  }

  /**
   * Makes the cursors match the configured endpoints: a new endpoint starts at the oldest row
   * still queued; a removed one stops holding rows back.
   */
  syncEndpoints(names: readonly string[]): void {
    this.#db.transaction(() => {
      for (const { endpoint } of this.#s.cursors!.all() as { endpoint: string }[]) {
        if (!names.includes(endpoint)) this.#s.dropCursor!.run(endpoint);
      }
      for (const name of names) this.#s.addCursor!.run(name);
    })();
    this.prune();
  }

  cursor(endpoint: string): number {
    return (this.#s.cursor!.get(endpoint) as { last_id: number } | undefined)?.last_id ?? 0;
  }

  /** Up to `limit` rows after `lastId`, oldest first. */
  after(lastId: number, limit: number): QueuedRow[] {
    const rows = this.#s.after!.all(lastId, limit) as {
      id: number;
      ts: number;
      labels: string;
      samples: string;
      n: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      ts: r.ts,
      n: r.n,
      labelsText: r.labels,
      labels: JSON.parse(r.labels) as Record<string, string>,
      samples: JSON.parse(r.samples) as Sample[],
    }));
  }

  /** Records that an endpoint is done with every row up to `id`, and deletes rows nobody needs. */
  advance(endpoint: string, id: number): void {
    this.#db.transaction(() => {
      this.#s.advance!.run(id, endpoint);
      this.prune();
    })();
  }

  prune(): void {
    for (const r of this.#s.prune!.all() as { bytes: number }[]) this.#bytes -= r.bytes;
  }

  /** Rows waiting for an endpoint, and the time of the oldest of them (null when none wait). */
  depth(lastId: number): { rows: number; oldest: number | null } {
    const r = this.#s.depth!.get(lastId) as { n: number; oldest: number | null };
    return { rows: r.n, oldest: r.oldest };
  }

  /**
   * Drops the oldest rows until the queue holds at most `maxBytes`; every endpoint that had not
   * sent them yet has its cursor moved past them. Returns the samples each endpoint lost.
   */
  trimToBytes(maxBytes: number): Dropped[] {
    if (this.#bytes <= maxBytes) return [];
    return this.#db.transaction(() => {
      let excess = this.#bytes - maxBytes;
      let upTo = 0;
      // Chunks keep one trim from reading a huge queue into memory at once.
      while (excess > 0) {
        const rows = this.#s.oldest!.all(upTo, 1000) as { id: number; bytes: number }[];
        if (rows.length === 0) break;
        for (const r of rows) {
          upTo = r.id;
          excess -= r.bytes;
          if (excess <= 0) break;
        }
      }
      const dropped: Dropped[] = [];
      this.#dropUpTo(upTo, dropped);
      return dropped;
    })();
  }

  #dropUpTo(upTo: number, dropped: Dropped[]): void {
    for (const { endpoint, lastId } of this.#s.cursors!.all() as { endpoint: string; lastId: number }[]) {
      if (lastId >= upTo) continue;
      const { n } = this.#s.samplesBetween!.get(lastId, upTo) as { n: number };
      dropped.push({ endpoint, samples: n });
      this.#s.advance!.run(upTo, endpoint);
    }
    this.prune();
  }
}
