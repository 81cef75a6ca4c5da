import { randomInt } from 'node:crypto';
import { PantauError } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import { type Actor, demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { hashToken } from '../security/tokens.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import { checkLabels } from './labels.ts';

export interface EnrollmentCode {
  id: number;
  /** Host name the code creates; null lets the agent name itself (its hostname). */
  name: string | null;
  labels: Record<string, string>;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedFrom: string | null;
  hostId: number | null;
}

interface Row extends Omit<EnrollmentCode, 'labels'> {
  labels: string;
}

const COLUMNS = `id, name, labels, created_by AS createdBy, created_at AS createdAt, expires_at AS expiresAt,
  used_at AS usedAt, used_from AS usedFrom, host_id AS hostId`;

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

/** Enrollment codes, stored as hashes of the normalized code. */
export class EnrollmentRepo {
  readonly #s: {
    insert: Statement;
    byHash: Statement;
    markUsed: Statement;
    end: Statement;
    byId: Statement;
    page: Statement;
  };

  constructor(db: Database) {
    this.#s = {
      insert: db.prepare(
        'INSERT INTO enrollment_codes (code_hash, name, labels, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byHash: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE code_hash = ?`),
      markUsed: db.prepare(
        'UPDATE enrollment_codes SET used_at = ?, used_from = ?, host_id = ? WHERE id = ? AND used_at IS NULL',
      ),
      end: db.prepare(
        'UPDATE enrollment_codes SET expires_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?',
      ),
      byId: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE id = ?`),
      page: db.prepare(`SELECT ${COLUMNS} FROM enrollment_codes WHERE id < ? ORDER BY id DESC LIMIT ?`),
    };
  }

  insert(
    code: string,
    input: {
      name: string | null;
      labels: Record<string, string>;
      createdBy: string;
      now: number;
      ttl: number;
    },
  ): EnrollmentCode {
    const info = this.#s.insert.run(
      hashToken(normalizeCode(code)),
      input.name,
      JSON.stringify(input.labels),
      input.createdBy,
      input.now,
      input.now + input.ttl,
    );
    return this.byCode(code) ?? fail(`enrollment code ${info.lastInsertRowid} vanished`);
  }

  byCode(code: string): EnrollmentCode | undefined {
    const row = this.#s.byHash.get(hashToken(normalizeCode(code))) as Row | undefined;
    return row && toCode(row);
  }

  /** True when this call used the code (false when another got there first). */
  markUsed(id: number, at: number, from: string, hostId: number): boolean {
    return this.#s.markUsed.run(at, from, hostId, id).changes === 1;
  }

  get(id: number): EnrollmentCode | undefined {
    const row = this.#s.byId.get(id) as Row | undefined;
    return row && toCode(row);
  }

  /** Makes a pending code expire now; false when it was used or had expired. */
  end(id: number, now: number): boolean {
    return this.#s.end.run(now, id, now).changes === 1;
  }

  /** Newest first; `before` is the id to continue below. */
  list(before: number, limit: number): EnrollmentCode[] {
    return (this.#s.page.all(before, limit) as Row[]).map(toCode);
  }
}

function toCode(row: Row): EnrollmentCode {
  return { ...row, labels: JSON.parse(row.labels) as Record<string, string> };
}

function fail(message: string): never {
  throw new PantauError('INTERNAL', message);
}

/** Creating and redeeming enrollment codes: the commands the API (and later the console and bot) call. */
export class Enrollment {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #repo: EnrollmentRepo;
  readonly #ttl: number;

  constructor(store: Store, events: EventBus, ttl: number) {
    this.#store = store;
    this.#events = events;
    this.#repo = new EnrollmentRepo(store.db);
    this.#ttl = ttl;
  }

  /** A new code, shown once; the audit log records who made it and for which host. */
  create(
    actor: Actor,
    input: { name?: string; labels?: Record<string, string>; ttl?: number },
    now = systemClock(),
  ): { code: string; enrollment: EnrollmentCode } {
    demand(actor, 'hosts.manage');
    // Checked now, not when a host redeems the code and finds it unusable.
    checkLabels(input.labels ?? {});
    if (input.name !== undefined && this.#store.hosts.getByName(input.name))
      throw new PantauError('CONFLICT', `a host named ${input.name} exists already`);
    const code = newEnrollmentCode();
    const enrollment = this.#store.db.transaction(() => {
      const e = this.#repo.insert(code, {
        name: input.name ?? null,
        labels: input.labels ?? {},
        createdBy: actor.id,
        now,
        ttl: input.ttl ?? this.#ttl,
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
    now = systemClock(),
  ): { host: Host; token: string } {
    const e = this.#repo.byCode(input.code);
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
    const result = this.#store.db.transaction(() => {
      if (this.#store.hosts.getByName(name))
        throw new PantauError('CONFLICT', `a host named ${name} exists already; enroll with --name OTHER`);
      const added = this.#store.hosts.add(name, e.labels, now);
      if (!this.#repo.markUsed(e.id, now, from, added.host.id)) refuse('it was used already');
      this.#store.audit.record(
        { id: `enrollment:${e.id}`, surface: 'api' },
        'host.enroll',
        `host:${added.host.id}`,
        {
          name,
          from,
          createdBy: e.createdBy,
        },
      );
      return added;
    })();
    this.#events.emit('host.added', {
      hostId: result.host.id,
      name: result.host.name,
      labels: result.host.labels,
      at: now,
    });
    return result;
  }

  /**
   * Revoking a pending code makes it expire now (no schema of its own: it lists as expired, and
   * the audit log says who revoked it). A used or expired code is CONFLICT, an unknown one NOT_FOUND.
   */
  revoke(actor: Actor, id: number, now = systemClock()): EnrollmentCode {
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
