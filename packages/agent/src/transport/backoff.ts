/**
 * Exponential backoff with full jitter: the n-th wait is uniform in [0, min(max, min · 2ⁿ)), so a
 * fleet that lost its collector at the same moment does not come back at the same moment.
 */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The cap of the next wait, before jitter. */
  cap(): number {
    return Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 40));
  }

  next(): number {
    const delay = Math.floor(this.#random() * this.cap());
    this.#attempt++;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
