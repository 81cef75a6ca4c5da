import type { Database, Statement } from 'better-sqlite3';

/** A stored link: only its token's hash is kept. */
export interface PasswordLink {
  id: number;
  userId: number;
  expiresAt: number;
  usedAt: number | null;
}

/** The password_links table. */
export class PasswordLinkRepo {
  readonly #sql: {
    insert: Statement<[string, number, string, number, number]>;
    byHash: Statement<[string], PasswordLink>;
    use: Statement<[number, number]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO password_links (token_hash, user_id, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      byHash: db.prepare(
        'SELECT id, user_id AS userId, expires_at AS expiresAt, used_at AS usedAt FROM password_links WHERE token_hash = ?',
      ),
      use: db.prepare('UPDATE password_links SET used_at = ? WHERE id = ? AND used_at IS NULL'),
    };
  }

  /** Returns the new link's id. */
  insert(tokenHash: string, userId: number, createdBy: string, now: number, expiresAt: number): number {
    return Number(this.#sql.insert.run(tokenHash, userId, createdBy, now, expiresAt).lastInsertRowid);
  }

  byHash(tokenHash: string): PasswordLink | undefined {
    return this.#sql.byHash.get(tokenHash);
  }

  /** Marks the link used; false when it was used already (by a concurrent request too). */
  spend(id: number, now: number): boolean {
    return this.#sql.use.run(now, id).changes === 1;
  }
}
