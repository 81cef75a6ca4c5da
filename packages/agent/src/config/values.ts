import { parseDuration } from '@pantau/shared/lite';
import { ConfigError } from './errors.ts';

export type Obj = Record<string, unknown>;

/** Reads typed values out of parsed YAML, failing with the field's path and what to write instead. */
export class Values {
  readonly source: string;
  /** Problems recorded so far; reading goes on past them so one run reports them all. */
  readonly problems: ConfigError[] = [];

  constructor(source: string) {
    this.source = source;
  }

  fail(field: string, problem: string): never {
    throw new ConfigError(this.source, field, problem);
  }

  /** Runs one independent read; a config problem is recorded and `fallback` stands in. */
  attempt<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#record(err);
      return fallback;
    }
  }

  #record(err: ConfigError): void {
    if (!this.problems.some((p) => p.message === err.message)) this.problems.push(err);
  }

  object(value: unknown, field: string, known: readonly string[]): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field, `must be a mapping (key: value), got ${describe(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const problem = `is not a known option; expected one of ${known.join(', ')}`;
        this.#record(new ConfigError(this.source, join(field, key), problem));
      }
    }
    return value as Obj;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `must be a list, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, field: string, example: string): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(
        field,
        `must be a non-empty string such as ${JSON.stringify(example)}, got ${describe(value)}`,
      );
    }
    return value.trim();
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${describe(value)}`);
    return value;
  }

  integer(value: unknown, field: string, min: number, max: number): number {
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(field, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
    }
    return n;
  }

  /** A duration such as "5s" (a bare number is milliseconds), within [min, max] ms. */
  duration(value: unknown, field: string, minMs: number, maxMs: number): number {
    let ms: number;
    try {
      if (typeof value !== 'string' && typeof value !== 'number') throw new Error('not a duration');
      ms = parseDuration(value);
    } catch {
      this.fail(field, `must be a duration such as "5s", "500ms", "10m" or "1h", got ${describe(value)}`);
    }
    if (ms < minMs) this.fail(field, `must be at least ${human(minMs)}, got ${describe(value)}`);
    if (ms > maxMs) this.fail(field, `must be at most ${human(maxMs)}, got ${describe(value)}`);
    return ms;
  }

  /** A size in bytes: a number, or "512KiB", "1MiB", "2MB". */
  bytes(value: unknown, field: string, min: number, max: number): number {
    let n: number | undefined;
    if (typeof value === 'number' && Number.isInteger(value)) n = value;
    else if (typeof value === 'string') {
      const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|kB|KB|MB|GB)?$/.exec(value.trim());
      if (m) {
        const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
        n = Math.round(Number(m[1]) * unit[(m[2] ?? 'B') as keyof typeof unit]);
      }
    }
    if (n === undefined)
      this.fail(field, `must be a size such as 1048576, "512KiB" or "1MiB", got ${describe(value)}`);
    if (n < min || n > max) this.fail(field, `must be from ${min} to ${max} bytes, got ${describe(value)}`);
    return n;
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(field, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    }
    return value as T;
  }
}

export function join(field: string, key: string | number): string {
  if (typeof key === 'number') return `${field}[${key}]`;
  return field === '' ? key : `${field}.${key}`;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function human(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
