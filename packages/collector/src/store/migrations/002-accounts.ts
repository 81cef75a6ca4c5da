import type { Database } from 'better-sqlite3';

/**
 * People: users gain a status (pending, active, disabled), who approved them and when, and
 * their identities (a Telegram user id with its private chat, a web login); audit entries
 * gain the surface they came from. Existing users were made by admins, so they are active.
 */
export const migration = {
  id: 2,
  name: 'accounts',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('pending', 'active', 'disabled'));
      ALTER TABLE users ADD COLUMN approved_by TEXT;
      ALTER TABLE users ADD COLUMN approved_at INTEGER;
      ALTER TABLE users ADD COLUMN rejected_at INTEGER;
      ALTER TABLE users ADD COLUMN updated_at INTEGER;
      -- Telegram identity: from.id of the user, and the private chat that reaches them
      ALTER TABLE users ADD COLUMN telegram_id INTEGER;
      ALTER TABLE users ADD COLUMN telegram_chat_id INTEGER;
      -- web login: scrypt$N$r$p$salt$hash (base64), see access/passwords.ts
      ALTER TABLE users ADD COLUMN password_hash TEXT;
      ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
      UPDATE users SET updated_at = created_at, approved_at = created_at;
      CREATE UNIQUE INDEX users_telegram ON users (telegram_id) WHERE telegram_id IS NOT NULL;
      CREATE INDEX users_status ON users (status, id);
      CREATE INDEX api_tokens_user ON api_tokens (user_id) WHERE user_id IS NOT NULL;

      ALTER TABLE audit_log ADD COLUMN surface TEXT NOT NULL DEFAULT 'api'
        CHECK (surface IN ('api', 'telegram', 'web', 'cli', 'system'));
      UPDATE audit_log SET surface = 'cli' WHERE actor IN ('cli', 'start');
      UPDATE audit_log SET surface = 'system' WHERE actor = 'collector';
    `);
  },
};
