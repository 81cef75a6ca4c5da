import type { Database, Statement } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { ChannelName } from './channels/types.ts';
import {
  type Recipient,
  type RecipientInput,
  type RecipientSource,
  validateRecipient,
} from './recipients.ts';

/** A recipient as SQLite returns it: the flags are 0 or 1. */
interface Row extends Omit<Recipient, 'enabled' | 'approved'> {
  enabled: 0 | 1;
  approved: 0 | 1;
}

interface UpsertParams {
  name: string;
  channel: ChannelName;
  address: string;
  secret: string | null;
  enabled: 0 | 1;
  approved: 0 | 1;
  source: RecipientSource;
  now: number;
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
    upsert: Statement<[UpsertParams], Row>;
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
