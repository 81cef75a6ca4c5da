import type { Database } from 'better-sqlite3';

/**
 * Notification schema: who gets messages (notify_recipients), what is waiting to be sent or was
 * sent (notify_outbox) and every delivery attempt (notify_attempts). Times are Unix epoch ms.
 */
export const migration = {
  id: 100,
  name: 'notify',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE notify_recipients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('telegram', 'email', 'webhook')),
        -- Telegram chat id, e-mail address or webhook URL
        address TEXT NOT NULL,
        -- webhook HMAC key; kept in clear because signing needs it
        secret TEXT,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        approved INTEGER NOT NULL DEFAULT 0 CHECK (approved IN (0, 1)),
        -- where it came from: config (replaced at each start), api or bot
        source TEXT NOT NULL DEFAULT 'api',
        created_at INTEGER NOT NULL,
        UNIQUE (channel, address)
      );

      CREATE TABLE notify_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        -- messages with the same key are delivered one after the other, in id order
        recipient_key TEXT NOT NULL,
        recipient_id INTEGER,
        channel TEXT NOT NULL,
        -- channel payload as JSON, destination included
        payload TEXT NOT NULL,
        event_type TEXT,
        incident_id INTEGER,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        done_at INTEGER,
        last_error TEXT,
        -- the far end's id for a delivered message, e.g. Telegram's message_id
        provider_ref TEXT
      );
      CREATE INDEX notify_outbox_pending ON notify_outbox (recipient_key, id) WHERE status = 'pending';
      CREATE INDEX notify_outbox_pending_age ON notify_outbox (created_at) WHERE status = 'pending';
      CREATE INDEX notify_outbox_done ON notify_outbox (done_at) WHERE status <> 'pending';
      CREATE INDEX notify_outbox_incident ON notify_outbox (incident_id) WHERE incident_id IS NOT NULL;

      CREATE TABLE notify_attempts (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES notify_outbox (id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        -- sent; retry (backoff); wait (retry_after); dead (permanent error)
        outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'wait', 'dead')),
        error TEXT,
        retry_after_ms INTEGER
      );
      CREATE INDEX notify_attempts_message ON notify_attempts (message_id);
    `);
  },
};
