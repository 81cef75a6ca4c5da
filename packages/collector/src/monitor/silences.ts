import { globMatch } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import type { HostRef } from './signals.ts';
import { SilenceRepo } from './silence-repo.ts';

export type SilenceKind = 'silence' | 'maintenance';

export interface Silence {
  id: number;
  kind: SilenceKind;
  hostId: number | null;
  /** A host name glob (`web-*`): hosts whose name matches, whenever they were added. */
  hostPattern: string | null;
  labelKey: string | null;
  labelValue: string | null;
  ruleId: string | null;
  incidentId: number | null;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
  createdAt: number;
  /** Notifications this silence held back so far. */
  suppressed: number;
}

export interface NewSilence {
  kind: SilenceKind;
  hostId?: number | undefined;
  hostPattern?: string | undefined;
  label?: { key: string; value: string } | undefined;
  ruleId?: string | undefined;
  incidentId?: number | undefined;
  startsAt: number;
  endsAt: number;
  reason?: string | undefined;
  createdBy: string;
}

/**
 * Silences (from now until a time) and maintenance windows (a scheduled range) hold back
 * notifications for what they match: a host, a label, a rule or one incident. Detection goes
 * on; every held-back notification is counted on the silence and on the incident.
 */
export class Silences {
  readonly #repo: SilenceRepo;

  constructor(db: Database) {
    this.#repo = new SilenceRepo(db);
  }

  create(input: NewSilence, now: number): Silence {
    const id = this.#repo.insert({
      kind: input.kind,
      hostId: input.hostId ?? null,
      hostPattern: input.hostPattern ?? null,
      labelKey: input.label?.key ?? null,
      labelValue: input.label?.value ?? null,
      ruleId: input.ruleId ?? null,
      incidentId: input.incidentId ?? null,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      reason: input.reason ?? '',
      createdBy: input.createdBy,
      createdAt: now,
    });
    return this.get(id)!;
  }

  get(id: number): Silence | undefined {
    return this.#repo.get(id);
  }

  /** Silences and windows that have not ended yet, including scheduled ones. */
  list(now: number): Silence[] {
    return this.#repo.unended(now);
  }

  /** Ends a silence now (it stays listed in history through its incidents' timelines). */
  end(id: number, now: number): boolean {
    return this.#repo.end(id, now);
  }

  /** The first silence or window that holds back a notification about this incident now. */
  match(host: HostRef | undefined, ruleId: string, incidentId: number, now: number): Silence | undefined {
    for (const s of this.#repo.active(now)) {
      if (s.incidentId !== null && s.incidentId !== incidentId) continue;
      if (s.ruleId !== null && s.ruleId !== ruleId) continue;
      if (s.hostId !== null && s.hostId !== host?.id) continue;
      if (s.hostPattern !== null && !globMatch(s.hostPattern, host?.name ?? '')) continue;
      if (s.labelKey !== null && host?.labels[s.labelKey] !== s.labelValue) continue;
      return s;
    }
    return undefined;
  }

  countSuppressed(id: number): void {
    this.#repo.countSuppressed(id);
  }
}
