import { type Clock, systemClock } from '../clock.ts';

/**
 * Counts failures per key (client address) in a sliding minute; used for failed logins on the
 * API and failed agent upgrades. Only failures count, so a busy but honest client is never hit.
 */
export class FailureLimiter {
  readonly #hits = new Map<string, number[]>();
  readonly #perMinute: number;
  readonly #clock: Clock;

  constructor(perMinute: number, clock: Clock = systemClock) {
    this.#perMinute = perMinute;
    this.#clock = clock;
  }

  blocked(key: string, now = this.#clock()): boolean {
    return this.#recent(key, now).length >= this.#perMinute;
  }

  /** Whole seconds until `key` is no longer blocked (0 when it is not). */
  retryAfter(key: string, now = this.#clock()): number {
    const hits = this.#recent(key, now);
    if (hits.length < this.#perMinute) return 0;
    const freed = hits[hits.length - this.#perMinute]! + 60_000;
    return Math.max(1, Math.ceil((freed - now) / 1000));
  }

  fail(key: string, now = this.#clock()): void {
    const hits = this.#recent(key, now);
    hits.push(now);
    this.#hits.set(key, hits);
    if (this.#hits.size > 10_000) this.#sweep(now);
  }

  #recent(key: string, now: number): number[] {
    return (this.#hits.get(key) ?? []).filter((t) => now - t < 60_000);
  }

  #sweep(now: number): void {
    for (const [key, hits] of this.#hits) if (hits.every((t) => now - t >= 60_000)) this.#hits.delete(key);
  }
}
