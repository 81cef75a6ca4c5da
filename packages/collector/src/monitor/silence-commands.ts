import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { type Actor, demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { HostRepo } from '../store/hosts.ts';
import type { IncidentManager } from './incidents.ts';
import type { Silence, Silences } from './silences.ts';

/** Longest maintenance window. */
export const MAX_WINDOW_MS = 30 * 86_400_000;

/** What a silence or window holds back; at least one, or `all`. */
export interface SilenceMatchers {
  hostId?: number | undefined;
  /** A host name, or a glob over names (`web-*`, `db-?`) that also covers hosts added later. */
  host?: string | undefined;
  /** `key=value` or { key, value }. */
  label?: string | { key: string; value: string } | undefined;
  ruleId?: string | undefined;
  incidentId?: number | undefined;
  all?: boolean | undefined;
}

export interface SilenceCommandDeps {
  db: Database;
  silences: Silences;
  incidents: IncidentManager;
  hosts: HostRepo;
  audit: AuditLog;
  /** Whether a rule id exists (built-in, config or API). */
  knownRule(id: string): boolean;
  now?: () => number;
}

const HOST_OR_GLOB = /^[A-Za-z0-9_.*?-]{1,128}$/;

function invalid(message: string): never {
  throw new PantauError('VALIDATION_FAILED', message);
}

/** Silences (from now) and maintenance windows (scheduled): create and end, checked and audited. */
export class SilenceCommands {
  readonly #d: SilenceCommandDeps;
  readonly #now: () => number;

  constructor(deps: SilenceCommandDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
  }

  list(actor: Actor): Silence[] {
    demand(actor, 'incidents.read');
    return this.#d.silences.list(this.#now());
  }

  /** Holds back notifications from now until `until` (ms) or for `durationMs`; exactly one of them. */
  silence(
    actor: Actor,
    input: SilenceMatchers & {
      durationMs?: number | undefined;
      until?: number | undefined;
      reason?: string | undefined;
    },
  ): Silence {
    demand(actor, 'silences.manage');
    const now = this.#now();
    const { durationMs, until } = input;
    if ((durationMs === undefined) === (until === undefined)) {
      invalid('body needs exactly one of duration (e.g. "1h") or until (ms since the epoch)');
    }
    if (durationMs !== undefined && durationMs <= 0) invalid('body.duration must be longer than 0');
    const endsAt = durationMs === undefined ? until! : now + durationMs;
    if (endsAt <= now) invalid('body.until must be in the future');
    return this.#create(actor, 'silence', input, now, endsAt, input.reason);
  }

  maintenance(
    actor: Actor,
    input: SilenceMatchers & { startsAt: number; endsAt: number; reason: string },
  ): Silence {
    demand(actor, 'maintenance.manage');
    const now = this.#now();
    const { startsAt, endsAt } = input;
    if (endsAt <= startsAt) invalid('body.endsAt must be after body.startsAt');
    if (endsAt - startsAt > MAX_WINDOW_MS) invalid('body.endsAt is more than 30 days after body.startsAt');
    if (endsAt <= now) invalid('body.endsAt is in the past');
    return this.#create(actor, 'maintenance', input, startsAt, endsAt, input.reason);
  }

  /** Ends a silence or window now (a scheduled one is cancelled). */
  end(actor: Actor, id: number): Silence {
    const now = this.#now();
    const found = this.#d.silences.get(id);
    if (!found) throw new PantauError('NOT_FOUND', `no silence with id ${id}`);
    demand(actor, found.kind === 'maintenance' ? 'maintenance.manage' : 'silences.manage');
    if (found.endsAt <= now) throw new PantauError('CONFLICT', `silence ${id} has ended already`);
    return this.#d.db.transaction(() => {
      this.#d.silences.end(id, now);
      this.#d.audit.record(actor, `${found.kind}.end`, `silence:${id}`, undefined, now);
      return this.#d.silences.get(id)!;
    })();
  }

  #create(
    actor: Actor,
    kind: Silence['kind'],
    input: SilenceMatchers & { durationMs?: number | undefined },
    startsAt: number,
    endsAt: number,
    reason: string | undefined,
  ): Silence {
    const matchers = this.#matchers(input);
    const now = this.#now();
    return this.#d.db.transaction(() => {
      const created = this.#d.silences.create(
        { kind, ...matchers, startsAt, endsAt, reason, createdBy: actor.id },
        now,
      );
      const { durationMs: _, ...details } = input;
      this.#d.audit.record(actor, `${kind}.create`, `silence:${created.id}`, { ...details }, now);
      return created;
    })();
  }

  /** Checks the matchers and turns them into the store's shape. */
  #matchers(body: SilenceMatchers) {
    const given = [body.hostId, body.host, body.label, body.ruleId, body.incidentId].some(
      (m) => m !== undefined,
    );
    if (body.all === true && given)
      invalid('body.all cannot be combined with hostId, host, label, ruleId or incidentId');
    if (body.all !== true && !given) {
      invalid(
        'body needs a matcher (hostId, host, label, ruleId or incidentId), or all: true to match everything',
      );
    }
    if (body.host !== undefined && body.hostId !== undefined)
      invalid('give body.host or body.hostId, not both');
    let hostId = body.hostId;
    let hostPattern: string | undefined;
    if (body.host !== undefined) {
      if (!HOST_OR_GLOB.test(body.host)) {
        invalid('body.host must be a host name or a glob (letters, digits, . _ - and * ?), e.g. web-*');
      }
      if (/[*?]/.test(body.host)) hostPattern = body.host;
      else {
        const host = this.#d.hosts.getByName(body.host);
        if (!host) throw new PantauError('NOT_FOUND', `body.host: no host named ${body.host}`);
        hostId = host.id;
      }
    }
    if (body.hostId !== undefined && !this.#d.hosts.get(body.hostId)) {
      throw new PantauError('NOT_FOUND', `body.hostId: no host with id ${body.hostId}`);
    }
    if (body.incidentId !== undefined && !this.#d.incidents.get(body.incidentId)) {
      throw new PantauError('NOT_FOUND', `body.incidentId: no incident with id ${body.incidentId}`);
    }
    if (body.ruleId !== undefined && !this.#d.knownRule(body.ruleId)) {
      throw new PantauError(
        'NOT_FOUND',
        `body.ruleId: no rule with id ${body.ruleId} (GET /api/v1/rules lists them)`,
      );
    }
    let label: { key: string; value: string } | undefined;
    if (typeof body.label === 'string') {
      const i = body.label.indexOf('=');
      if (i < 1) invalid('body.label must be key=value');
      label = { key: body.label.slice(0, i), value: body.label.slice(i + 1) };
    } else {
      label = body.label;
    }
    return {
      hostId,
      hostPattern,
      label,
      ruleId: body.ruleId,
      incidentId: body.incidentId,
    };
  }
}
