import type { Database, Statement } from 'better-sqlite3';

export interface EnrollmentCode {
  id: number;
  /** Host name the code creates; null lets the agent name itself (its hostname). */
  name: string | null;
  labels: Record<string, string>;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedFrom: string | null;
  hostId: number | null;
}

/** A stored code: its labels as the JSON text the table holds. */
type Row = Omit<EnrollmentCode, 'labels'> & { labels: string };

const COLUMNS = `id, name, labels, created_by AS createdBy, created_at AS createdAt, expires_at AS expiresAt,
  used_at AS usedAt, used_from AS usedFrom, host_id AS hostId`;

const toCode = (row: Row): EnrollmentCode => ({ ...row, labels: JSON.parse(row.labels) });

/** The enrollment_codes table; codes are stored as hashes. Only fleet/enrollment.ts writes here. */
export class EnrollmentRepo {
  readonly #sql: {
    insert: Statement<
      [
        {
          hash: string;
          name: string | null;
          labels: string;
          createdBy: string;
          now: number;
          expiresAt: number;
        },
      ],
      Row
    >;
    byHash: Statement<[string], Row>;
    byId: Statement<[number], Row>;
    page: Statement<[number, number], Row>;
    markUsed: Statement<[{ id: number; at: number; from: string; hostId: number }]>;
    end: Statement<[{ id: number; now: number }]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO enrollment_codes (code_hash, name, labels, created_by, created_at, expires_at)
         VALUES (@hash, @name, @labels, @createdBy, @now, @expiresAt) RETURNING ${COLUMNS}`,
      ),
      byHash: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE code_hash = ?`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE id = ?`),
      page: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE id < ? ORDER BY id DESC LIMIT ?`),
      markUsed: db.prepare(
        'UPDATE enrollment_codes SET used_at = @at, used_from = @from, host_id = @hostId WHERE id = @id AND used_at IS NULL',
      ),
      end: db.prepare(
        'UPDATE enrollment_codes SET expires_at = @now WHERE id = @id AND used_at IS NULL AND expires_at > @now',
      ),
    };
  }

  insert(input: {
    hash: string;
    name: string | null;
    labels: Record<string, string>;
    createdBy: string;
    now: number;
    expiresAt: number;
  }): EnrollmentCode {
    // RETURNING always yields the inserted row.
    return toCode(this.#sql.insert.get({ ...input, labels: JSON.stringify(input.labels) })!);
  }

  byHash(hash: string): EnrollmentCode | undefined {
    const row = this.#sql.byHash.get(hash);
    return row && toCode(row);
  }

  get(id: number): EnrollmentCode | undefined {
    const row = this.#sql.byId.get(id);
    return row && toCode(row);
  }

  /** Newest first; `before` is the id to continue below. */
  list(before: number, limit: number): EnrollmentCode[] {
    return this.#sql.page.all(before, limit).map(toCode);
  }

  /** True when this call used the code (false when another got there first). */
  markUsed(id: number, at: number, from: string, hostId: number): boolean {
    return this.#sql.markUsed.run({ id, at, from, hostId }).changes === 1;
  }

  /** Makes a pending code expire now; false when it was used or had expired. */
  end(id: number, now: number): boolean {
    return this.#sql.end.run({ id, now }).changes === 1;
  }
}
