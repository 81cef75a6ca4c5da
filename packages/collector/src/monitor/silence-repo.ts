import type { Database, Statement } from 'better-sqlite3';
import type { Silence } from './silences.ts';

/** A silence as inserted: everything but its id and counter. */
export type SilenceRow = Omit<Silence, 'id' | 'suppressed'>;

const COLS = `id, kind, host_id AS hostId, host_pattern AS hostPattern, label_key AS labelKey, label_value AS labelValue, rule_id AS ruleId,
  incident_id AS incidentId, starts_at AS startsAt, ends_at AS endsAt, reason, created_by AS createdBy,
  created_at AS createdAt, suppressed`;

/** The silences table (silences and maintenance windows). */
export class SilenceRepo {
  readonly #sql: {
    insert: Statement<[SilenceRow]>;
    active: Statement<[number, number], Silence>;
    list: Statement<[number], Silence>;
    get: Statement<[number], Silence>;
    end: Statement<[number, number]>;
    count: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO silences (kind, host_id, host_pattern, label_key, label_value, rule_id, incident_id, starts_at, ends_at, reason, created_by, created_at)
         VALUES (@kind, @hostId, @hostPattern, @labelKey, @labelValue, @ruleId, @incidentId, @startsAt, @endsAt, @reason, @createdBy, @createdAt)`,
      ),
      active: db.prepare(`SELECT ${COLS} FROM silences WHERE starts_at <= ? AND ends_at > ? ORDER BY id`),
      list: db.prepare(`SELECT ${COLS} FROM silences WHERE ends_at > ? ORDER BY starts_at, id`),
      get: db.prepare(`SELECT ${COLS} FROM silences WHERE id = ?`),
      end: db.prepare('UPDATE silences SET ends_at = MIN(ends_at, ?) WHERE id = ?'),
      count: db.prepare('UPDATE silences SET suppressed = suppressed + 1 WHERE id = ?'),
    };
  }

  /** Returns the new silence's id. */
  insert(row: SilenceRow): number {
    return Number(this.#sql.insert.run(row).lastInsertRowid);
  }

  get(id: number): Silence | undefined {
    return this.#sql.get.get(id);
  }

  /** Silences and windows that have not ended at `now`, scheduled ones included. */
  unended(now: number): Silence[] {
    return this.#sql.list.all(now);
  }

  /** Silences and windows in force at `now`. */
  active(now: number): Silence[] {
    return this.#sql.active.all(now, now);
  }

  /** Moves the end to `now` if it is later; false when there is no such silence. */
  end(id: number, now: number): boolean {
    return this.#sql.end.run(now, id).changes > 0;
  }

  countSuppressed(id: number): void {
    this.#sql.count.run(id);
  }
}
