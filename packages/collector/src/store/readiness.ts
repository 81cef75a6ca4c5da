import type { Database, Statement } from 'better-sqlite3';

/** The smallest query that proves the database answers, for /readyz. */
export class ReadinessProbe {
  readonly #ping: Statement<[], { ok: number }>;

  constructor(db: Database) {
    this.#ping = db.prepare('SELECT 1 AS ok');
  }

  /** Throws when the database does not answer. */
  check(): void {
    this.#ping.get();
  }
}
