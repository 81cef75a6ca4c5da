import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { Retention } from './history.ts';

/** The metric tiers, deleted in chunks bounded by their n-th expired row. */
type TierTable = 'metrics_raw' | 'metrics_1m' | 'metrics_1h';
/** Every table the pass trims by age. */
type Table = TierTable | 'disk_history' | 'check_history' | 'container_history';

const isTier = (table: Table): table is TierTable => table.startsWith('metrics_');

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
  readonly #hosts: Statement<[], number>;
  /** The ts of a host's n-th expired row in a metric tier: the bound of one chunk. */
  readonly #bound: Record<TierTable, Statement<[host: number, before: number, offset: number], number>>;
  readonly #delete: Record<Table, Statement<[host: number, before: number]>>;
  #running: Promise<RetentionRun> | null = null;
  readonly #tasks: [string, (now: number) => number][] = [];

  constructor(db: Database, retention: Retention, chunkRows: number) {
    this.#db = db;
    this.#retention = retention;
    this.#chunkRows = chunkRows;
    this.#hosts = db.prepare<[], number>('SELECT id FROM hosts').pluck();
    const bound = (table: TierTable) =>
      db
        .prepare<[number, number, number], number>(
          `SELECT ts FROM ${table} WHERE host = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?`,
        )
        .pluck();
    this.#bound = {
      metrics_raw: bound('metrics_raw'),
      metrics_1m: bound('metrics_1m'),
      metrics_1h: bound('metrics_1h'),
    };
    const remove = (table: Table) =>
      db.prepare<[number, number]>(`DELETE FROM ${table} WHERE host = ? AND ts < ?`);
    this.#delete = {
      metrics_raw: remove('metrics_raw'),
      metrics_1m: remove('metrics_1m'),
      metrics_1h: remove('metrics_1h'),
      disk_history: remove('disk_history'),
      check_history: remove('check_history'),
      container_history: remove('container_history'),
    };
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
    const cutoffs: [Table, number][] = [
      ['metrics_raw', now - this.#retention.raw],
      ['metrics_1m', now - this.#retention.minute],
      ['metrics_1h', now - this.#retention.hour],
      ['disk_history', now - this.#retention.minute],
      ['check_history', now - this.#retention.minute],
      ['container_history', now - this.#retention.minute],
    ];
    const result: RetentionRun = { deleted: {}, chunks: 0 };
    const hosts = this.#hosts.all();
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

  #chunk(table: Table, host: number, cutoff: number): number {
    let upTo = cutoff;
    if (isTier(table)) {
      // Delete below the chunkRows-th expired row, so one statement never removes more than that.
      const nth = this.#bound[table].get(host, cutoff, this.#chunkRows);
      if (nth !== undefined) upTo = nth;
    }
    return this.#db.transaction(() => this.#delete[table].run(host, upTo).changes)();
  }
}
