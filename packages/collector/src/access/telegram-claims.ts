import { randomBytes } from 'node:crypto';
import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import { hashToken } from '../security/tokens.ts';
import type { AuditLog } from '../store/audit.ts';
import { type Actor, demand } from './actor.ts';
import { ClaimRepo } from './claim-repo.ts';
import type { User } from './user-repo.ts';
import type { Users } from './users.ts';

/** How long a claim code works. */
export const CLAIM_TTL_MS = 15 * 60_000;

/** `/start CODE` carries it; Telegram start parameters allow A-Z a-z 0-9 _ - up to 64 characters. */
const CODE = /^claim_[A-Za-z0-9_-]{20,40}$/;

export interface TelegramClaimDeps {
  db: Database;
  /** Makes the claimant admin (and announces it). */
  users: Users;
  audit: AuditLog;
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
  readonly #claims: ClaimRepo;

  constructor(deps: TelegramClaimDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
    this.#claims = new ClaimRepo(deps.db);
  }

  /** A new code, shown once. */
  create(actor: Actor): { code: string; expiresAt: number } {
    demand(actor, 'users.manage');
    const now = this.#now();
    const code = `claim_${randomBytes(18).toString('base64url')}`;
    const expiresAt = now + CLAIM_TTL_MS;
    this.#d.db.transaction(() => {
      const id = this.#claims.insert({ hash: hashToken(code), createdBy: actor.id, now, expiresAt });
      this.#d.audit.record(actor, 'telegram.claim.create', `claim:${id}`, { expiresAt }, now);
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
    const claim = this.#claims.byHash(hashToken(input.code));
    if (claim === undefined) return refuse('unknown code');
    if (claim.usedAt !== null) return refuse(`code ${claim.id} was used already`);
    if (claim.expiresAt <= now) return refuse(`code ${claim.id} expired`);
    // A refusal found inside the transaction is audited after it: a rollback would take the row along.
    const user = this.#d.users.claimAdmin(input, {
      id: claim.id,
      spend: () => this.#claims.use(claim.id, input.telegramId, now),
    });
    if (user === undefined) return refuse(`code ${claim.id} was used already`);
    return user;
  }
}
