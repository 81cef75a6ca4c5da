import { type AgentTime, systemTime } from './clock.ts';

/**
 * Calls `tick` every `intervalMs` on a fixed grid (no drift from the time each tick takes).
 * A tick that overruns skips the slots it missed instead of bunching up.
 */
export class Scheduler {
  #intervalMs: number;
  readonly #tick: () => Promise<void>;
  readonly #time: Pick<AgentTime, 'monotonic' | 'timers'>;
  #timer: unknown;
  #next = 0;
  #stopped = true;
  #current: Promise<void> | undefined;
  #again = false;

  constructor(
    intervalMs: number,
    tick: () => Promise<void>,
    time: Pick<AgentTime, 'monotonic' | 'timers'> = systemTime,
  ) {
    this.#intervalMs = intervalMs;
    this.#tick = tick;
    this.#time = time;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** The first tick comes one interval from now, so rates have a full window. */
  start(): void {
    this.#stopped = false;
    this.#next = this.#time.monotonic() + this.#intervalMs;
    this.#arm();
  }

  setInterval(ms: number): void {
    if (ms === this.#intervalMs) return;
    this.#intervalMs = ms;
    if (this.#stopped) return;
    this.#time.timers.clearTimeout(this.#timer);
    this.#next = this.#time.monotonic() + ms;
    this.#arm();
  }

  /** Runs one extra tick now, off the grid (the grid stays as it is), or right after the running one. */
  fireNow(): void {
    if (this.#stopped) return;
    if (this.#current) {
      this.#again = true;
      return;
    }
    this.#current = this.#tick().finally(() => {
      this.#current = undefined;
      this.#runAgain();
    });
  }

  #runAgain(): void {
    if (!this.#again) return;
    this.#again = false;
    this.fireNow();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#time.timers.clearTimeout(this.#timer);
    await this.#current;
  }

  #arm(): void {
    this.#timer = this.#time.timers.setTimeout(
      () => void this.#fire(),
      Math.max(0, this.#next - this.#time.monotonic()),
    );
  }

  async #fire(): Promise<void> {
    if (this.#current) await this.#current; // an extra tick from fireNow is still running
    this.#current = this.#tick();
    await this.#current;
    this.#current = undefined;
    if (this.#stopped) return;
    this.#runAgain();
    const now = this.#time.monotonic();
    this.#next += this.#intervalMs;
    if (this.#next <= now) this.#next += Math.ceil((now - this.#next) / this.#intervalMs) * this.#intervalMs;
    this.#arm();
  }
}
