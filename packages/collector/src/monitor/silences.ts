import type { Database, Statement } from 'better-sqlite3';
import type { HostRef } from './signals.ts';

export type SilenceKind = 'silence' | 'maintenance';

export interface Silence {
  id: number;
  kind: SilenceKind;
  hostId: number | null;
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
  label?: { key: string; value: string } | undefined;
  ruleId?: string | undefined;
  incidentId?: number | undefined;
  startsAt: number;
  endsAt: number;
  reason?: string | undefined;
  createdBy: string;
}

interface Row {
  id: number;
  kind: SilenceKind;
  host_id: number | null;
  label_key: string | null;
  label_value: string | null;
  rule_id: string | null;
  incident_id: number | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_at: number;
  suppressed: number;
}

/**
 * Silences (from now until a time) and maintenance windows (a scheduled range) hold back
 * notifications for what they match: a host, a label, a rule or one incident. Detection goes
 * on; every held-back notification is counted on the silence and on the incident.
 */
export class Silences {
  readonly #insert: Statement;
  readonly #active: Statement<[number, number], Row>;
  readonly #list: Statement<[number], Row>;
  readonly #get: Statement<[number], Row>;
  readonly #end: Statement<[number, number]>;
  readonly #count: Statement<[number]>;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO silences (kind, host_id, label_key, label_value, rule_id, incident_id, starts_at, ends_at, reason, created_by, created_at)
       VALUES (@kind, @hostId, @labelKey, @labelValue, @ruleId, @incidentId, @startsAt, @endsAt, @reason, @createdBy, @createdAt)`,
    );
    this.#active = db.prepare('SELECT * FROM silences WHERE starts_at <= ? AND ends_at > ? ORDER BY id');
    this.#list = db.prepare('SELECT * FROM silences WHERE ends_at > ? ORDER BY starts_at, id');
    this.#get = db.prepare('SELECT * FROM silences WHERE id = ?');
    this.#end = db.prepare('UPDATE silences SET ends_at = MIN(ends_at, ?) WHERE id = ?');
    this.#count = db.prepare('UPDATE silences SET suppressed = suppressed + 1 WHERE id = ?');
  }

  create(input: NewSilence, now: number): Silence {
    const info = this.#insert.run({
      kind: input.kind,
      hostId: input.hostId ?? null,
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
    const row = this.#get.get(id);
    return row ? toSilence(row) : undefined;
  }

  /** Silences and windows that have not ended yet, including scheduled ones. */
  list(now: number): Silence[] {
    return this.#list.all(now).map(toSilence);
  }

  /** Ends a silence now (it stays listed in history through its incidents' timelines). */
  end(id: number, now: number): boolean {
    return this.#end.run(now, id).changes > 0;
  }

  /** The first silence or window that holds back a notification about this incident now. */
  match(host: HostRef | undefined, ruleId: string, incidentId: number, now: number): Silence | undefined {
    for (const row of this.#active.all(now, now)) {
      if (row.incident_id !== null && row.incident_id !== incidentId) continue;
      if (row.rule_id !== null && row.rule_id !== ruleId) continue;
      if (row.host_id !== null && row.host_id !== host?.id) continue;
      if (row.label_key !== null && host?.labels[row.label_key] !== row.label_value) continue;
      return toSilence(row);
    }
    return undefined;
  }

  countSuppressed(id: number): void {
    this.#count.run(id);
  }
}

function toSilence(row: Row): Silence {
  return {
    id: row.id,
    kind: row.kind,
    hostId: row.host_id,
    labelKey: row.label_key,
    labelValue: row.label_value,
    ruleId: row.rule_id,
    incidentId: row.incident_id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    suppressed: row.suppressed,
  };
}
