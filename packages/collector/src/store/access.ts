import type { Database, Statement } from 'better-sqlite3';
import { hashToken, newToken } from '../security/tokens.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  name: string;
  email: string | null;
  role: Role;
  createdAt: number;
}

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  userId: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface TokenRow {
  id: number;
  name: string;
  role: Role;
  user_id: number | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  name: r.name,
  role: r.role,
  userId: r.user_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const USER_COLS = 'id, name, email, role, created_at AS createdAt';
const TOKEN_COLS = 'id, name, role, user_id, created_at, last_used_at, revoked_at';
/** last_used_at is informational; writing it on every request would cost a write per call. */
const TOUCH_EVERY = 60_000;

/** Users and API tokens (stored as hashes). */
export class AccessRepo {
  readonly #s: Record<string, Statement>;
  readonly #touched = new Map<number, number>();

  constructor(db: Database) {
    this.#s = {
      addUser: db.prepare('INSERT INTO users (name, email, role, created_at) VALUES (?, ?, ?, ?)'),
      user: db.prepare(`SELECT ${USER_COLS} FROM users WHERE id = ?`),
      userByName: db.prepare(`SELECT ${USER_COLS} FROM users WHERE name = ?`),
      users: db.prepare(`SELECT ${USER_COLS} FROM users WHERE id > ? ORDER BY id LIMIT ?`),
      setUser: db.prepare('UPDATE users SET email = ?, role = ? WHERE id = ?'),
      delUser: db.prepare('DELETE FROM users WHERE id = ?'),
      addToken: db.prepare(
        'INSERT INTO api_tokens (name, role, hash, user_id, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      token: db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE id = ?`),
      tokenByHash: db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`),
      tokens: db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE id > ? ORDER BY id LIMIT ?`),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      touch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
      capTokens: db.prepare(
        `UPDATE api_tokens SET role = ? WHERE user_id = ? AND revoked_at IS NULL AND
           (CASE role WHEN 'admin' THEN 3 WHEN 'operator' THEN 2 ELSE 1 END) > ?`,
      ),
    };
  }

  addUser(name: string, email: string | null, role: Role, now = Date.now()): User {
    const id = Number(this.#s.addUser!.run(name, email, role, now).lastInsertRowid);
    return this.user(id)!;
  }

  user(id: number): User | undefined {
    return this.#s.user!.get(id) as User | undefined;
  }

  userByName(name: string): User | undefined {
    return this.#s.userByName!.get(name) as User | undefined;
  }

  users(after: number, limit: number): User[] {
    return this.#s.users!.all(after, limit) as User[];
  }

  /** Changes a user; a lowered role also lowers that user's tokens (a token never outranks its user). */
  updateUser(id: number, email: string | null, role: Role): User | undefined {
    this.#s.setUser!.run(email, role, id);
    this.#s.capTokens!.run(role, id, ROLES.indexOf(role) + 1);
    return this.user(id);
  }

  deleteUser(id: number): boolean {
    return this.#s.delUser!.run(id).changes > 0;
  }

  /** Creates a token and returns its secret: the only time it is visible. */
  createToken(
    name: string,
    role: Role,
    userId: number | null,
    now = Date.now(),
  ): { token: ApiToken; secret: string } {
    const secret = newToken('api');
    const id = Number(this.#s.addToken!.run(name, role, hashToken(secret), userId, now).lastInsertRowid);
    return { token: this.token(id)!, secret };
  }

  token(id: number): ApiToken | undefined {
    const row = this.#s.token!.get(id) as TokenRow | undefined;
    return row && toToken(row);
  }

  tokens(after: number, limit: number): ApiToken[] {
    return (this.#s.tokens!.all(after, limit) as TokenRow[]).map(toToken);
  }

  /** The live (not revoked) token with this secret, if any. */
  authenticate(secret: string, now = Date.now()): ApiToken | undefined {
    const row = this.#s.tokenByHash!.get(hashToken(secret)) as TokenRow | undefined;
    if (!row) return undefined;
    if (now - (this.#touched.get(row.id) ?? 0) >= TOUCH_EVERY) {
      this.#touched.set(row.id, now);
      this.#s.touch!.run(now, row.id);
    }
    return toToken(row);
  }

  revokeToken(id: number, now = Date.now()): boolean {
    return this.#s.revoke!.run(now, id).changes > 0;
  }
}
