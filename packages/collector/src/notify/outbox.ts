import type { Database } from 'better-sqlite3';
import { type Clock, systemClock, systemTimers, type Timers } from '../clock.ts';
import type {
  Channel,
  ChannelName,
  Channels,
  InnerTry,
  PayloadByChannel,
  SendResult,
} from './channels/types.ts';
import { describeError } from './channels/types.ts';
import type { OutboxMessageInput } from './enqueue.ts';
import { Fanout, type NotifyAllOptions } from './fanout.ts';
import type { NotifyEvent } from './message.ts';
import { type HeadRow, OutboxRepo } from './outbox-repo.ts';
import { DEFAULT_RATE_LIMITS, type RateLimit, RateLimiter } from './rate-limit.ts';

/** The subset of a pino logger the outbox uses. */
export interface NotifyLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface BackoffOptions {
  /** Wait after the first transient failure (ms). Default 1000. */
  initialMs?: number;
  /** Growth per further attempt. Default 2. */
  factor?: number;
  /** Longest wait between attempts (ms). Default 300000 (5 min). */
  maxMs?: number;
}

export interface OutboxOptions {
  /** Database with the notify migrations applied. */
  db: Database;
  /** Configured channels; a message for a missing channel is dead-lettered. */
  channels: Channels;
  /** Clock, epoch ms. Default the system clock. */
  now?: Clock;
  /** Timer functions. Default the global setTimeout/clearTimeout. */
  timers?: Timers;
  /** How often the dispatcher looks for messages enqueued without waking it (ms). Default 1000. */
  pollIntervalMs?: number;
  /** Most sends in flight at once per channel, so a hanging channel cannot hold up the others. Default 8. */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Per-channel pacing; replaces the default (Telegram: 1 per chat per second, 25/s overall). */
  rateLimits?: Partial<Record<ChannelName, RateLimit>>;
  /** A limiter shared with other senders (the bot's replies), instead of one built from `rateLimits`. */
  limiter?: RateLimiter;
  /** How long delivered and dead messages and their attempts are kept (ms). Default 604800000 (7 d). */
  retentionMs?: number;
  /** How long stop() waits for sends in flight before aborting them (ms). Default 3000. */
  stopTimeoutMs?: number;
  logger?: NotifyLogger;
}

export type MessageStatus = 'pending' | 'sent' | 'dead';

export interface OutboxMessage {
  id: number;
  recipientKey: string;
  recipientId: number | null;
  channel: ChannelName;
  payload: unknown;
  eventType: string | null;
  incidentId: number | null;
  status: MessageStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  doneAt: number | null;
  lastError: string | null;
  providerRef: string | null;
}

export interface DeliveryAttempt {
  id: number;
  messageId: number;
  at: number;
  durationMs: number;
  outcome: 'sent' | 'retry' | 'wait' | 'dead';
  error: string | null;
  retryAfterMs: number | null;
}

const PRUNE_EVERY_MS = 3_600_000;
const NO_LOGGER: NotifyLogger = { info() {}, warn() {}, error() {} };

/**
 * Persistent outbox and its dispatcher. Messages wait in SQLite until delivered or given up, so an
 * outage delays them and a restart resumes them. Each recipient's messages go out one at a time in
 * enqueue order; different recipients proceed in parallel within the rate limits. Delivery is at
 * least once: a send cut short by a crash is repeated after the restart.
 */
export class Outbox {
  readonly db: Database;
  readonly #channels: Channels;
  readonly #now: Clock;
  readonly #timers: Timers;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #backoff: Required<BackoffOptions>;
  readonly #limiter: RateLimiter;
  readonly #retentionMs: number;
  readonly #stopTimeoutMs: number;
  readonly #log: NotifyLogger;
  readonly #repo: OutboxRepo;
  readonly #fanout: Fanout;

  /** Sends in flight, by recipient key. */
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #busy = new Map<ChannelName, number>();
  /** Channel-wide holds after a 429 that applies to the whole bot. */
  readonly #pausedUntil = new Map<ChannelName, number>();
  #abort = new AbortController();
  #timer: unknown;
  #running = false;
  #lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: OutboxOptions) {
    this.db = options.db;
    this.#channels = options.channels;
    this.#now = options.now ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#concurrency = options.concurrency ?? 8;
    this.#backoff = { initialMs: 1_000, factor: 2, maxMs: 300_000, ...options.backoff };
    this.#limiter = options.limiter ?? new RateLimiter(options.rateLimits ?? DEFAULT_RATE_LIMITS);
    this.#retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 3_000;
    this.#log = options.logger ?? NO_LOGGER;
    this.#repo = new OutboxRepo(this.db);
    this.#fanout = new Fanout(this.db, this.#repo);
  }

  /** Enqueues one message (see `enqueue`) and wakes the dispatcher. */
  enqueue(message: OutboxMessageInput): number {
    const id = this.#repo.insert(message, this.#now());
    this.wake();
    return id;
  }

  /**
   * Fans an event out to every approved recipient on the configured channels, in one transaction
   * (the caller's, when inside one), and wakes the dispatcher. Enqueued at `options.now`, default
   * the outbox's clock.
   */
  notifyAll(event: NotifyEvent, options: NotifyAllOptions = {}): number[] {
    const channels = options.channels ?? (Object.keys(this.#channels) as ChannelName[]);
    const ids = this.#fanout.notifyAll(event, { ...options, channels, now: options.now ?? this.#now() });
    this.wake();
    return ids;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.wake();
  }

  /**
   * Stops dispatching and waits for sends in flight; after `stopTimeoutMs` they are aborted (and
   * stay pending). Every attempt is recorded before this resolves, so the database can be closed.
   * The channels stay open: whoever made them closes them.
   */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = Promise.all(this.#inFlight.values());
    let timeout: unknown;
    const waited = await Promise.race([
      pending.then(() => true),
      new Promise<boolean>((resolve) => {
        timeout = this.#timers.setTimeout(() => resolve(false), this.#stopTimeoutMs);
      }),
    ]);
    this.#timers.clearTimeout(timeout);
    if (!waited) {
      this.#abort.abort();
      await pending;
    }
  }

  /** Runs a dispatch pass soon (after the caller's transaction, if any, has committed). */
  wake(): void {
    if (!this.#running) return;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = this.#timers.setTimeout(() => this.#tick(), 0);
  }

  /** Messages waiting to be delivered, for /metrics. */
  depth(): number {
    return this.#repo.depth();
  }

  /** Age of the oldest waiting message (ms), 0 when none wait, for /metrics. */
  oldestAgeMs(): number {
    const createdAt = this.#repo.oldestPendingAt();
    return createdAt === null ? 0 : Math.max(0, this.#now() - createdAt);
  }

  /** Messages by status (all when omitted), newest first. */
  messages(options: { status?: MessageStatus; limit?: number; before?: number } = {}): OutboxMessage[] {
    return this.#repo.messages({
      status: options.status ?? null,
      before: options.before ?? null,
      limit: options.limit ?? 100,
    });
  }

  message(id: number): OutboxMessage | undefined {
    return this.#repo.message(id);
  }

  /** Every recorded attempt of one message, oldest first. */
  attempts(messageId: number): DeliveryAttempt[] {
    return this.#repo.attempts(messageId);
  }

  /** Deletes delivered and dead messages (with their attempts) older than the retention. */
  prune(): number {
    return this.#repo.prune(this.#now() - this.#retentionMs);
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    try {
      const now = this.#now();
      if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
        this.#lastPrune = now;
        this.prune();
      }
      let nextAt = now + this.#pollMs;
      for (const head of this.#repo.heads()) {
        const busy = this.#busy.get(head.channel) ?? 0;
        if (busy >= this.#concurrency || this.#inFlight.has(head.recipientKey)) continue;
        const at = Math.max(
          head.nextAttemptAt,
          this.#pausedUntil.get(head.channel) ?? 0,
          this.#limiter.nextAllowed(head.channel, head.recipientKey, now),
        );
        if (at > now) {
          nextAt = Math.min(nextAt, at);
          continue;
        }
        this.#busy.set(head.channel, busy + 1);
        const delivery = this.#deliver(head).finally(() => {
          this.#inFlight.delete(head.recipientKey);
          this.#busy.set(head.channel, (this.#busy.get(head.channel) ?? 1) - 1);
          this.wake();
        });
        this.#inFlight.set(head.recipientKey, delivery);
      }
      this.#timer = this.#timers.setTimeout(() => this.#tick(), Math.max(0, nextAt - now));
    } catch (error) {
      this.#log.error({ err: error }, 'notify outbox: dispatch pass failed');
      this.#timer = this.#timers.setTimeout(() => this.#tick(), this.#pollMs);
    }
  }

  async #deliver(head: HeadRow): Promise<void> {
    const at = this.#now();
    // The pass's `now` can be ms stale by here; pacing must count from when the send really starts.
    this.#limiter.started(head.channel, at);
    let result: SendResult;
    const channel = this.#channels[head.channel] as Channel | undefined;
    if (channel === undefined) {
      result = { outcome: 'permanent', error: `no ${head.channel} channel is configured` };
    } else {
      try {
        result = await channel.send(this.#threaded(head), {
          messageId: head.id,
          signal: this.#abort.signal,
        });
      } catch (error) {
        result = { outcome: 'retry', error: describeError(error) };
      }
    }
    const end = this.#now();
    this.#limiter.finished(head.channel, head.recipientKey, end);
    try {
      this.#record(head, result, at, end);
    } catch (error) {
      // The send happened but could not be recorded: it will be repeated (at least once).
      this.#log.error(
        { err: error, messageId: head.id },
        'notify outbox: could not record a delivery attempt',
      );
    }
  }

  /** A Telegram recovery answers the chat's opening alert, so each incident reads as one thread. */
  #threaded(head: HeadRow): PayloadByChannel[ChannelName] {
    // Stored by OutboxRepo.insert from a typed message of this head's channel.
    const payload = JSON.parse(head.payload) as PayloadByChannel[ChannelName];
    if (head.channel !== 'telegram' || head.eventType !== 'recovered' || head.incidentId === null)
      return payload;
    const replyTo = Number(this.#repo.openedRef(head.incidentId, head.recipientKey));
    return Number.isSafeInteger(replyTo) && replyTo > 0 ? { ...payload, replyTo } : payload;
  }

  #record(head: HeadRow, result: SendResult, at: number, end: number): void {
    const inner: InnerTry[] = result.inner ?? [];
    const attempts = head.attempts + inner.length + 1;
    this.#repo.transaction(() => {
      for (const t of inner) {
        this.#repo.addAttempt(head.id, t.at, t.durationMs, t.outcome, t.error, t.retryAfterMs ?? null);
      }
      const lastStart = inner.length === 0 ? at : Math.max(at, inner.at(-1)!.at + inner.at(-1)!.durationMs);
      const duration = end - lastStart;
      switch (result.outcome) {
        case 'sent':
          this.#repo.addAttempt(head.id, lastStart, duration, 'sent', null, null);
          this.#repo.finish(head.id, 'sent', attempts, end, null, result.ref ?? null);
          break;
        case 'permanent':
          this.#repo.addAttempt(head.id, lastStart, duration, 'dead', result.error, null);
          this.#repo.finish(head.id, 'dead', attempts, end, result.error, null);
          this.#log.warn(
            { messageId: head.id, channel: head.channel, recipient: head.recipientKey, error: result.error },
            'notify: message dead-lettered after a permanent error',
          );
          break;
        case 'retry': {
          const delay = Math.min(
            this.#backoff.maxMs,
            this.#backoff.initialMs * this.#backoff.factor ** Math.min(head.attempts, 30),
          );
          this.#repo.addAttempt(head.id, lastStart, duration, 'retry', result.error, null);
          this.#repo.retryLater(head.id, attempts, end + delay, result.error);
          break;
        }
        case 'wait':
          this.#repo.addAttempt(head.id, lastStart, duration, 'wait', result.error, result.retryAfterMs);
          this.#repo.retryLater(head.id, attempts, end + result.retryAfterMs, result.error);
          if (result.scope === 'channel') {
            const until = end + result.retryAfterMs;
            this.#pausedUntil.set(head.channel, Math.max(this.#pausedUntil.get(head.channel) ?? 0, until));
          }
          break;
      }
    });
  }
}
