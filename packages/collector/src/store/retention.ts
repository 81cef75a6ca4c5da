import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { Retention } from './history.ts';

export interface RetentionRun {
  deleted: Record<string, number>;
  chunks: number;
}

/**
 * Deletes expired rows per tier in small chunks, each chunk its own short transaction, yielding
 * to the event loop between chunks so ingest flushes interleave instead of waiting.
 */
export class RetentionJob {
  readonly #db: Database;
  readonly #retention: Retention;
  readonly #chunkRows: number;
  readonly #s: Record<string, Statement>;
  #running: Promise<RetentionRun> | null = null;
  readonly #tasks: [string, (now: number) => number][] = [];

  constructor(db: Database, retention: Retention, chunkRows: number) {
    this.#db = db;
    this.#retention = retention;
    this.#chunkRows = chunkRows;
    this.#s = { hosts: db.prepare('SELECT id FROM hosts') };
    for (const table of ['metrics_raw', 'metrics_1m', 'metrics_1h']) {
      this.#s[`${table}:bound`] = db
        .prepare(`SELECT ts FROM ${table} WHERE host = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?`)
        .pluck();
      this.#s[`${table}:delete`] = db.prepare(`DELETE FROM ${table} WHERE host = ? AND ts < ?`);
    }
    for (const table of ['disk_history', 'check_history', 'container_history']) {
      this.#s[`${table}:delete`] = db.prepare(`DELETE FROM ${table} WHERE host = ? AND ts < ?`);
    }
  }

  /**
   * Adds a deletion other modules own (e.g. old jobs): `chunk(now)` deletes at most chunkRows
   * rows in one transaction and returns how many; it is called until it returns fewer.
   */
  addTask(name: string, chunk: (now: number) => number): void {
    this.#tasks.push([name, chunk]);
  }

  /** Resolves when no pass is running (used at shutdown). */
  async idle(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  /** One full pass; concurrent calls share the pass in progress. */
  run(now = systemClock()): Promise<RetentionRun> {
    this.#running ??= this.#pass(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(now: number): Promise<RetentionRun> {
    const cutoffs: [string, number][] = [
      ['metrics_raw', now - this.#retention.raw],
      ['metrics_1m', now - this.#retention.minute],
      ['metrics_1h', now - this.#retention.hour],
      ['disk_history', now - this.#retention.minute],
      ['check_history', now - this.#retention.minute],
      ['container_history', now - this.#retention.minute],
    ];
    const result: RetentionRun = { deleted: {}, chunks: 0 };
    const hosts = this.#s.hosts!.pluck().all() as number[];
    for (const [table, cutoff] of cutoffs) {
      result.deleted[table] = 0;
      for (const host of hosts) {
        for (;;) {
          const n = this.#chunk(table, host, cutoff);
          result.deleted[table] += n;
          if (n > 0) result.chunks++;
          if (n < this.#chunkRows) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
    for (const [name, chunk] of this.#tasks) {
      result.deleted[name] = 0;
      for (;;) {
        const n = chunk(now);
        result.deleted[name] += n;
        if (n > 0) result.chunks++;
        if (n < this.#chunkRows) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return result;
  }

  #chunk(table: string, host: number, cutoff: number): number {
    const bound = this.#s[`${table}:bound`];
    let upTo = cutoff;
    if (bound) {
      // Delete below the chunkRows-th expired row, so one statement never removes more than that.
      const nth = bound.get(host, cutoff, this.#chunkRows) as number | undefined;
      if (nth !== undefined) upTo = nth;
    }
    return this.#db.transaction(() => this.#s[`${table}:delete`]!.run(host, upTo).changes)();
  }
}
