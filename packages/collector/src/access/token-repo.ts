import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import type { Role } from './roles.ts';
import type { UserStatus } from './user-repo.ts';

export interface ApiToken {
  id: number;
  name: string;
  /** The role the token was created with; a user's token acts with the lower of this and the user's. */
  role: Role;
  userId: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A live token with its owner, as authentication needs it. */
export interface TokenOwner {
  token: ApiToken;
  user: { id: number; name: string; role: Role; status: UserStatus } | null;
  /** The user who minted it; null for tokens made by the config token or the CLI, or before this was kept. */
  mintedBy: number | null;
}

const COLS = `t.id, t.name, t.role, t.user_id AS userId, t.created_at AS createdAt, t.last_used_at AS lastUsedAt,
  t.revoked_at AS revokedAt`;

interface OwnerRow extends ApiToken {
  mintedBy: number | null;
  ownerName: string | null;
  ownerRole: Role | null;
  ownerStatus: UserStatus | null;
}

/** last_used_at is informational; writing it on every request would cost a write per call. */
const TOUCH_EVERY = 60_000;

/** API tokens, stored as SHA-256 hashes; the secret exists only in the answer that created it. */
export class TokenRepo {
  readonly #touched = new Map<number, number>();
  readonly #sql: {
    insert: Statement<[string, Role, string, number | null, number | null, number]>;
    byId: Statement<[number], ApiToken>;
    byHash: Statement<[string], OwnerRow>;
    list: Statement<[number, number], ApiToken>;
    listOfUser: Statement<[number, number, number], ApiToken>;
    count: Statement<[], { n: number }>;
    revoke: Statement<[number, number]>;
    revokeOfUser: Statement<[number, number]>;
    touch: Statement<[number, number]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO api_tokens (name, role, hash, user_id, minted_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare(`SELECT ${COLS} FROM api_tokens t WHERE t.id = ?`),
      byHash: db.prepare(
        `SELECT ${COLS}, t.minted_by AS mintedBy, u.name AS ownerName, u.role AS ownerRole, u.status AS ownerStatus
         FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
         WHERE t.hash = ? AND t.revoked_at IS NULL`,
      ),
      list: db.prepare(`SELECT ${COLS} FROM api_tokens t WHERE t.id > ? ORDER BY t.id LIMIT ?`),
      listOfUser: db.prepare(
        `SELECT ${COLS} FROM api_tokens t WHERE t.user_id = ? AND t.id > ? ORDER BY t.id LIMIT ?`,
      ),
      count: db.prepare('SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL'),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeOfUser: db.prepare(
        'UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL',
      ),
      touch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  /** Creates a token and returns its secret: the only time it is visible. */
  create(
    name: string,
    role: Role,
    userId: number | null,
    mintedBy: number | null = null,
    now = systemClock(),
  ): { token: ApiToken; secret: string } {
    const secret = newToken('api');
    const id = Number(
      this.#sql.insert.run(name, role, hashToken(secret), userId, mintedBy, now).lastInsertRowid,
    );
    return { token: this.get(id)!, secret };
  }

  get(id: number): ApiToken | undefined {
    return this.#sql.byId.get(id);
  }

  list(after: number, limit: number, userId?: number): ApiToken[] {
    return userId === undefined
      ? this.#sql.list.all(after, limit)
      : this.#sql.listOfUser.all(userId, after, limit);
  }

  /** Live tokens, for the "no token exists yet" hint at start. */
  live(): number {
    return this.#sql.count.get()!.n;
  }

  /** The live token with this secret and its owner, if any; the caller decides what the owner allows. */
  find(secret: string, now = systemClock()): TokenOwner | undefined {
    const row = this.#sql.byHash.get(hashToken(secret));
    if (!row) return undefined;
    if (now - (this.#touched.get(row.id) ?? 0) >= TOUCH_EVERY) {
      this.#touched.set(row.id, now);
      this.#sql.touch.run(now, row.id);
    }
    const { ownerName, ownerRole, ownerStatus, mintedBy, ...token } = row;
    const user =
      token.userId !== null && ownerName !== null && ownerRole !== null && ownerStatus !== null
        ? { id: token.userId, name: ownerName, role: ownerRole, status: ownerStatus }
        : null;
    return { token, user, mintedBy };
  }

  revoke(id: number, now = systemClock()): boolean {
    return this.#sql.revoke.run(now, id).changes > 0;
  }

  revokeOfUser(userId: number, now = systemClock()): number {
    return this.#sql.revokeOfUser.run(now, userId).changes;
  }
}
