import type { Database, Statement } from 'better-sqlite3';

export interface WebSession {
  id: number;
  userId: number;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end, ms since the epoch; the idle timeout is checked against lastSeenAt. */
  expiresAt: number;
  endedAt: number | null;
  endedWhy: string | null;
}

const COLUMNS = `id, user_id AS userId, csrf, created_at AS createdAt, last_seen_at AS lastSeenAt,
  expires_at AS expiresAt, ended_at AS endedAt, ended_why AS endedWhy`;

/** Web sessions in SQLite; only a hash of each session token is stored. */
export class SessionRepo {
  readonly #s: {
    insert: Statement;
    byHash: Statement;
    touch: Statement;
    end: Statement;
    endForUser: Statement;
    purge: Statement;
  };

  constructor(db: Database) {
    this.#s = {
      insert: db.prepare(
        `INSERT INTO web_sessions (token_hash, csrf, user_id, created_at, last_seen_at, expires_at, address, user_agent)
         VALUES (@tokenHash, @csrf, @userId, @now, @now, @expiresAt, @address, @userAgent)`,
      ),
      byHash: db.prepare(`SELECT ${COLUMNS} FROM web_sessions WHERE token_hash = ?`),
      touch: db.prepare('UPDATE web_sessions SET last_seen_at = ? WHERE id = ?'),
      end: db.prepare(
        'UPDATE web_sessions SET ended_at = ?, ended_why = ? WHERE id = ? AND ended_at IS NULL',
      ),
      endForUser: db.prepare(
        'UPDATE web_sessions SET ended_at = ?, ended_why = ? WHERE user_id = ? AND ended_at IS NULL',
      ),
      purge: db.prepare('DELETE FROM web_sessions WHERE COALESCE(ended_at, expires_at) < ?'),
    };
  }

  insert(row: {
    tokenHash: string;
    csrf: string;
    userId: number;
    now: number;
    expiresAt: number;
    address: string | null;
    userAgent: string | null;
  }): number {
    return Number(this.#s.insert.run(row).lastInsertRowid);
  }

  byHash(hash: string): WebSession | undefined {
    return this.#s.byHash.get(hash) as WebSession | undefined;
  }

  touch(id: number, now: number): void {
    this.#s.touch.run(now, id);
  }

  end(id: number, why: string, now: number): boolean {
    return this.#s.end.run(now, why, id).changes > 0;
  }

  endForUser(userId: number, why: string, now: number): number {
    return this.#s.endForUser.run(now, why, userId).changes;
  }

  /** Forgets sessions that ended or expired before `before`. */
  purge(before: number): number {
    return this.#s.purge.run(before).changes;
  }
}
