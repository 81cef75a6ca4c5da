import type { Database, Statement } from 'better-sqlite3';

/** A stored Telegram claim code (the code itself is kept only as its hash). */
export interface StoredClaim {
  id: number;
  expiresAt: number;
  usedAt: number | null;
}

/** The telegram_claims table. Only access/telegram-claims.ts writes here. */
export class ClaimRepo {
  readonly #sql: {
    insert: Statement<[{ hash: string; createdBy: string; now: number; expiresAt: number }]>;
    byHash: Statement<[string], StoredClaim>;
    use: Statement<[{ id: number; now: number; telegramId: number }]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO telegram_claims (code_hash, created_by, created_at, expires_at) VALUES (@hash, @createdBy, @now, @expiresAt)',
      ),
      byHash: db.prepare(
        'SELECT id, expires_at AS expiresAt, used_at AS usedAt FROM telegram_claims WHERE code_hash = ?',
      ),
      use: db.prepare(
        'UPDATE telegram_claims SET used_at = @now, used_by = @telegramId WHERE id = @id AND used_at IS NULL',
      ),
    };
  }

  /** The new claim's id. */
  insert(claim: { hash: string; createdBy: string; now: number; expiresAt: number }): number {
    return Number(this.#sql.insert.run(claim).lastInsertRowid);
  }

  byHash(hash: string): StoredClaim | undefined {
    return this.#sql.byHash.get(hash);
  }

  /** True when this call used the claim (false when another got there first). */
  use(id: number, telegramId: number, now: number): boolean {
    return this.#sql.use.run({ id, now, telegramId }).changes === 1;
  }
}
