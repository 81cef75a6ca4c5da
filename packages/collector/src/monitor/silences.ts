import { globMatch } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import type { HostRef } from './signals.ts';

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

const COLS = `id, kind, host_id AS hostId, host_pattern AS hostPattern, label_key AS labelKey, label_value AS labelValue, rule_id AS ruleId,
  incident_id AS incidentId, starts_at AS startsAt, ends_at AS endsAt, reason, created_by AS createdBy,
  created_at AS createdAt, suppressed`;

/**
 * Silences (from now until a time) and maintenance windows (a scheduled range) hold back
 * notifications for what they match: a host, a label, a rule or one incident. Detection goes
 * on; every held-back notification is counted on the silence and on the incident.
 */
export class Silences {
  readonly #sql: {
    insert: Statement<[Record<string, unknown>]>;
    active: Statement<[number, number], Silence>;
    list: Statement<[number], Silence>;
    get: Statement<[number], Silence>;
    end: Statement<[number, number]>;
    count: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO silences (kind, host_id, host_pattern, label_key, label_value, rule_id, incident_id, starts_at, ends_at, reason, created_by, created_at)
         VALUES (@kind, @hostId, @hostPattern, @labelKey, @labelValue, @ruleId, @incidentId, @startsAt, @endsAt, @reason, @createdBy, @createdAt)`,
      ),
      active: db.prepare(`SELECT ${COLS} FROM silences WHERE starts_at <= ? AND ends_at > ? ORDER BY id`),
      list: db.prepare(`SELECT ${COLS} FROM silences WHERE ends_at > ? ORDER BY starts_at, id`),
      get: db.prepare(`SELECT ${COLS} FROM silences WHERE id = ?`),
      end: db.prepare('UPDATE silences SET ends_at = MIN(ends_at, ?) WHERE id = ?'),
      count: db.prepare('UPDATE silences SET suppressed = suppressed + 1 WHERE id = ?'),
    };
  }

  create(input: NewSilence, now: number): Silence {
    const info = this.#sql.insert.run({
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
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Silence | undefined {
    return this.#sql.get.get(id);
  }

  /** Silences and windows that have not ended yet, including scheduled ones. */
  list(now: number): Silence[] {
    return this.#sql.list.all(now);
  }

  /** Ends a silence now (it stays listed in history through its incidents' timelines). */
  end(id: number, now: number): boolean {
    return this.#sql.end.run(now, id).changes > 0;
  }

  /** The first silence or window that holds back a notification about this incident now. */
  match(host: HostRef | undefined, ruleId: string, incidentId: number, now: number): Silence | undefined {
    for (const s of this.#sql.active.all(now, now)) {
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
    this.#sql.count.run(id);
  }
}
