import { randomBytes } from 'node:crypto';
import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { userActor } from '../access/actor.ts';
import type { Authentication } from '../access/authenticate.ts';
import type { Users } from '../access/users.ts';
import { systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { FailureLimiter } from '../security/failure-limiter.ts';
import { hashToken } from '../security/tokens.ts';
import type { AuditLog } from '../store/audit.ts';
import { SessionRepo, type WebSession } from './session-repo.ts';

export interface SessionOptions {
  db: Database;
  users: Users;
  audit: AuditLog;
  events: EventBus;
  /** A session ends after this long without a request, ms. */
  idleMs: number;
  /** A session ends this long after login whatever happens, ms. */
  maxMs: number;
  /** Failed logins per client address, and per user name, per minute before answering 429. */
  loginFailuresPerMinute: number;
  now?: () => number;
}

export interface LoginResult {
  token: string;
  /** The session's CSRF secret (kept server-side; the page gets tokens made from it). */
  csrfSecret: string;
  expiresAt: number;
  user: { id: number; name: string; role: string };
}

// Writing last_seen_at on every request would turn reads into writes; a minute's slack is fine.
const TOUCH_EVERY = 60_000;
// User changes that end a user's sessions at once: they may now do less, or nothing.
const ENDS_SESSIONS = new Set(['role', 'disabled', 'rejected', 'password']);

/**
 * Web console sessions: name and password in, a random session token (HttpOnly cookie) and a
 * CSRF secret (web/csrf.ts makes the page's tokens from it) out. The database holds only the
 * session token's hash; a CSRF token is useless without the cookie, so the page can fetch another. Sessions end on logout, after the idle or absolute timeout, and
 * at once when the user's role, status or password changes.
 */
export class Sessions {
  readonly #repo: SessionRepo;
  readonly #o: SessionOptions;
  readonly #byAddress: FailureLimiter;
  readonly #byName: FailureLimiter;
  readonly #now: () => number;
  readonly #off: () => void;

  constructor(o: SessionOptions) {
    this.#o = o;
    this.#repo = new SessionRepo(o.db);
    this.#byAddress = new FailureLimiter(o.loginFailuresPerMinute, o.now);
    this.#byName = new FailureLimiter(o.loginFailuresPerMinute, o.now);
    this.#now = o.now ?? systemClock;
    this.#off = o.events.on('user.changed', (e) => {
      if (!ENDS_SESSIONS.has(e.change)) return;
      const ended = this.#repo.endForUser(e.userId, `user ${e.change}`, this.#now());
      if (ended > 0)
        o.audit.record({ id: 'collector', surface: 'web' }, 'session.end', `user:${e.userId}`, {
          why: e.change,
          sessions: ended,
        });
    });
  }

  close(): void {
    this.#off();
  }

  /** Checks a name and password; a wrong one counts against the address and the name, not anyone else. */
  async login(
    name: string,
    password: string,
    client: { address: string; userAgent: string | null },
  ): Promise<LoginResult> {
    const now = this.#now();
    const nameKey = name.toLowerCase();
    if (this.#byAddress.blocked(client.address, now)) {
      const retryAfterSeconds = this.#byAddress.retryAfter(client.address, now);
      throw new PantauError(
        'RATE_LIMITED',
        `too many failed logins from this address; try again in ${retryAfterSeconds} s`,
        { details: { retryAfterSeconds } },
      );
    }
    if (this.#byName.blocked(nameKey, now)) {
      const retryAfterSeconds = this.#byName.retryAfter(nameKey, now);
      throw new PantauError(
        'RATE_LIMITED',
        `too many failed logins for ${name}; try again in ${retryAfterSeconds} s`,
        { details: { retryAfterSeconds } },
      );
    }
    const user = await this.#o.users.verifyPassword(name, password);
    if (!user) {
      this.#byAddress.fail(client.address, now);
      this.#byName.fail(nameKey, now);
      this.#o.audit.record(
        { id: 'web', surface: 'web' },
        'session.login.failed',
        null,
        { name, address: client.address },
        now,
      );
      throw new PantauError('UNAUTHORIZED', 'name or password is wrong (or the account is not active)');
    }
    const token = `pws_${randomBytes(32).toString('base64url')}`;
    const csrfSecret = randomBytes(24).toString('base64url');
    const expiresAt = now + this.#o.maxMs;
    const id = this.#repo.insert({
      tokenHash: hashToken(token),
      csrf: csrfSecret,
      userId: user.id,
      now,
      expiresAt,
      address: client.address,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    });
    this.#o.audit.record(
      userActor(user, 'web'),
      'session.login',
      `session:${id}`,
      { address: client.address },
      now,
    );
    this.#repo.purge(now - 7 * 86_400_000);
    return { token, csrfSecret, expiresAt, user: { id: user.id, name: user.name, role: user.role } };
  }

  /** The session's user as an Actor on the web surface, or why the cookie proves nothing. */
  authenticate(token: string): Authentication & { session?: WebSession } {
    const now = this.#now();
    const session = this.#repo.byHash(hashToken(token));
    if (!session) return { ok: false, reason: 'the session is not valid; sign in again' };
    if (session.endedAt !== null) {
      return { ok: false, reason: `the session ended (${session.endedWhy ?? 'logged out'}); sign in again` };
    }
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.#o.idleMs) {
      this.#repo.end(session.id, now >= session.expiresAt ? 'expired' : 'idle', now);
      return { ok: false, reason: 'the session expired; sign in again' };
    }
    const actor = this.#o.users.actorFor(session.userId, 'web');
    if (!actor) {
      this.#repo.end(session.id, 'user not active', now);
      return { ok: false, reason: 'the account is no longer active' };
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY) this.#repo.touch(session.id, now);
    return { ok: true, actor, tokenId: null, session };
  }

  logout(session: WebSession): void {
    this.#repo.end(session.id, 'logged out', this.#now());
  }
}
