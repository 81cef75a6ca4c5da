import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import type { Actor } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { NotifyEvent, Severity } from './message.ts';
import { PreferenceRepo } from './preference-repo.ts';

/** One user's notification settings. */
export interface Preferences {
  /** Events below this severity are not sent to them. */
  minSeverity: Severity;
  /** Quiet hours as minutes after midnight in `timeZone`; null when there are none. */
  quiet: { start: number; end: number } | null;
  timeZone: string;
  /** Nothing is sent to them before this time (epoch ms); null when not muted. */
  mutedUntil: number | null;
}

/** The collector's zone: `telegram.timeZone`, else the system's. People read times in it until they pick their own. */
export function collectorTimeZone(configured: string | null): string {
  return configured ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export const DEFAULT_PREFERENCES: Preferences = {
  minSeverity: 'info',
  quiet: null,
  timeZone: 'UTC',
  mutedUntil: null,
};

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Minutes after midnight of `ms` in a time zone. */
function minuteOfDay(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute');
}

export function inQuietHours(p: Preferences, now: number): boolean {
  if (p.quiet === null) return false;
  const m = minuteOfDay(now, p.timeZone);
  const { start, end } = p.quiet;
  return start <= end ? m >= start && m < end : m >= start || m < end;
}

/**
 * Whether an event goes to a user now: not while muted, not below their minimum severity, and
 * during quiet hours only a critical problem's first alert (reminders, recoveries and lesser
 * alerts are held back; the reminders after the quiet hours bring an incident that is still open).
 */
export function wants(p: Preferences, event: NotifyEvent, now: number): boolean {
  if (p.mutedUntil !== null && p.mutedUntil > now) return false;
  const severity: Severity = event.type === 'text' ? 'info' : event.severity;
  if (RANK[severity] < RANK[p.minSeverity]) return false;
  if (inQuietHours(p, now)) return event.type === 'opened' && severity === 'critical';
  return true;
}

/** A user's own settings: read and changed by that user only, each change audited. */
export class NotifyPreferences {
  readonly #db: Database;
  readonly #audit: AuditLog;
  readonly #defaults: Preferences;
  readonly #repo: PreferenceRepo;

  /** @param timeZone the zone of people who did not pick one (the collector's). Default "UTC". */
  constructor(db: Database, audit: AuditLog, timeZone = 'UTC') {
    this.#db = db;
    this.#audit = audit;
    this.#defaults = { ...DEFAULT_PREFERENCES, timeZone };
    this.#repo = new PreferenceRepo(db);
  }

  get(actor: Actor): Preferences {
    return this.#repo.get(this.#self(actor)) ?? this.#defaults;
  }

  set(actor: Actor, change: Partial<Preferences>, now = systemClock()): Preferences {
    const userId = this.#self(actor);
    const next = { ...this.get(actor), ...change };
    try {
      new Intl.DateTimeFormat('en', { timeZone: next.timeZone });
    } catch {
      throw new PantauError(
        'VALIDATION_FAILED',
        `"${next.timeZone.slice(0, 64)}" is not an IANA time zone; use one like Europe/Berlin or UTC`,
      );
    }
    if (next.quiet !== null) {
      const ok = (m: number) => Number.isInteger(m) && m >= 0 && m < 1_440;
      if (!ok(next.quiet.start) || !ok(next.quiet.end) || next.quiet.start === next.quiet.end) {
        throw new PantauError(
          'VALIDATION_FAILED',
          'quiet hours need a start and an end that differ, e.g. 22:00-07:00',
        );
      }
    }
    this.#db.transaction(() => {
      this.#repo.set(userId, next, now);
      this.#audit.record(actor, 'notify.preferences', `user:${userId}`, { ...change }, now);
    })();
    return next;
  }

  #self(actor: Actor): number {
    if (actor.userId === null) throw new PantauError('FORBIDDEN', 'notification settings belong to a user');
    return actor.userId;
  }
}
