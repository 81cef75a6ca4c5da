import { randomBytes } from 'node:crypto';
import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import { hashToken } from '../security/tokens.ts';
import type { AuditLog } from '../store/audit.ts';
import { type Actor, demand } from './actor.ts';
import { PasswordLinkRepo } from './password-link-repo.ts';
import { checkPassword } from './passwords.ts';
import type { Users } from './users.ts';

export interface PasswordLinkOptions {
  db: Database;
  users: Users;
  audit: AuditLog;
  /** The console's base URL, e.g. https://pantau.example.com (no trailing slash). */
  baseUrl: () => string;
  /** How long a link works, ms (default 1 h). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * One-time links to set a web password: the bot sends one to a Telegram-registered user who
 * asks for it, an admin makes one to reset somebody's. The token is in the URL's fragment (never
 * sent to servers or logged); only its hash is stored; it works once, within the hour.
 */
export class PasswordLinks {
  readonly #o: PasswordLinkOptions;
  readonly #now: () => number;
  readonly #links: PasswordLinkRepo;

  constructor(o: PasswordLinkOptions) {
    this.#o = o;
    this.#now = o.now ?? systemClock;
    this.#links = new PasswordLinkRepo(o.db);
  }

  /** A link for `userId`: the user themself (e.g. through the bot) or an admin may ask for one. */
  create(actor: Actor, userId: number): { url: string; expiresAt: number } {
    if (actor.userId !== userId) demand(actor, 'users.manage');
    const user = this.#o.users.actorFor(userId, 'web');
    if (!user)
      throw new PantauError('CONFLICT', `user ${userId} is not active; approve or enable them first`);
    const token = `ppl_${randomBytes(32).toString('base64url')}`;
    const now = this.#now();
    const expiresAt = now + (this.#o.ttlMs ?? 3_600_000);
    const id = this.#links.insert(hashToken(token), userId, actor.id, now, expiresAt);
    this.#o.audit.record(actor, 'user.password.link', `user:${userId}`, { link: id, expiresAt }, now);
    return { url: `${this.#o.baseUrl()}/set-password#${token}`, expiresAt };
  }

  /** Sets the password the link was made for and spends the link. */
  async use(token: string, password: string): Promise<{ name: string }> {
    const now = this.#now();
    const link = this.#links.byHash(hashToken(token));
    if (!link) throw new PantauError('UNAUTHORIZED', 'this link is not valid; ask for a new one');
    if (link.usedAt !== null)
      throw new PantauError('UNAUTHORIZED', 'this link was used already; ask for a new one');
    if (now >= link.expiresAt) throw new PantauError('UNAUTHORIZED', 'this link expired; ask for a new one');
    const actor = this.#o.users.actorFor(link.userId, 'web');
    if (!actor) throw new PantauError('UNAUTHORIZED', 'the account is not active');
    // A too-short password leaves the link usable; then it is claimed before the slow hash, so two tabs cannot both use it.
    checkPassword(password);
    if (!this.#links.spend(link.id, now)) {
      throw new PantauError('UNAUTHORIZED', 'this link was used already; ask for a new one');
    }
    const user = await this.#o.users.setPassword(actor, link.userId, password);
    return { name: user.name };
  }
}
