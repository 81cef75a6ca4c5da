import type { Database, Statement } from 'better-sqlite3';
import type { ChannelName } from './channels/types.ts';
import { type OutboxMessageInput, recipientKeyOf } from './enqueue.ts';
import type { DeliveryAttempt, MessageStatus, OutboxMessage } from './outbox.ts';

/** The oldest pending message of one recipient: what the dispatcher sends next to them. */
export interface HeadRow {
  id: number;
  recipientKey: string;
  channel: ChannelName;
  /** JSON. */
  payload: string;
  eventType: string | null;
  incidentId: number | null;
  attempts: number;
  nextAttemptAt: number;
}

type MessageRow = Omit<OutboxMessage, 'payload'> & { payload: string };
type Outcome = DeliveryAttempt['outcome'];

const MESSAGE_COLS = `id, recipient_key AS recipientKey, recipient_id AS recipientId, channel, payload,
  event_type AS eventType, incident_id AS incidentId, status, attempts, created_at AS createdAt,
  next_attempt_at AS nextAttemptAt, done_at AS doneAt, last_error AS lastError, provider_ref AS providerRef`;

const toMessage = ({ payload, ...row }: MessageRow): OutboxMessage => ({
  ...row,
  payload: JSON.parse(payload) as unknown,
});

/** The notify_outbox and notify_attempts tables. */
export class OutboxRepo {
  readonly #db: Database;
  readonly #sql: {
    insert: Statement<
      [string, number | null, ChannelName, string, string | null, number | null, number, number]
    >;
    heads: Statement<[], HeadRow>;
    openedRef: Statement<[number, string], { ref: string | null }>;
    attempt: Statement<[number, number, number, Outcome, string | null, number | null]>;
    done: Statement<['sent' | 'dead', number, number, string | null, string | null, number]>;
    later: Statement<[number, number, string, number]>;
    depth: Statement<[], { n: number }>;
    oldest: Statement<[], { createdAt: number | null }>;
    messages: Statement<[{ status: MessageStatus | null; before: number | null; limit: number }], MessageRow>;
    message: Statement<[number], MessageRow>;
    attempts: Statement<[number], DeliveryAttempt>;
    pruneAttempts: Statement<[number]>;
    pruneMessages: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO notify_outbox
           (recipient_key, recipient_id, channel, payload, event_type, incident_id, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      heads: db.prepare(
        `SELECT o.id, o.recipient_key AS recipientKey, o.channel, o.payload, o.event_type AS eventType,
                o.incident_id AS incidentId, o.attempts, o.next_attempt_at AS nextAttemptAt
           FROM (SELECT MIN(id) AS id FROM notify_outbox WHERE status = 'pending' GROUP BY recipient_key) h
           JOIN notify_outbox o ON o.id = h.id
          ORDER BY o.next_attempt_at, o.id`,
      ),
      openedRef: db.prepare(
        `SELECT provider_ref AS ref FROM notify_outbox
          WHERE incident_id = ? AND recipient_key = ? AND event_type = 'opened' AND status = 'sent'
          ORDER BY id DESC LIMIT 1`,
      ),
      attempt: db.prepare(
        `INSERT INTO notify_attempts (message_id, at, duration_ms, outcome, error, retry_after_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      done: db.prepare(
        `UPDATE notify_outbox SET status = ?, attempts = ?, done_at = ?, last_error = ?, provider_ref = ?
          WHERE id = ?`,
      ),
      later: db.prepare(
        'UPDATE notify_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?',
      ),
      depth: db.prepare(`SELECT COUNT(*) AS n FROM notify_outbox WHERE status = 'pending'`),
      oldest: db.prepare(`SELECT MIN(created_at) AS createdAt FROM notify_outbox WHERE status = 'pending'`),
      messages: db.prepare(
        `SELECT ${MESSAGE_COLS} FROM notify_outbox WHERE (@status IS NULL OR status = @status)
           AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit`,
      ),
      message: db.prepare(`SELECT ${MESSAGE_COLS} FROM notify_outbox WHERE id = ?`),
      attempts: db.prepare(
        `SELECT id, message_id AS messageId, at, duration_ms AS durationMs, outcome, error,
                retry_after_ms AS retryAfterMs
           FROM notify_attempts WHERE message_id = ? ORDER BY at, id`,
      ),
      pruneAttempts: db.prepare(`DELETE FROM notify_attempts WHERE message_id IN
        (SELECT id FROM notify_outbox WHERE status <> 'pending' AND done_at < ?)`),
      pruneMessages: db.prepare(`DELETE FROM notify_outbox WHERE status <> 'pending' AND done_at < ?`),
    };
  }

  /**
   * Adds a message and returns its id. Synchronous and a single INSERT, so callers can enqueue
   * inside their own transaction: the message exists exactly when their change does.
   */
  insert(message: OutboxMessageInput, now: number): number {
    const result = this.#sql.insert.run(
      recipientKeyOf(message),
      message.recipientId ?? null,
      message.channel,
      JSON.stringify(message.payload),
      message.eventType ?? null,
      message.incidentId ?? null,
      now,
      now,
    );
    return Number(result.lastInsertRowid);
  }

  /** Each recipient's oldest pending message, the soonest due first. */
  heads(): HeadRow[] {
    return this.#sql.heads.all();
  }

  /** The provider's id of the opening alert a recipient got about an incident, if it was sent. */
  openedRef(incidentId: number, recipientKey: string): string | null {
    return this.#sql.openedRef.get(incidentId, recipientKey)?.ref ?? null;
  }

  addAttempt(
    messageId: number,
    at: number,
    durationMs: number,
    outcome: Outcome,
    error: string | null,
    retryAfterMs: number | null,
  ): void {
    this.#sql.attempt.run(messageId, at, durationMs, outcome, error, retryAfterMs);
  }

  /** Ends a message: delivered or dead-lettered. */
  finish(
    id: number,
    status: 'sent' | 'dead',
    attempts: number,
    at: number,
    error: string | null,
    ref: string | null,
  ): void {
    this.#sql.done.run(status, attempts, at, error, ref, id);
  }

  /** Leaves a message pending until `nextAttemptAt`. */
  retryLater(id: number, attempts: number, nextAttemptAt: number, error: string): void {
    this.#sql.later.run(attempts, nextAttemptAt, error, id);
  }

  depth(): number {
    return this.#sql.depth.get()!.n;
  }

  /** When the oldest pending message was enqueued; null when none is pending. */
  oldestPendingAt(): number | null {
    return this.#sql.oldest.get()!.createdAt;
  }

  messages(filter: { status: MessageStatus | null; before: number | null; limit: number }): OutboxMessage[] {
    return this.#sql.messages.all(filter).map(toMessage);
  }

  message(id: number): OutboxMessage | undefined {
    const row = this.#sql.message.get(id);
    return row === undefined ? undefined : toMessage(row);
  }

  attempts(messageId: number): DeliveryAttempt[] {
    return this.#sql.attempts.all(messageId);
  }

  /** Deletes finished messages (and their attempts) done before `before`; returns how many messages. */
  prune(before: number): number {
    return this.#db.transaction(() => {
      this.#sql.pruneAttempts.run(before);
      return this.#sql.pruneMessages.run(before).changes;
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }
}
