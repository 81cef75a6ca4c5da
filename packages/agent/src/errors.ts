import type { CollectorError } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import type { Log as Logger } from './log.ts';

/**
 * Collector failures, reported once per change: a collector that keeps failing the same way is
 * reported once; a new message is reported again; recovery is reported with an empty message.
 */
export class ErrorTracker {
  readonly #last = new Map<string, string>();
  #pending: CollectorError[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  ok(collector: string): void {
    if (!this.#last.has(collector)) return;
    this.#last.delete(collector);
    this.#pending.push({ collector, message: '' });
    this.#log.info({ collector }, 'collector recovered');
  }

  fail(collector: string, err: unknown): void {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, Limits.text);
    if (this.#last.get(collector) === message) return;
    this.#last.set(collector, message);
    this.#pending.push({ collector, message });
    this.#log.warn({ collector, err: message }, 'collector failed');
  }

  /** Errors to put in the next snapshot, then forgotten. */
  take(): CollectorError[] | undefined {
    if (this.#pending.length === 0) return undefined;
    const out = this.#pending.slice(-64);
    this.#pending = [];
    return out;
  }
}
