import type { Database, Statement } from 'better-sqlite3';
import type { Actor } from '../access/actor.ts';

/** Who a Telegram user is to Pantau. */
export type Principal =
  | { status: 'active'; actor: Actor }
  | { status: 'pending' }
  | { status: 'disabled' }
  | { status: 'unknown' };

/** Turns a Telegram user id (`from.id`, private chats only) into a principal. */
export interface Principals {
  identify(telegramUserId: number): Principal;
}

interface RecipientRow {
  name: string;
  enabled: number;
  approved: number;
}

/**
 * Until user accounts land, the people an admin already approved as Telegram alert recipients
 * (config, API) may ask read-only questions: a private chat's id is its user's id.
 */
export class RecipientPrincipals implements Principals {
  readonly #byChat: Statement<[string], RecipientRow>;

  constructor(db: Database) {
    this.#byChat = db.prepare(
      `SELECT name, enabled, approved FROM notify_recipients
       WHERE channel = 'telegram' AND address = ? ORDER BY approved DESC, enabled DESC LIMIT 1`,
    );
  }

  identify(telegramUserId: number): Principal {
    const row = this.#byChat.get(String(telegramUserId));
    if (row === undefined) return { status: 'unknown' };
    if (row.approved !== 1) return { status: 'pending' };
    if (row.enabled !== 1) return { status: 'disabled' };
    return {
      status: 'active',
      actor: {
        userId: null,
        id: `telegram:${telegramUserId}`,
        name: row.name,
        role: 'viewer',
        surface: 'telegram',
      },
    };
  }
}
