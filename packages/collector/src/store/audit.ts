import type { Database, Statement } from 'better-sqlite3';

export interface AuditEntry {
  id: number;
  at: number;
  /** Who did it: `token:<id>`, `cli`, `config`, `collector`. */
  actor: string;
  /** What happened, e.g. `token.create`, `host.token.rotate`, `user.role`. */
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

/** Append-only record of token, role and host changes (and, later, action runs). */
export class AuditLog {
  readonly #insert: Statement;
  readonly #page: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare(
      'INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)',
    );
    this.#page = db.prepare(
      'SELECT id, at, actor, action, target, details FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?',
    );
  }

  record(
    actor: string,
    action: string,
    target: string | null,
    details?: Record<string, unknown>,
    now = Date.now(),
  ): void {
    this.#insert.run(now, actor, action, target, details ? JSON.stringify(details) : null);
  }

  /** Newest first; `before` is the id to continue below (keyset pagination). */
  list(before: number, limit: number): AuditEntry[] {
    return (
      this.#page.all(before, limit) as (Omit<AuditEntry, 'details'> & { details: string | null })[]
    ).map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));
  }
}
