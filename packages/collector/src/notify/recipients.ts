import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { CHANNEL_NAMES, type ChannelName } from './channels/types.ts';

/** Where a recipient came from: config (replaced at each start), the API, the Telegram bot, or a user's identity. */
export type RecipientSource = 'config' | 'api' | 'bot' | 'user';

/**
 * One destination on one channel: a Telegram chat, an e-mail address or a webhook URL. With a
 * `userId` it is that user's contact point and gets messages while the user is active; without
 * one it is a standalone sink (webhook, group chat, shared mailbox) that needs `approved`.
 */
export interface Recipient {
  id: number;
  userId: number | null;
  name: string;
  channel: ChannelName;
  /** Telegram chat id, e-mail address or webhook URL. */
  address: string;
  /** Webhook HMAC key; null elsewhere (or for an unsigned webhook). */
  secret: string | null;
  enabled: boolean;
  approved: boolean;
  source: RecipientSource;
  createdAt: number;
}

export interface RecipientInput {
  name: string;
  channel: ChannelName;
  address: string;
  secret?: string | null;
  /** Default true. */
  enabled?: boolean;
  /** Default false for the bot, true otherwise (config and API entries come from an admin). */
  approved?: boolean;
  /** Default "api". */
  source?: RecipientSource;
}

const TELEGRAM_CHAT = /^(?:-?\d{1,20}|@[A-Za-z]\w{3,31})$/;
const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** Checks an address for its channel; throws VALIDATION_FAILED with a message saying what to change. */
export function validateRecipient(input: RecipientInput): void {
  const fail = (message: string): never => {
    throw new PantauError('VALIDATION_FAILED', message, { details: { channel: input.channel } });
  };
  if (!CHANNEL_NAMES.includes(input.channel)) {
    fail(
      `recipient channel ${JSON.stringify(input.channel)} is unknown; use one of ${CHANNEL_NAMES.join(', ')}`,
    );
  }
  if (input.name.trim() === '') fail('recipient name is empty; give it a name people recognise');
  switch (input.channel) {
    case 'telegram':
      if (!TELEGRAM_CHAT.test(input.address)) {
        fail(
          `Telegram chat ${JSON.stringify(input.address)} is invalid; use the numeric chat id or @channelname`,
        );
      }
      break;
    case 'email':
      if (!EMAIL.test(input.address)) fail(`e-mail address ${JSON.stringify(input.address)} is invalid`);
      break;
    case 'webhook': {
      let url: URL | undefined;
      try {
        url = new URL(input.address);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        fail(`webhook URL ${JSON.stringify(input.address)} is invalid; use an http:// or https:// URL`);
      }
      if (input.secret !== undefined && input.secret !== null && input.secret.length < 16) {
        fail('webhook secret is shorter than 16 characters; use a long random string');
      }
      break;
    }
  }
}

/** Adds a recipient, or updates the one with the same channel and address. */
export function upsertRecipient(db: Database, input: RecipientInput, now: number = Date.now()): Recipient {
  validateRecipient(input);
  const source = input.source ?? 'api';
  const row = db
    .prepare(
      `INSERT INTO notify_recipients (name, channel, address, secret, enabled, approved, source, created_at)
       VALUES (@name, @channel, @address, @secret, @enabled, @approved, @source, @now)
       ON CONFLICT (channel, address) DO UPDATE SET
         name = excluded.name, secret = excluded.secret, enabled = excluded.enabled,
         approved = excluded.approved, source = excluded.source
       RETURNING *`,
    )
    .get({
      name: input.name,
      channel: input.channel,
      address: input.channel === 'email' ? input.address.toLowerCase() : input.address,
      secret: input.secret ?? null,
      enabled: (input.enabled ?? true) ? 1 : 0,
      approved: (input.approved ?? source !== 'bot') ? 1 : 0,
      source,
      now,
    }) as RecipientRow;
  return toRecipient(row);
}

export function getRecipient(db: Database, id: number): Recipient | undefined {
  const row = db.prepare('SELECT * FROM notify_recipients WHERE id = ?').get(id) as RecipientRow | undefined;
  return row === undefined ? undefined : toRecipient(row);
}

export function listRecipients(db: Database): Recipient[] {
  return (db.prepare('SELECT * FROM notify_recipients ORDER BY id').all() as RecipientRow[]).map(toRecipient);
}

/**
 * Recipients that get notifications: enabled, and either an active user's contact point or an
 * approved sink; optionally only on some channels. Pending, rejected and disabled users get nothing.
 */
export function listApprovedRecipients(db: Database, channels?: readonly ChannelName[]): Recipient[] {
  const rows = db
    .prepare(
      `SELECT r.* FROM notify_recipients r LEFT JOIN users u ON u.id = r.user_id
       WHERE r.enabled = 1 AND (CASE WHEN r.user_id IS NULL THEN r.approved = 1 ELSE u.status = 'active' END)
       ORDER BY r.id`,
    )
    .all() as RecipientRow[];
  return rows.map(toRecipient).filter((r) => channels === undefined || channels.includes(r.channel));
}

export function setRecipientApproved(db: Database, id: number, approved: boolean): boolean {
  return (
    db.prepare('UPDATE notify_recipients SET approved = ? WHERE id = ?').run(approved ? 1 : 0, id).changes > 0
  );
}

export function setRecipientEnabled(db: Database, id: number, enabled: boolean): boolean {
  return (
    db.prepare('UPDATE notify_recipients SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, id).changes > 0
  );
}

/** Removes a recipient; messages already in the outbox are still delivered. */
export function removeRecipient(db: Database, id: number): boolean {
  return db.prepare('DELETE FROM notify_recipients WHERE id = ?').run(id).changes > 0;
}

/**
 * Makes the config's recipients the set with source "config": upserts each (approved unless the
 * entry says otherwise) and removes config recipients that are no longer listed. Recipients from
 * the API or the bot are left alone.
 */
export function syncConfigRecipients(
  db: Database,
  entries: readonly Omit<RecipientInput, 'source'>[],
  now: number = Date.now(),
): Recipient[] {
  return db.transaction(() => {
    const kept = entries.map((e) => upsertRecipient(db, { ...e, source: 'config' }, now));
    const keep = new Set(kept.map((r) => r.id));
    for (const r of listRecipients(db)) {
      if (r.source === 'config' && !keep.has(r.id)) removeRecipient(db, r.id);
    }
    return kept;
  })();
}

interface RecipientRow {
  id: number;
  user_id: number | null;
  name: string;
  channel: ChannelName;
  address: string;
  secret: string | null;
  enabled: number;
  approved: number;
  source: RecipientSource;
  created_at: number;
}

function toRecipient(r: RecipientRow): Recipient {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    channel: r.channel,
    address: r.address,
    secret: r.secret,
    enabled: r.enabled === 1,
    approved: r.approved === 1,
    source: r.source,
    createdAt: r.created_at,
  };
}
