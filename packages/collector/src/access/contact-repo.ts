import type { Database, Statement } from 'better-sqlite3';

/**
 * A user's contact points: the Telegram private chat of their identity and their e-mail
 * address. They are part of the account, so the access commands write them in the account's
 * own transaction; they are rows of notify_recipients with the user's `user_id`, which notify
 * reads as recipients. An existing sink with the same address joins the user rather than being
 * duplicated.
 */
export class ContactPoints {
  readonly #sql: {
    upsert: Statement<[{ userId: number; name: string; channel: string; address: string; now: number }]>;
    drop: Statement<[number, string]>;
  };

  constructor(db: Database) {
    this.#sql = {
      upsert: db.prepare(
        `INSERT INTO notify_recipients (user_id, name, channel, address, enabled, approved, source, created_at)
         VALUES (@userId, @name, @channel, @address, 1, 1, 'user', @now)
         ON CONFLICT (channel, address) DO UPDATE SET user_id = excluded.user_id, name = excluded.name
           WHERE notify_recipients.user_id IS NULL OR notify_recipients.user_id = excluded.user_id`,
      ),
      drop: db.prepare('DELETE FROM notify_recipients WHERE user_id = ? AND channel = ?'),
    };
  }

  /** The chat the bot reaches this user in; replaces an older one. */
  setTelegram(userId: number, name: string, chatId: number, now: number): void {
    this.#sql.drop.run(userId, 'telegram');
    this.#sql.upsert.run({ userId, name, channel: 'telegram', address: String(chatId), now });
  }

  /** Their e-mail address, or none. */
  setEmail(userId: number, name: string, email: string | null, now: number): void {
    this.#sql.drop.run(userId, 'email');
    if (email !== null) {
      this.#sql.upsert.run({ userId, name, channel: 'email', address: email.toLowerCase(), now });
    }
  }
}
