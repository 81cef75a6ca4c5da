import { cleanName, formatDuration, PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { EventBus, UserChange } from '../events.ts';
import type { AuditLog, Surface } from '../store/audit.ts';
import { type Actor, demand, userActor } from './actor.ts';
import type { ContactPoints } from './contact-repo.ts';
import { checkPassword, decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { can, type Role } from './roles.ts';
import { checkEmail, checkName, checkRole, Refused } from './user-checks.ts';
import type { User, UserFilter, UserRepo } from './user-repo.ts';

export interface UsersDeps {
  db: Database;
  users: UserRepo;
  /** Where a user's alerts go: kept in step with their Telegram identity and e-mail. */
  contacts: ContactPoints;
  audit: AuditLog;
  events: EventBus;
  /** How long a rejected applicant must wait before applying again, ms. */
  rejectCooldown: number;
  now?: () => number;
}

export interface TelegramApplication {
  /** Telegram `from.id`. */
  telegramId: number;
  /** The private chat the bot answers in. */
  chatId: number;
  name: string;
  email?: string | null | undefined;
}

/**
 * Everything that happens to people: applying through Telegram, approval, roles, disabling,
 * passwords. Each command checks the actor's permission, writes in one transaction, records
 * the audit entry and then announces `user.pending` or `user.changed`.
 */
export class Users {
  readonly #d: UsersDeps;
  readonly #now: () => number;

  constructor(deps: UsersDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
  }

  list(actor: Actor, filter: UserFilter): User[] {
    demand(actor, 'users.manage');
    return this.#d.users.list(filter);
  }

  get(actor: Actor, id: number): User {
    if (actor.userId !== id) demand(actor, 'users.manage');
    return this.#must(id);
  }

  /** The user behind a Telegram account, whatever their status (the bot answers pending and disabled ones itself). */
  byTelegram(telegramId: number): User | undefined {
    return this.#d.users.byTelegram(telegramId);
  }

  /** The Actor of an active user acting through a surface (bot, console session); null when they may not act. */
  actorFor(userId: number, surface: Surface): Actor | null {
    const user = this.#d.users.get(userId);
    return user?.status === 'active' ? userActor(user, surface) : null;
  }

  /** An admin adds somebody directly: active at once, optionally with a password. */
  async create(
    actor: Actor,
    input: { name: string; email?: string | null | undefined; role: Role; password?: string | undefined },
  ): Promise<User> {
    demand(actor, 'users.manage');
    const name = checkName(input.name);
    const email = checkEmail(input.email);
    const role = checkRole(input.role);
    if (input.password !== undefined) checkPassword(input.password);
    const hash = input.password === undefined ? null : await hashPassword(input.password);
    const now = this.#now();
    const user = this.#d.db.transaction(() => {
      this.#freeName(name);
      const created = this.#d.users.insert({
        name,
        email,
        role,
        status: 'active',
        telegramId: null,
        telegramChatId: null,
        approvedBy: actor.id,
        now,
      });
      if (hash) this.#d.users.setPassword(created.id, hash, now);
      this.#d.contacts.setEmail(created.id, name, email, now);
      this.#d.audit.record(actor, 'user.create', `user:${created.id}`, {
        name,
        role,
        password: hash !== null,
      });
      return this.#d.users.get(created.id)!;
    })();
    this.#changed(user, 'created', now);
    return user;
  }

  /**
   * Somebody writes to the bot: a pending user waiting for an admin. Refused while they are
   * pending or active already, while disabled, and during the cooldown after a rejection.
   */
  registerTelegram(application: TelegramApplication): User {
    const { telegramId, chatId } = application;
    if (!Number.isSafeInteger(telegramId) || telegramId <= 0 || !Number.isSafeInteger(chatId)) {
      throw new PantauError(
        'VALIDATION_FAILED',
        'telegramId must be a positive integer and chatId an integer',
      );
    }
    const name = checkName(application.name);
    const email = checkEmail(application.email);
    const applicant: Actor = {
      userId: null,
      id: `telegram:${telegramId}`,
      name,
      role: 'viewer',
      surface: 'telegram',
    };
    const now = this.#now();
    let user: User;
    try {
      user = this.#d.db.transaction(() => {
        const known = this.#d.users.byTelegram(telegramId);
        if (!known) {
          this.#freeName(name);
          const created = this.#d.users.insert({
            name,
            email,
            role: 'viewer',
            status: 'pending',
            telegramId,
            telegramChatId: chatId,
            approvedBy: null,
            now,
          });
          this.#d.contacts.setTelegram(created.id, name, chatId, now);
          this.#d.contacts.setEmail(created.id, name, email, now);
          this.#d.audit.record(applicant, 'user.register', `user:${created.id}`, { name, email });
          return created;
        }
        if (known.status === 'pending') {
          throw new PantauError('CONFLICT', `${known.name}'s application is waiting for an admin already`);
        }
        if (known.status === 'active') {
          throw new PantauError('CONFLICT', `this Telegram account is registered already as ${known.name}`);
        }
        if (known.rejectedAt === null) {
          throw new PantauError('FORBIDDEN', `${known.name} is disabled; only an admin can enable them`);
        }
        const again = known.rejectedAt + this.#d.rejectCooldown;
        if (now < again) {
          throw new Refused(
            'user.register',
            known,
            `the application of ${known.name} was rejected; applying again is possible in ${formatDuration(again - now)}`,
          );
        }
        if (name !== known.name) this.#freeName(name, known.id);
        this.#d.users.reapply(known.id, name, email, chatId, now);
        this.#d.contacts.setTelegram(known.id, name, chatId, now);
        this.#d.contacts.setEmail(known.id, name, email, now);
        this.#d.audit.record(applicant, 'user.register', `user:${known.id}`, { name, email, again: true });
        return this.#d.users.get(known.id)!;
      })();
    } catch (err) {
      if (err instanceof Refused)
        this.#d.audit.record(applicant, err.action, err.target, { reason: err.message });
      throw err;
    }
    this.#d.events.emit('user.pending', {
      userId: user.id,
      name: user.name,
      email: user.email,
      telegramId: user.telegramId,
      at: now,
    });
    return user;
  }

  /**
   * What a Telegram claim code grants (access/telegram-claims.ts checks the code): the sender
   * becomes an active admin, added under their Telegram name when new. `spend` marks the code
   * used in the same transaction; when it returns false (another message used it first) nothing
   * changes and the answer is undefined.
   */
  claimAdmin(
    application: TelegramApplication,
    claim: { id: number; spend: () => boolean },
  ): User | undefined {
    const { telegramId, chatId } = application;
    const applicant = { id: `telegram:${telegramId}`, surface: 'telegram' } as const;
    const by = `claim:${claim.id}`;
    const now = this.#now();
    const user = this.#d.db.transaction((): User | undefined => {
      if (!claim.spend()) return undefined;
      const known = this.#d.users.byTelegram(telegramId);
      let id: number;
      if (known === undefined) {
        id = this.#d.users.insert({
          name: this.#telegramName(application.name, telegramId),
          email: null,
          role: 'admin',
          status: 'active',
          telegramId,
          telegramChatId: chatId,
          approvedBy: by,
          now,
        }).id;
      } else {
        id = known.id;
        if (known.status === 'pending') this.#d.users.approve(id, 'admin', by, now);
        else {
          this.#d.users.setRole(id, 'admin', now);
          this.#d.users.setStatus(id, 'active', now);
        }
      }
      const user = this.#must(id);
      this.#d.contacts.setTelegram(id, user.name, chatId, now);
      this.#d.audit.record(applicant, 'telegram.claim.redeem', `user:${id}`, { claim: claim.id }, now);
      return user;
    })();
    // The bot answers the claim itself; this event only brings the admin's menu.
    if (user !== undefined) this.#changed(user, 'telegram', now);
    return user;
  }

  approve(actor: Actor, id: number, role: Role): User {
    return this.#change(actor, id, 'approved', 'user.approve', (user, now) => {
      checkRole(role);
      if (user.status !== 'pending') {
        throw new PantauError(
          'CONFLICT',
          `${user.name} is ${user.status}; only pending users can be approved`,
        );
      }
      this.#d.users.approve(user.id, role, actor.id, now);
      return { role };
    });
  }

  reject(actor: Actor, id: number): User {
    return this.#change(actor, id, 'rejected', 'user.reject', (user, now) => {
      if (user.status !== 'pending') {
        throw new PantauError(
          'CONFLICT',
          `${user.name} is ${user.status}; only pending users can be rejected`,
        );
      }
      this.#d.users.reject(user.id, now);
      return { cooldownMs: this.#d.rejectCooldown };
    });
  }

  setRole(actor: Actor, id: number, role: Role): User {
    return this.#change(actor, id, 'role', 'user.role', (user, now) => {
      checkRole(role);
      if (actor.userId === user.id) {
        throw new Refused('user.role', user, 'nobody changes their own role; ask another admin');
      }
      if (can(user, 'users.manage') && !can({ role }, 'users.manage')) this.#keepAnAdmin('user.role', user);
      this.#d.users.setRole(user.id, role, now);
      return { from: user.role, to: role };
    });
  }

  /** Role and e-mail at once (the API's PATCH): everything is checked before the first write, and the role goes first, so a refusal changes neither. */
  update(
    actor: Actor,
    id: number,
    patch: { role?: Role | undefined; email?: string | null | undefined },
  ): User {
    demand(actor, 'users.manage');
    if (patch.role !== undefined) checkRole(patch.role);
    if (patch.email !== undefined) checkEmail(patch.email);
    let user = this.#must(id);
    if (patch.role !== undefined && patch.role !== user.role) user = this.setRole(actor, id, patch.role);
    if (patch.email !== undefined && patch.email !== user.email) user = this.setEmail(actor, id, patch.email);
    return user;
  }

  setEmail(actor: Actor, id: number, email: string | null): User {
    return this.#change(actor, id, 'email', 'user.email', (user, now) => {
      const checked = checkEmail(email);
      this.#d.users.setEmail(user.id, checked, now);
      this.#d.contacts.setEmail(user.id, user.name, checked, now);
      return {};
    });
  }

  disable(actor: Actor, id: number): User {
    return this.#change(actor, id, 'disabled', 'user.disable', (user, now) => {
      if (actor.userId === user.id) {
        throw new Refused('user.disable', user, 'you cannot disable yourself; ask another admin');
      }
      if (user.status !== 'active') {
        throw new PantauError(
          'CONFLICT',
          `${user.name} is ${user.status}; only active users can be disabled`,
        );
      }
      if (can(user, 'users.manage')) this.#keepAnAdmin('user.disable', user);
      this.#d.users.setStatus(user.id, 'disabled', now);
      return {};
    });
  }

  enable(actor: Actor, id: number): User {
    return this.#change(actor, id, 'enabled', 'user.enable', (user, now) => {
      if (user.status !== 'disabled') {
        throw new PantauError(
          'CONFLICT',
          `${user.name} is ${user.status}; only disabled users can be enabled`,
        );
      }
      if (user.approvedAt === null) {
        throw new PantauError('CONFLICT', `${user.name} was rejected, never approved; they can apply again`);
      }
      this.#d.users.setStatus(user.id, 'active', now);
      return {};
    });
  }

  /** Removes a user, their tokens and identities; their audit entries stay. */
  remove(actor: Actor, id: number): User {
    return this.#change(actor, id, 'removed', 'user.delete', (user) => {
      if (actor.userId === user.id) {
        throw new Refused('user.delete', user, 'you cannot remove yourself; ask another admin');
      }
      if (can(user, 'users.manage') && user.status === 'active') this.#keepAnAdmin('user.delete', user);
      this.#d.users.remove(user.id);
      return { name: user.name };
    });
  }

  /** Sets a web login password: an admin for anybody, a user for themselves. */
  async setPassword(actor: Actor, id: number, password: string): Promise<User> {
    if (actor.userId !== id) demand(actor, 'users.manage');
    this.#must(id);
    checkPassword(password);
    const hash = await hashPassword(password);
    return this.#change(actor, id, 'password', 'user.password', (user, now) => {
      this.#d.users.setPassword(user.id, hash, now);
      return {};
    });
  }

  /** A web login: the active user with this name and password, or null (same time either way). */
  async verifyPassword(name: string, password: string): Promise<User | null> {
    const found = this.#d.users.passwordOf(name);
    const ok = await verifyPassword(password, found?.hash ?? (await decoyHash()));
    if (!ok || !found?.hash || found.status !== 'active') return null;
    return this.#d.users.get(found.id) ?? null;
  }

  #must(id: number): User {
    const user = this.#d.users.get(id);
    if (!user) throw new PantauError('NOT_FOUND', `no user with id ${id}`);
    return user;
  }

  #freeName(name: string, except?: number): void {
    const clash = this.#nameClash(name, except);
    if (clash !== undefined) throw new PantauError('CONFLICT', `${clash}; choose another name`);
  }

  /** Why nobody else may be called this, or undefined when the name is free. */
  #nameClash(name: string, except?: number): string | undefined {
    if (this.#d.users.byName(name)) return `a user named ${name} exists already`;
    const lookalike = this.#d.users.lookalike(name, except);
    return lookalike === undefined
      ? undefined
      : `${name} reads like the existing user ${lookalike} (same letters, other case or width)`;
  }

  /** A claimant's Telegram first name, with their Telegram id when it clashes: a claim never fails on a name. */
  #telegramName(name: string, telegramId: number): string {
    const clean = cleanName(name, 100) || `telegram-${telegramId}`;
    return this.#nameClash(clean) === undefined ? clean : `${clean} (${telegramId})`;
  }

  #keepAnAdmin(action: string, user: User): void {
    if (user.status === 'active' && this.#d.users.activeAdmins() <= 1) {
      throw new Refused(action, user, `${user.name} is the last active admin; make another admin first`);
    }
  }

  /** The shape of every admin command on one user: permission, transaction, audit, event. */
  #change(
    actor: Actor,
    id: number,
    change: UserChange,
    action: string,
    apply: (user: User, now: number) => Record<string, unknown>,
  ): User {
    if (change !== 'password') demand(actor, 'users.manage');
    const now = this.#now();
    let user: User;
    try {
      user = this.#d.db.transaction(() => {
        const before = this.#must(id);
        const details = apply(before, now);
        this.#d.audit.record(actor, action, `user:${before.id}`, details, now);
        return this.#d.users.get(id) ?? { ...before, updatedAt: now };
      })();
    } catch (err) {
      // Recorded after the rollback, so the refusal is in the log and nothing else changed.
      if (err instanceof Refused)
        this.#d.audit.record(actor, err.action, err.target, { reason: err.message });
      throw err;
    }
    this.#changed(user, change, now);
    return user;
  }

  #changed(user: User, change: UserChange, at: number): void {
    this.#d.events.emit('user.changed', {
      userId: user.id,
      name: user.name,
      role: user.role,
      status: user.status,
      change,
      at,
    });
  }
}
