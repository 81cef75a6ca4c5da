/**
 * Calls `tick` every `intervalMs` on a fixed grid (no drift from the time each tick takes).
 * A tick that overruns skips the slots it missed instead of bunching up.
 */
export class Scheduler {
  #intervalMs: number;
  readonly #tick: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #next = 0;
  #stopped = true;
  #current: Promise<void> | undefined;

  constructor(intervalMs: number, tick: () => Promise<void>) {
    this.#intervalMs = intervalMs;
    this.#tick = tick;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** The first tick comes one interval from now, so rates have a full window. */
  start(): void {
    this.#stopped = false;
    this.#next = performance.now() + this.#intervalMs;
    this.#arm();
  }

  setInterval(ms: number): void {
    if (ms === this.#intervalMs) return;
    this.#intervalMs = ms;
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#next = performance.now() + ms;
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current;
  }

  #arm(): void {
    this.#timer = setTimeout(() => void this.#fire(), Math.max(0, this.#next - performance.now()));
  }

  async #fire(): Promise<void> {
    this.#current = this.#tick();
    await this.#current;
    this.#current = undefined;
    if (this.#stopped) return;
    const now = performance.now();
    this.#next += this.#intervalMs;
    if (this.#next <= now) this.#next += Math.ceil((now - this.#next) / this.#intervalMs) * this.#intervalMs;
    this.#arm();
  }
}
