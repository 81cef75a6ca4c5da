import type { Database } from 'better-sqlite3';

/**
 * Recipients become a user's contact points (rows with `user_id`: their Telegram chat, their
 * e-mail) plus standalone sinks (webhooks, group chats, shared mailboxes: no `user_id`). Old
 * rows are linked: a Telegram private chat (positive id) becomes, or joins, the user with that
 * Telegram identity, active if the recipient was approved and pending otherwise; an e-mail
 * address joins the user who has it. Everything else stays a sink. Needs migration 2.
 */
export const migration = {
  id: 101,
  name: 'contacts',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE notify_recipients ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
      CREATE INDEX notify_recipients_user ON notify_recipients (user_id) WHERE user_id IS NOT NULL;
    `);
    const chats = db
      .prepare(
        `SELECT id, name, address, approved, created_at AS createdAt FROM notify_recipients
         WHERE channel = 'telegram' AND address GLOB '[1-9]*' AND address NOT GLOB '*[^0-9]*' AND source <> 'config'`,
      )
      .all() as { id: number; name: string; address: string; approved: number; createdAt: number }[];
    const byTelegram = db.prepare('SELECT id FROM users WHERE telegram_id = ?').pluck();
    const nameTaken = db.prepare('SELECT 1 FROM users WHERE name = ?').pluck();
    const insertUser = db.prepare(
      `INSERT INTO users (name, email, role, status, telegram_id, telegram_chat_id, approved_by, approved_at, created_at, updated_at)
       VALUES (?, NULL, 'viewer', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const link = db.prepare('UPDATE notify_recipients SET user_id = ? WHERE id = ?');
    for (const chat of chats) {
      const telegramId = Number(chat.address);
      let userId = byTelegram.get(telegramId) as number | undefined;
      if (userId === undefined) {
        let name = chat.name.trim() || `telegram-${telegramId}`;
        if (nameTaken.get(name)) name = `${name} (${telegramId})`;
        const active = chat.approved === 1;
        userId = Number(
          insertUser.run(
            name,
            active ? 'active' : 'pending',
            telegramId,
            telegramId,
            active ? 'migration' : null,
            active ? chat.createdAt : null,
            chat.createdAt,
            chat.createdAt,
          ).lastInsertRowid,
        );
      }
      link.run(userId, chat.id);
    }
    db.exec(`
      UPDATE notify_recipients SET user_id = (SELECT u.id FROM users u WHERE lower(u.email) = notify_recipients.address)
      WHERE channel = 'email' AND source <> 'config' AND user_id IS NULL
        AND (SELECT count(*) FROM users u WHERE lower(u.email) = notify_recipients.address) = 1;
    `);
  },
};
