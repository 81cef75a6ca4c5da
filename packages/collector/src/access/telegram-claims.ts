import { randomBytes } from 'node:crypto';
import { cleanName, PantauError } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { ContactPoints } from '../notify/contacts.ts';
import { hashToken } from '../security/tokens.ts';
import type { AuditLog } from '../store/audit.ts';
import { type Actor, demand } from './actor.ts';
import type { User, UserRepo } from './user-repo.ts';

/** How long a claim code works. */
export const CLAIM_TTL_MS = 15 * 60_000;

/** `/start CODE` carries it; Telegram start parameters allow A-Z a-z 0-9 _ - up to 64 characters. */
const CODE = /^claim_[A-Za-z0-9_-]{20,40}$/;

export interface TelegramClaimDeps {
  db: Database;
  users: UserRepo;
  contacts: ContactPoints;
  audit: AuditLog;
  events: EventBus;
  now?: () => number;
}

/**
 * The one way to become admin from the chat: an admin at the collector's machine makes a
 * one-time code (`pantau-collector telegram claim`), and whoever sends `/start CODE` to the bot
 * in a private chat within 15 minutes becomes an active admin with that Telegram identity.
 * Codes are stored hashed; using, expiring and failing are audited.
 */
export class TelegramClaims {
  readonly #d: TelegramClaimDeps;
  readonly #now: () => number;
  readonly #sql: {
    insert: Statement<[string, string, number, number]>;
    byHash: Statement<[string], { id: number; expiresAt: number; usedAt: number | null }>;
    use: Statement<[number, number, number]>;
  };

  constructor(deps: TelegramClaimDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
    this.#sql = {
      insert: deps.db.prepare(
        'INSERT INTO telegram_claims (code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ),
      byHash: deps.db.prepare(
        'SELECT id, expires_at AS expiresAt, used_at AS usedAt FROM telegram_claims WHERE code_hash = ?',
      ),
      use: deps.db.prepare(
        'UPDATE telegram_claims SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL',
      ),
    };
  }

  /** A new code, shown once. */
  create(actor: Actor): { code: string; expiresAt: number } {
    demand(actor, 'users.manage');
    const now = this.#now();
    const code = `claim_${randomBytes(18).toString('base64url')}`;
    const expiresAt = now + CLAIM_TTL_MS;
    this.#d.db.transaction(() => {
      const { lastInsertRowid } = this.#sql.insert.run(hashToken(code), actor.id, now, expiresAt);
      this.#d.audit.record(actor, 'telegram.claim.create', `claim:${lastInsertRowid}`, { expiresAt }, now);
    })();
    return { code, expiresAt };
  }

  /** Makes the sender an active admin, or throws FORBIDDEN without saying which check failed. */
  redeem(input: { code: string; telegramId: number; chatId: number; name: string }): User {
    const now = this.#now();
    const applicant = { id: `telegram:${input.telegramId}`, surface: 'telegram' } as const;
    const refuse = (reason: string): never => {
      this.#d.audit.record(applicant, 'telegram.claim.refused', null, { reason }, now);
      throw new PantauError('FORBIDDEN', 'this claim code is not valid or has expired');
    };
    if (!CODE.test(input.code)) refuse('malformed code');
    const claim = this.#sql.byHash.get(hashToken(input.code));
    if (claim === undefined) return refuse('unknown code');
    if (claim.usedAt !== null) return refuse(`code ${claim.id} was used already`);
    if (claim.expiresAt <= now) return refuse(`code ${claim.id} expired`);
    // A refusal found inside the transaction is audited after it: a rollback would take the row along.
    const user = this.#d.db.transaction((): User | undefined => {
      if (this.#sql.use.run(now, input.telegramId, claim.id).changes !== 1) return undefined;
      const known = this.#d.users.byTelegram(input.telegramId);
      let id: number;
      if (known === undefined) {
        const name = this.#freeName(input.name, input.telegramId);
        id = this.#d.users.insert({
          name,
          email: null,
          role: 'admin',
          status: 'active',
          telegramId: input.telegramId,
          telegramChatId: input.chatId,
          approvedBy: `claim:${claim.id}`,
          now,
        }).id;
      } else {
        id = known.id;
        if (known.status === 'pending') this.#d.users.approve(id, 'admin', `claim:${claim.id}`, now);
        else {
          this.#d.users.setRole(id, 'admin', now);
          this.#d.users.setStatus(id, 'active', now);
        }
      }
      const user = this.#d.users.get(id)!;
      this.#d.contacts.setTelegram(id, user.name, input.chatId, now);
      this.#d.audit.record(applicant, 'telegram.claim.redeem', `user:${id}`, { claim: claim.id }, now);
      return user;
    })();
    if (user === undefined) return refuse(`code ${claim.id} was used already`);
    this.#d.events.emit('user.changed', {
      userId: user.id,
      name: user.name,
      role: user.role,
      status: user.status,
      // The bot answers the claim itself; this event only brings the admin's menu.
      change: 'telegram',
      at: now,
    });
    return user;
  }

  /** The Telegram first name, or the name with the Telegram id when somebody has it already. */
  #freeName(name: string, telegramId: number): string {
    const clean = cleanName(name, 100) || `telegram-${telegramId}`;
    return this.#d.users.lookalike(clean) === undefined ? clean : `${clean} (${telegramId})`;
  }
}
