import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';

/** Where a request came from, for the audit log (an Actor carries one). */
export type Surface = 'api' | 'telegram' | 'web' | 'cli' | 'system';

export interface AuditEntry {
  id: number;
  at: number;
  /** Who did it: `user:<id>`, `token:<id>`, `cli`, `config`, `collector`, `telegram:<from.id>`. */
  actor: string;
  /** Where it came from: api, telegram, web, cli or system. */
  surface: Surface;
  /** What happened, e.g. `token.create`, `host.token.rotate`, `user.role`, `user.disable.refused`. */
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

type Row = Omit<AuditEntry, 'details'> & { details: string | null };

/** Narrows the log; every field is optional. */
export interface AuditFilter {
  /** Continue below this id (keyset pagination, newest first). */
  before?: number | undefined;
  limit: number;
  actor?: string | undefined;
  surface?: Surface | undefined;
  /** An action, or a prefix of dotted actions: `user` matches `user.role`, `user.approve`, … */
  action?: string | undefined;
  target?: string | undefined;
}

/**
 * Who did it and through which surface, as the command was given them: an Actor, or for those
 * that are not one (an applicant, an enrollment code, the agent of a host) the id and surface
 * said outright. Never guessed from the id.
 */
export interface AuditActor {
  /** `user:<id>`, `token:<id>`, `cli`, `config`, `collector`, `telegram:<from.id>`, … */
  readonly id: string;
  readonly surface: Surface;
}

/** Append-only record of token, role, user, host and incident changes, and of refused attempts. */
export class AuditLog {
  readonly #sql: {
    insert: Statement<[number, string, Surface, string, string | null, string | null]>;
    page: Statement<
      [
        {
          before: number;
          limit: number;
          actor: string | null;
          surface: Surface | null;
          action: string | null;
          target: string | null;
        },
      ],
      Row
    >;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO audit_log (at, actor, surface, action, target, details) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      page: db.prepare(
        `SELECT id, at, actor, surface, action, target, details FROM audit_log
         WHERE id < @before AND (@actor IS NULL OR actor = @actor) AND (@surface IS NULL OR surface = @surface)
           AND (@action IS NULL OR action = @action OR substr(action, 1, length(@action) + 1) = @action || '.')
           AND (@target IS NULL OR target = @target)
         ORDER BY id DESC LIMIT @limit`,
      ),
    };
  }

  record(
    actor: AuditActor,
    action: string,
    target: string | null,
    details?: Record<string, unknown>,
    now = systemClock(),
  ): void {
    this.#sql.insert.run(
      now,
      actor.id,
      actor.surface,
      action,
      target,
      details ? JSON.stringify(details) : null,
    );
  }

  /** Newest first; `before` is the id to continue below (keyset pagination). */
  list(before: number, limit: number): AuditEntry[] {
    return this.find({ before, limit });
  }

  find(filter: AuditFilter): AuditEntry[] {
    return this.#sql.page
      .all({
        before: filter.before ?? Number.MAX_SAFE_INTEGER,
        limit: filter.limit,
        actor: filter.actor ?? null,
        surface: filter.surface ?? null,
        action: filter.action ?? null,
        target: filter.target ?? null,
      })
      .map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));
  }
}
