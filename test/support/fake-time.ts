import type { Timers } from '../../packages/collector/src/clock.ts';

interface Pending {
  at: number;
  order: number;
  callback: () => void;
}

/**
 * A clock and timers that move only when a test says so: `advance(ms)` fires every timer due
 * by then in time order, with `now()` at each one's due time.
 */
export class FakeTime {
  #now: number;
  #order = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(start = Date.now()) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  readonly timers: Timers = {
    setTimeout: (callback, ms) => {
      const id = ++this.#order;
      this.#pending.set(id, { at: this.#now + Math.max(0, ms), order: id, callback });
      return id;
    },
    clearTimeout: (handle) => {
      this.#pending.delete(handle as number);
    },
  };

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#pending.size;
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at > until) continue;
        if (
          !next ||
          entry[1].at < next[1].at ||
          (entry[1].at === next[1].at && entry[1].order < next[1].order)
        )
          next = entry;
      }
      if (!next) break;
      this.#pending.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
    }
    this.#now = until;
  }
}
