import { nameProblem, PantauError } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import Type from 'typebox';
import { systemClock } from '../clock.ts';
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

/** The `notify.recipients` option: standalone sinks from config (config/ composes it). */
export const RecipientsInput = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 128 }),
      channel: Type.Union([Type.Literal('telegram'), Type.Literal('email'), Type.Literal('webhook')]),
      address: Type.String({ minLength: 1, maxLength: 2048 }),
      secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
      enabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  { maxItems: 1000 },
);

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
  const problem = nameProblem(input.name.trim());
  if (problem) fail(`recipient name ${problem}; give it a name people recognise`);
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

interface Row extends Omit<Recipient, 'enabled' | 'approved'> {
  enabled: 0 | 1;
  approved: 0 | 1;
}

/** Columns under their API names; `r.` where the query joins, bare in RETURNING (which takes no alias). */
const cols = (r: 'r.' | '') =>
  `${r}id, ${r}user_id AS userId, ${r}name, ${r}channel, ${r}address, ${r}secret, ${r}enabled, ${r}approved,
   ${r}source, ${r}created_at AS createdAt`;
const COLS = cols('r.');

const toRecipient = (r: Row): Recipient => ({ ...r, enabled: r.enabled === 1, approved: r.approved === 1 });

/**
 * Where notifications go: users' contact points and standalone sinks. Rows change through the
 * API (sinks), the config (replaced at each start) and the access commands (contact points).
 */
export class RecipientRepo {
  readonly #db: Database;
  readonly #sql: {
    upsert: Statement<[Record<string, unknown>], Row>;
    byId: Statement<[number], Row>;
    byAddress: Statement<[string, string], Row>;
    list: Statement<[], Row>;
    approved: Statement<[], Row>;
    setApproved: Statement<[0 | 1, number]>;
    setEnabled: Statement<[0 | 1, number]>;
    setName: Statement<[string, number]>;
    remove: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#db = db;
    this.#sql = {
      upsert: db.prepare(
        `INSERT INTO notify_recipients (name, channel, address, secret, enabled, approved, source, created_at)
         VALUES (@name, @channel, @address, @secret, @enabled, @approved, @source, @now)
         ON CONFLICT (channel, address) DO UPDATE SET
           name = excluded.name, secret = excluded.secret, enabled = excluded.enabled,
           approved = excluded.approved, source = excluded.source
         RETURNING ${cols('')}`,
      ),
      byId: db.prepare(`SELECT ${COLS} FROM notify_recipients r WHERE r.id = ?`),
      byAddress: db.prepare(`SELECT ${COLS} FROM notify_recipients r WHERE r.channel = ? AND r.address = ?`),
      list: db.prepare(`SELECT ${COLS} FROM notify_recipients r ORDER BY r.id`),
      // A contact point follows its user's status; a sink needs its own approval.
      approved: db.prepare(
        `SELECT ${COLS} FROM notify_recipients r LEFT JOIN users u ON u.id = r.user_id
         WHERE r.enabled = 1 AND (CASE WHEN r.user_id IS NULL THEN r.approved = 1 ELSE u.status = 'active' END)
         ORDER BY r.id`,
      ),
      setApproved: db.prepare('UPDATE notify_recipients SET approved = ? WHERE id = ?'),
      setEnabled: db.prepare('UPDATE notify_recipients SET enabled = ? WHERE id = ?'),
      setName: db.prepare('UPDATE notify_recipients SET name = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM notify_recipients WHERE id = ?'),
    };
  }

  /** Adds a recipient, or updates the one with the same channel and address. */
  upsert(input: RecipientInput, now: number = systemClock()): Recipient {
    validateRecipient(input);
    const source = input.source ?? 'api';
    return toRecipient(
      this.#sql.upsert.get({
        name: input.name,
        channel: input.channel,
        address: normalizeAddress(input.channel, input.address),
        secret: input.secret ?? null,
        enabled: (input.enabled ?? true) ? 1 : 0,
        approved: (input.approved ?? source !== 'bot') ? 1 : 0,
        source,
        now,
      })!,
    );
  }

  get(id: number): Recipient | undefined {
    const row = this.#sql.byId.get(id);
    return row && toRecipient(row);
  }

  byAddress(channel: ChannelName, address: string): Recipient | undefined {
    const row = this.#sql.byAddress.get(channel, normalizeAddress(channel, address));
    return row && toRecipient(row);
  }

  list(): Recipient[] {
    return this.#sql.list.all().map(toRecipient);
  }

  /**
   * Recipients that get notifications: enabled, and either an active user's contact point or an
   * approved sink; optionally only on some channels. Pending, rejected and disabled users get nothing.
   */
  approved(channels?: readonly ChannelName[]): Recipient[] {
    return this.#sql.approved
      .all()
      .map(toRecipient)
      .filter((r) => channels === undefined || channels.includes(r.channel));
  }

  setApproved(id: number, approved: boolean): boolean {
    return this.#sql.setApproved.run(approved ? 1 : 0, id).changes > 0;
  }

  setEnabled(id: number, enabled: boolean): boolean {
    return this.#sql.setEnabled.run(enabled ? 1 : 0, id).changes > 0;
  }

  rename(id: number, name: string): boolean {
    return this.#sql.setName.run(name, id).changes > 0;
  }

  /** Removes a recipient; messages already in the outbox are still delivered. */
  remove(id: number): boolean {
    return this.#sql.remove.run(id).changes > 0;
  }

  /**
   * Makes the config's recipients the set with source "config": upserts each (approved unless the
   * entry says otherwise) and removes config recipients that are no longer listed. Recipients from
   * the API, the bot or users are left alone.
   */
  syncConfig(entries: readonly Omit<RecipientInput, 'source'>[], now: number = systemClock()): Recipient[] {
    return this.#db.transaction(() => {
      const kept = entries.map((e) => this.upsert({ ...e, source: 'config' }, now));
      const keep = new Set(kept.map((r) => r.id));
      for (const r of this.list()) {
        if (r.source === 'config' && !keep.has(r.id)) this.remove(r.id);
      }
      return kept;
    })();
  }
}

function normalizeAddress(channel: ChannelName, address: string): string {
  return channel === 'email' ? address.toLowerCase() : address;
}

/** What to set so a channel can send; a recipient on an unset channel would never hear anything. */
export const CHANNEL_SETTING: Partial<Record<ChannelName, string>> = {
  telegram: 'telegram.token (PANTAU_TELEGRAM_TOKEN or PANTAU_TELEGRAM_TOKEN_FILE)',
};
