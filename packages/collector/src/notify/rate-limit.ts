import type { ChannelName } from './channels/types.ts';

export interface RateLimit {
  /** Least time between the end of one send and the start of the next to the same recipient (ms). */
  perRecipientIntervalMs?: number;
  /** Most sends started on the channel in any one second, all recipients together. */
  perSecond?: number;
}

/** Telegram allows about 1 message/s per chat and 30/s overall; stay under both. */
export const DEFAULT_RATE_LIMITS: Readonly<Partial<Record<ChannelName, RateLimit>>> = Object.freeze({
  telegram: { perRecipientIntervalMs: 1_000, perSecond: 25 },
});

/**
 * Says when a send may start. Spacing per recipient counts from the previous send's end, so the
 * far end sees the interval even when a request spends time on the wire.
 */
export class RateLimiter {
  readonly #limits: Partial<Record<ChannelName, RateLimit>>;
  readonly #lastEnd = new Map<string, number>();
  readonly #starts = new Map<ChannelName, number[]>();

  constructor(limits: Partial<Record<ChannelName, RateLimit>>) {
    this.#limits = limits;
  }

  /** Earliest time (epoch ms, ≥ now) a send on `channel` to `key` may start. */
  nextAllowed(channel: ChannelName, key: string, now: number): number {
    const limit = this.#limits[channel];
    if (limit === undefined) return now;
    let at = now;
    const lastEnd = this.#lastEnd.get(key);
    if (limit.perRecipientIntervalMs !== undefined && lastEnd !== undefined) {
      at = Math.max(at, lastEnd + limit.perRecipientIntervalMs);
    }
    if (limit.perSecond !== undefined) {
      const starts = this.#recentStarts(channel, now);
      if (starts.length >= limit.perSecond)
        at = Math.max(at, starts[starts.length - limit.perSecond]! + 1_000);
    }
    return at;
  }

  started(channel: ChannelName, now: number): void {
    if (this.#limits[channel]?.perSecond === undefined) return;
    this.#recentStarts(channel, now).push(now);
  }

  finished(channel: ChannelName, key: string, now: number): void {
    const interval = this.#limits[channel]?.perRecipientIntervalMs;
    if (interval === undefined) return;
    this.#lastEnd.set(key, now);
    // Forget recipients whose interval has passed, so the map stays as small as the active set.
    if (this.#lastEnd.size > 1_000) {
      for (const [k, end] of this.#lastEnd) if (end + interval < now) this.#lastEnd.delete(k);
    }
  }

  #recentStarts(channel: ChannelName, now: number): number[] {
    let starts = this.#starts.get(channel);
    if (starts === undefined) {
      starts = [];
      this.#starts.set(channel, starts);
    }
    while (starts.length > 0 && starts[0]! <= now - 1_000) starts.shift();
    return starts;
  }
}
