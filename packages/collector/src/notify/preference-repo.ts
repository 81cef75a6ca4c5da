import type { Database, Statement } from 'better-sqlite3';
import type { Severity } from './message.ts';
import type { Preferences } from './preferences.ts';

type Row = {
  userId: number;
  minSeverity: Severity;
  quietStart: number | null;
  quietEnd: number | null;
  timeZone: string;
  mutedUntil: number | null;
};

type Upsert = Omit<Row, 'userId'> & { userId: number; now: number };

const COLS = `user_id AS userId, min_severity AS minSeverity, quiet_start AS quietStart, quiet_end AS quietEnd,
  time_zone AS timeZone, muted_until AS mutedUntil`;

const toPreferences = (r: Row): Preferences => ({
  minSeverity: r.minSeverity,
  quiet: r.quietStart === null || r.quietEnd === null ? null : { start: r.quietStart, end: r.quietEnd },
  timeZone: r.timeZone,
  mutedUntil: r.mutedUntil,
});

/** The notify_preferences table: a row per user who changed a setting. */
export class PreferenceRepo {
  readonly #sql: {
    all: Statement<[], Row>;
    get: Statement<[number], Row>;
    upsert: Statement<[Upsert]>;
  };

  constructor(db: Database) {
    this.#sql = {
      all: db.prepare(`SELECT ${COLS} FROM notify_preferences`),
      get: db.prepare(`SELECT ${COLS} FROM notify_preferences WHERE user_id = ?`),
      upsert: db.prepare(
        `INSERT INTO notify_preferences (user_id, min_severity, quiet_start, quiet_end, time_zone, muted_until, updated_at)
         VALUES (@userId, @minSeverity, @quietStart, @quietEnd, @timeZone, @mutedUntil, @now)
         ON CONFLICT (user_id) DO UPDATE SET min_severity = excluded.min_severity, quiet_start = excluded.quiet_start,
           quiet_end = excluded.quiet_end, time_zone = excluded.time_zone, muted_until = excluded.muted_until,
           updated_at = excluded.updated_at`,
      ),
    };
  }

  /** Every user's settings at once, for one fan-out. */
  all(): Map<number, Preferences> {
    return new Map(this.#sql.all.all().map((r) => [r.userId, toPreferences(r)]));
  }

  get(userId: number): Preferences | undefined {
    const row = this.#sql.get.get(userId);
    return row === undefined ? undefined : toPreferences(row);
  }

  set(userId: number, p: Preferences, now: number): void {
    this.#sql.upsert.run({
      userId,
      minSeverity: p.minSeverity,
      quietStart: p.quiet?.start ?? null,
      quietEnd: p.quiet?.end ?? null,
      timeZone: p.timeZone,
      mutedUntil: p.mutedUntil,
      now,
    });
  }
}
