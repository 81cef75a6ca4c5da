import { formatDuration } from '@pantau/shared';
import { formatBytes, formatValue } from '../charts/units.ts';

export { formatBytes, formatValue };

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Uptime in seconds as "12 d 3 h", "3 h 5 min", "42 min". */
export function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

export function percent(value: number): string {
  return formatValue(value, '%');
}

/** "2026-03-01 14:05 Europe/Berlin": in the reader's zone, always labelled with it. */
export function clock(ms: number, timeZone: string): string {
  return `${localClock(ms, timeZone)} ${timeZone}`;
}

function localClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

/** "an admin", "an operator", "a viewer". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/** A rejected applicant's answer, at the rejection and at every /start within the cooldown. */
export function notApproved(waitMs: number): string {
  return `Your registration was not approved. You can apply again with /start in ${formatDuration(waitMs)}.`;
}
