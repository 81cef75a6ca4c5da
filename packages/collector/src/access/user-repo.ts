import { nameLook } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import type { Role } from './roles.ts';

export const USER_STATUSES = ['pending', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A person: their role, whether they may act, and which identities they have. */
export interface User {
  id: number;
  name: string;
  email: string | null;
  role: Role;
  status: UserStatus;
  /** Telegram `from.id`; null when the user has no Telegram identity. */
  telegramId: number | null;
  /** The private chat the bot reaches them in. */
  telegramChatId: number | null;
  /** Whether a web login (password) is set. */
  hasPassword: boolean;
  /** Audit id of whoever approved or created them (`user:3`, `config`, `cli`). */
  approvedBy: string | null;
  approvedAt: number | null;
  /** Set when an admin rejected their application; they may re-apply after the cooldown. */
  rejectedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserFilter {
  status?: UserStatus | undefined;
  after: number;
  limit: number;
}

export type NewUser = Pick<
  User,
  'name' | 'email' | 'role' | 'status' | 'telegramId' | 'telegramChatId' | 'approvedBy'
> & { now: number };

type Row = Omit<User, 'hasPassword'> & { hasPassword: 0 | 1 };

const COLS = `id, name, email, role, status, telegram_id AS telegramId, telegram_chat_id AS telegramChatId,
  password_hash IS NOT NULL AS hasPassword, approved_by AS approvedBy, approved_at AS approvedAt,
  rejected_at AS rejectedAt, created_at AS createdAt, coalesce(updated_at, created_at) AS updatedAt`;

const toUser = (r: Row | undefined): User | undefined => r && { ...r, hasPassword: r.hasPassword === 1 };

/** The users table and the identities stored on it. Only commands in access/ write here. */
export class UserRepo {
  readonly #sql: {
    insert: Statement<[NewUser]>;
    byId: Statement<[number], Row>;
    byName: Statement<[string], Row>;
    names: Statement<[], { id: number; name: string }>;
    byTelegram: Statement<[number], Row>;
    list: Statement<[number, number], Row>;
    listByStatus: Statement<[string, number, number], Row>;
    activeAdmins: Statement<[], { n: number }>;
    setRole: Statement<[Role, number, number]>;
    setEmail: Statement<[string | null, number, number]>;
    setStatus: Statement<[UserStatus, number, number]>;
    approve: Statement<[{ id: number; role: Role; by: string; now: number }]>;
    reject: Statement<[{ id: number; now: number }]>;
    reapply: Statement<[string, string | null, number, number, number]>;
    setPassword: Statement<[string, number, number, number]>;
    passwordOf: Statement<[string], { id: number; hash: string | null; status: UserStatus }>;
    remove: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO users (name, email, role, status, telegram_id, telegram_chat_id, approved_by, approved_at, created_at, updated_at)
         VALUES (@name, @email, @role, @status, @telegramId, @telegramChatId, @approvedBy,
                 CASE WHEN @approvedBy IS NULL THEN NULL ELSE @now END, @now, @now)`,
      ),
      byId: db.prepare(`SELECT ${COLS} FROM users WHERE id = ?`),
      byName: db.prepare(`SELECT ${COLS} FROM users WHERE name = ?`),
      names: db.prepare('SELECT id, name FROM users'),
      byTelegram: db.prepare(`SELECT ${COLS} FROM users WHERE telegram_id = ?`),
      list: db.prepare(`SELECT ${COLS} FROM users WHERE id > ? ORDER BY id LIMIT ?`),
      listByStatus: db.prepare(`SELECT ${COLS} FROM users WHERE status = ? AND id > ? ORDER BY id LIMIT ?`),
      activeAdmins: db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND status = 'active'"),
      setRole: db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE id = ?'),
      setEmail: db.prepare('UPDATE users SET email = ?, updated_at = ? WHERE id = ?'),
      setStatus: db.prepare('UPDATE users SET status = ?, updated_at = ? WHERE id = ?'),
      approve: db.prepare(
        `UPDATE users SET status = 'active', role = @role, approved_by = @by, approved_at = @now,
           rejected_at = NULL, updated_at = @now WHERE id = @id`,
      ),
      reject: db.prepare(
        "UPDATE users SET status = 'disabled', rejected_at = @now, updated_at = @now WHERE id = @id",
      ),
      reapply: db.prepare(
        `UPDATE users SET name = ?, email = ?, telegram_chat_id = ?, status = 'pending', rejected_at = NULL,
           updated_at = ? WHERE id = ?`,
      ),
      setPassword: db.prepare(
        'UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?',
      ),
      passwordOf: db.prepare('SELECT id, password_hash AS hash, status FROM users WHERE name = ?'),
      remove: db.prepare('DELETE FROM users WHERE id = ?'),
    };
  }

  insert(user: NewUser): User {
    const id = Number(this.#sql.insert.run(user).lastInsertRowid);
    return this.get(id)!;
  }

  get(id: number): User | undefined {
    return toUser(this.#sql.byId.get(id));
  }

  byName(name: string): User | undefined {
    return toUser(this.#sql.byName.get(name));
  }

  /** The name of another user whose name reads like this one (same `nameLook`), if any. */
  lookalike(name: string, except?: number): string | undefined {
    const look = nameLook(name);
    return this.#sql.names.all().find((u) => u.id !== except && nameLook(u.name) === look)?.name;
  }

  byTelegram(telegramId: number): User | undefined {
    return toUser(this.#sql.byTelegram.get(telegramId));
  }

  list(filter: UserFilter): User[] {
    const rows = filter.status
      ? this.#sql.listByStatus.all(filter.status, filter.after, filter.limit)
      : this.#sql.list.all(filter.after, filter.limit);
    return rows.map((r) => toUser(r)!);
  }

  activeAdmins(): number {
    return this.#sql.activeAdmins.get()!.n;
  }

  setRole(id: number, role: Role, now: number): void {
    this.#sql.setRole.run(role, now, id);
  }

  setEmail(id: number, email: string | null, now: number): void {
    this.#sql.setEmail.run(email, now, id);
  }

  setStatus(id: number, status: UserStatus, now: number): void {
    this.#sql.setStatus.run(status, now, id);
  }

  approve(id: number, role: Role, by: string, now: number): void {
    this.#sql.approve.run({ id, role, by, now });
  }

  reject(id: number, now: number): void {
    this.#sql.reject.run({ id, now });
  }

  /** A rejected applicant after the cooldown: pending again, with what they typed this time. */
  reapply(id: number, name: string, email: string | null, chatId: number, now: number): void {
    this.#sql.reapply.run(name, email, chatId, now, id);
  }

  setPassword(id: number, hash: string, now: number): void {
    this.#sql.setPassword.run(hash, now, now, id);
  }

  /** The stored password hash of the user with this name (login looks users up by name). */
  passwordOf(name: string): { id: number; hash: string | null; status: UserStatus } | undefined {
    return this.#sql.passwordOf.get(name);
  }

  remove(id: number): boolean {
    return this.#sql.remove.run(id).changes > 0;
  }
}
