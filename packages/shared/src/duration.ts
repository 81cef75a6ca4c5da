/** Durations in config and on the wire are milliseconds; people write them as "500ms", "10s", "5m", "1h", "7d". */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

export class DurationError extends Error {
  readonly code = 'INVALID_DURATION';
  readonly input: unknown;
  constructor(input: unknown, reason: string) {
    super(`invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = 'DurationError';
    this.input = input;
  }
}

/**
 * Parses "500ms", "10s", "5m", "1h", "7d" or a sequence such as "1h30m" into milliseconds.
 * A plain number is taken as milliseconds already.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(input, 'must be a finite number ≥ 0');
    return Math.round(input);
  }
  if (typeof input !== 'string') throw new DurationError(input, 'expected a string such as "10s"');
  const text = input.trim();
  if (text === '') throw new DurationError(input, 'is empty; write a number and a unit, e.g. "10s"');
  let total = 0;
  PART.lastIndex = 0;
  let end = 0;
  for (let m = PART.exec(text); m !== null; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
    end = PART.lastIndex;
  }
  if (end !== text.length) {
    throw new DurationError(
      input,
      'expected a number followed by ms, s, m, h or d (e.g. "500ms", "10s", "5m", "1h", "7d")',
    );
  }
  if (!Number.isSafeInteger(Math.round(total))) throw new DurationError(input, 'is too large');
  return Math.round(total);
}

/** Formats milliseconds for people: 1500 → "1.5s", 3_720_000 → "1h 2m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const parts: string[] = [];
  let rest = Math.floor(ms / 1_000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
