import type { Database, Statement } from 'better-sqlite3';
import type { ChannelName, PayloadByChannel } from './channels/types.ts';

/** One message for one destination on one channel, already rendered. */
export type OutboxMessageInput = {
  [C in ChannelName]: {
    channel: C;
    payload: PayloadByChannel[C];
    /** Messages with the same key go out one at a time, in enqueue order. Default `<channel>:<destination>`. */
    recipientKey?: string;
    recipientId?: number | null;
    /** What the message is about, for listing and tracing: "opened", "recovered", ... */
    eventType?: string | null;
    incidentId?: number | null;
  };
}[ChannelName];

/** Where a payload goes: chat id, e-mail address or URL. */
export function destinationOf(message: OutboxMessageInput): string {
  switch (message.channel) {
    case 'telegram':
      return message.payload.chatId;
    case 'email':
      return message.payload.to.toLowerCase();
    case 'webhook':
      return message.payload.url;
  }
}

export function recipientKeyOf(message: OutboxMessageInput): string {
  return message.recipientKey ?? `${message.channel}:${destinationOf(message)}`;
}

const statements = new WeakMap<Database, Statement>();

/**
 * Adds a message to the outbox and returns its id. Synchronous and a single INSERT, so callers
 * can enqueue inside their own transaction: the message exists exactly when their change does.
 * The dispatcher finds it at its next poll; `Outbox.enqueue` also wakes it at once.
 */
export function enqueue(db: Database, message: OutboxMessageInput, now: number = Date.now()): number {
  let insert = statements.get(db);
  if (insert === undefined) {
    insert = db.prepare(
      `INSERT INTO notify_outbox
         (recipient_key, recipient_id, channel, payload, event_type, incident_id, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    statements.set(db, insert);
  }
  const result = insert.run(
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
