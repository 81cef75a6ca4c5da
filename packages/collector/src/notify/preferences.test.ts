import { describe, expect, it } from 'vitest';
import type { NotifyEvent } from './message.ts';
import { DEFAULT_PREFERENCES, inQuietHours, type Preferences, wants } from './preferences.ts';

const at = (iso: string) => Date.parse(iso);
const facts = { incidentId: 1, kind: 'host_down' as const, host: 'web-1', since: 0 };
const opened = (severity: 'critical' | 'warning' | 'info'): NotifyEvent => ({
  type: 'opened',
  at: 0,
  severity,
  ...facts,
});
const reminder: NotifyEvent = { type: 'reminder', at: 0, count: 1, severity: 'critical', ...facts };
const recovered: NotifyEvent = { type: 'recovered', at: 0, severity: 'critical', ...facts };
const night: Preferences = {
  ...DEFAULT_PREFERENCES,
  quiet: { start: 22 * 60, end: 7 * 60 },
  timeZone: 'Europe/Berlin',
};

describe('notification preferences', () => {
  it('quiet hours across midnight, in the user’s zone', () => {
    expect(inQuietHours(night, at('2026-03-03T21:30:00Z'))).toBe(true); // 22:30 in Berlin
    expect(inQuietHours(night, at('2026-03-03T05:59:00Z'))).toBe(true); // 06:59
    expect(inQuietHours(night, at('2026-03-03T06:00:00Z'))).toBe(false); // 07:00
    expect(inQuietHours(night, at('2026-03-03T12:00:00Z'))).toBe(false);
    const lunch = { ...night, quiet: { start: 12 * 60, end: 13 * 60 } };
    expect(inQuietHours(lunch, at('2026-03-03T11:30:00Z'))).toBe(true); // 12:30
    expect(inQuietHours(lunch, at('2026-03-03T12:30:00Z'))).toBe(false); // 13:30
  });

  it('during quiet hours only a critical first alert goes out; reminders and the rest wait', () => {
    const t = at('2026-03-03T23:00:00Z');
    expect(wants(night, opened('critical'), t)).toBe(true);
    expect(wants(night, opened('warning'), t)).toBe(false);
    expect(wants(night, reminder, t)).toBe(false);
    expect(wants(night, recovered, t)).toBe(false);
    expect(wants(night, reminder, at('2026-03-03T10:00:00Z'))).toBe(true);
  });

  it('minimum severity and mute', () => {
    const min = { ...DEFAULT_PREFERENCES, minSeverity: 'warning' as const };
    expect(wants(min, opened('info'), 0)).toBe(false);
    expect(wants(min, opened('warning'), 0)).toBe(true);
    expect(wants(min, { type: 'text', at: 0, title: 'new port', text: ':22' }, 0)).toBe(false);
    const muted = { ...DEFAULT_PREFERENCES, mutedUntil: 1_000 };
    expect(wants(muted, opened('critical'), 999)).toBe(false);
    expect(wants(muted, opened('critical'), 1_000)).toBe(true);
    expect(wants(DEFAULT_PREFERENCES, opened('info'), 0)).toBe(true);
  });
});
