import { randomInt } from 'node:crypto';
import { formatDuration, PantauError } from '@pantau/shared';
import { type Actor, demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import { hashToken } from '../security/tokens.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import { type EnrollmentCode, EnrollmentRepo } from './enrollment-repo.ts';
import { checkName, type Hosts } from './hosts.ts';
import { checkLabels } from './labels.ts';

/** The bounds of an enrollment code's lifetime, ms: for `enrollment.codeTtl` and each code's own `ttl`. */
export const ENROLLMENT_CODE_TTL = { min: 60_000, max: 7 * 86_400_000 } as const;

/** No 0/O, 1/I/L, U: codes are read aloud and typed from a phone. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** A code like `K7QM-2XPD-9RTW` (about 59 bits); the failure limit makes guessing hopeless. */
export function newEnrollmentCode(): string {
  const chars = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** Case and dashes do not matter when a person types the code. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/** Creating and redeeming enrollment codes: the commands the API (and later the console and bot) call. */
export class Enrollment {
  readonly #store: Store;
  readonly #hosts: Hosts;
  readonly #repo: EnrollmentRepo;
  readonly #ttl: number;
  readonly #now: () => number;

  /** `ttl`: how long a code stays valid unless its maker says otherwise, ms (enrollment.codeTtl). */
  constructor(deps: { store: Store; hosts: Hosts; ttl: number; now?: (() => number) | undefined }) {
    this.#store = deps.store;
    this.#hosts = deps.hosts;
    this.#repo = new EnrollmentRepo(deps.store.db);
    this.#ttl = deps.ttl;
    this.#now = deps.now ?? systemClock;
  }

  /** A new code, shown once; the audit log records who made it and for which host. */
  create(
    actor: Actor,
    input: { name?: string; labels?: Record<string, string>; ttl?: number },
    now = this.#now(),
  ): { code: string; enrollment: EnrollmentCode } {
    demand(actor, 'hosts.manage');
    const ttl = input.ttl ?? this.#ttl;
    const { min, max } = ENROLLMENT_CODE_TTL;
    if (!(ttl >= min && ttl <= max))
      throw new PantauError(
        'VALIDATION_FAILED',
        `ttl must be from ${formatDuration(min)} to ${formatDuration(max)}`,
      );
    // Checked now, not when a host redeems the code and finds it unusable.
    if (input.name !== undefined) checkName(input.name);
    checkLabels(input.labels ?? {});
    if (input.name !== undefined && this.#store.hosts.getByName(input.name))
      throw new PantauError('CONFLICT', `a host named ${input.name} exists already`);
    const code = newEnrollmentCode();
    const enrollment = this.#store.db.transaction(() => {
      const e = this.#repo.insert({
        hash: hashToken(normalizeCode(code)),
        name: input.name ?? null,
        labels: input.labels ?? {},
        createdBy: actor.id,
        now,
        expiresAt: now + ttl,
      });
      this.#store.audit.record(actor, 'enrollment.create', `enrollment:${e.id}`, {
        name: e.name,
        expiresAt: e.expiresAt,
      });
      return e;
    })();
    return { code, enrollment };
  }

  /**
   * Exchanges a code for a new host and its agent token, once. An unknown, expired or used code
   * is UNAUTHORIZED (the caller counts it as a failure); a taken name is CONFLICT and leaves the
   * code unused so the agent can retry with another name.
   */
  redeem(
    input: { code: string; name: string },
    from: string,
    now = this.#now(),
  ): { host: Host; token: string } {
    const e = this.#repo.byHash(hashToken(normalizeCode(input.code)));
    const refuse = (why: string) => {
      throw new PantauError(
        'UNAUTHORIZED',
        `enrollment code is not valid: ${why}; ask an admin for a new one`,
      );
    };
    if (!e) return refuse('unknown code');
    if (e.usedAt !== null) return refuse('it was used already');
    if (e.expiresAt <= now) return refuse('it expired');
    const name = e.name ?? input.name;
    return this.#hosts.enroll(
      { by: { id: `enrollment:${e.id}`, surface: 'api' }, details: { name, from, createdBy: e.createdBy } },
      name,
      e.labels,
      (host) => {
        if (!this.#repo.markUsed(e.id, now, from, host.id)) refuse('it was used already');
      },
      now,
    );
  }

  /**
   * Revoking a pending code makes it expire now (no schema of its own: it lists as expired, and
   * the audit log says who revoked it). A used or expired code is CONFLICT, an unknown one NOT_FOUND.
   */
  revoke(actor: Actor, id: number, now = this.#now()): EnrollmentCode {
    demand(actor, 'hosts.manage');
    return this.#store.db.transaction(() => {
      const e = this.#repo.get(id);
      if (!e) throw new PantauError('NOT_FOUND', `no enrollment code ${id}`);
      if (!this.#repo.end(id, now))
        throw new PantauError(
          'CONFLICT',
          `enrollment code ${id} is ${e.usedAt === null ? 'expired' : 'used'} already`,
        );
      this.#store.audit.record(actor, 'enrollment.revoke', `enrollment:${id}`, { name: e.name }, now);
      return this.#repo.get(id)!;
    })();
  }

  list(before: number, limit: number): EnrollmentCode[] {
    return this.#repo.list(before, limit);
  }
}
