import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../access/actor.ts';
import { buildAccess } from '../access/index.ts';
import { EventBus } from '../events.ts';
import { AuditLog } from '../store/audit.ts';
import { migrate } from '../store/migrate.ts';
import { migration as initial } from '../store/migrations/001-initial.ts';
import { migration as notify } from '../store/migrations/100-notify.ts';
import { migration as incidents } from '../store/migrations/200-incidents.ts';
import { migrations } from '../store/migrations/index.ts';
import { RecipientRepo } from './recipient-repo.ts';

let dir: string;
let db: InstanceType<typeof Database>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-contacts-'));
  db = new Database(join(dir, 'pantau.db'));
  db.pragma('foreign_keys = ON');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const addresses = (list: { channel: string; address: string }[]) =>
  list.map((r) => `${r.channel}:${r.address}`);

describe('migration 101: recipients become contact points and sinks', () => {
  it('links old rows to users, creating users for private Telegram chats, and keeps the rest as sinks', () => {
    // The schema before accounts: only the first migrations ran.
    migrate(db, [initial, notify, incidents]);
    db.prepare(
      "INSERT INTO users (name, email, role, created_at) VALUES ('ops', 'ops@example.com', 'admin', 1)",
    ).run();
    const add = db.prepare(
      `INSERT INTO notify_recipients (name, channel, address, approved, source, created_at)
       VALUES (?, ?, ?, ?, ?, 5)`,
    );
    add.run('Ann', 'telegram', '1001', 1, 'bot');
    add.run('Bob', 'telegram', '1002', 0, 'bot');
    add.run('ops', 'telegram', '1003', 1, 'api');
    add.run('on-call group', 'telegram', '-100200', 1, 'api');
    add.run('Ops mail', 'email', 'ops@example.com', 1, 'api');
    add.run('team list', 'email', 'team@example.com', 1, 'api');
    add.run('hook', 'webhook', 'https://hooks.example.com/x', 1, 'api');

    const result = migrate(db, migrations);
    // Every migration the old schema lacked runs, accounts (2) and contacts (101) among them.
    const before = new Set([initial, notify, incidents].map((m) => m.id));
    expect(result.applied.map((m) => m.id)).toEqual(
      migrations.map((m) => m.id).filter((id) => !before.has(id)),
    );
    expect(result.applied.map((m) => m.id)).toEqual(expect.arrayContaining([2, 101]));

    const users = db
      .prepare('SELECT id, name, status, telegram_id AS tg, approved_by AS by FROM users ORDER BY id')
      .all() as { id: number; name: string; status: string; tg: number | null; by: string | null }[];
    expect(users).toEqual([
      { id: 1, name: 'ops', status: 'active', tg: null, by: null },
      { id: 2, name: 'Ann', status: 'active', tg: 1001, by: 'migration' },
      { id: 3, name: 'Bob', status: 'pending', tg: 1002, by: null },
      // A name taken by another user gets the chat id added.
      { id: 4, name: 'ops (1003)', status: 'active', tg: 1003, by: 'migration' },
    ]);
    const owners = Object.fromEntries(
      new RecipientRepo(db).list().map((r) => [`${r.channel}:${r.address}`, r.userId]),
    );
    expect(owners).toEqual({
      'telegram:1001': 2,
      'telegram:1002': 3,
      'telegram:1003': 4,
      'telegram:-100200': null,
      'email:ops@example.com': 1,
      'email:team@example.com': null,
      'webhook:https://hooks.example.com/x': null,
    });
    // Bob is pending: his approval moved from the recipient to the user, and nobody else lost alerts.
    expect(addresses(new RecipientRepo(db).approved())).toEqual([
      'telegram:1001',
      'telegram:1003',
      'telegram:-100200',
      'email:ops@example.com',
      'email:team@example.com',
      'webhook:https://hooks.example.com/x',
    ]);
  });
});

describe('fanout to users', () => {
  it('active users with contact points get alerts; pending, rejected and disabled users get nothing', async () => {
    migrate(db, migrations);
    const access = buildAccess({
      db,
      audit: new AuditLog(db),
      events: new EventBus(),
      adminToken: null,
      rejectCooldown: 60_000,
    });
    await access.users.create(CLI_ACTOR, { name: 'root', role: 'admin', email: 'root@example.com' });
    const ann = access.users.registerTelegram({
      telegramId: 11,
      chatId: 11,
      name: 'ann',
      email: 'ann@example.com',
    });
    const bob = access.users.registerTelegram({ telegramId: 12, chatId: 12, name: 'bob' });
    const cat = access.users.registerTelegram({ telegramId: 13, chatId: 13, name: 'cat' });
    new RecipientRepo(db).upsert({
      name: 'hook',
      channel: 'webhook',
      address: 'https://hooks.example.com/y',
    });
    expect(addresses(new RecipientRepo(db).approved())).toEqual([
      'email:root@example.com',
      'webhook:https://hooks.example.com/y',
    ]);

    access.users.approve(CLI_ACTOR, ann.id, 'viewer');
    access.users.approve(CLI_ACTOR, bob.id, 'operator');
    access.users.reject(CLI_ACTOR, cat.id);
    expect(addresses(new RecipientRepo(db).approved())).toEqual([
      'email:root@example.com',
      'telegram:11',
      'email:ann@example.com',
      'telegram:12',
      'webhook:https://hooks.example.com/y',
    ]);
    access.users.disable(CLI_ACTOR, bob.id);
    access.users.setEmail(CLI_ACTOR, ann.id, null);
    expect(addresses(new RecipientRepo(db).approved())).toEqual([
      'email:root@example.com',
      'telegram:11',
      'webhook:https://hooks.example.com/y',
    ]);
    access.users.remove(CLI_ACTOR, ann.id);
    expect(addresses(new RecipientRepo(db).approved(['telegram']))).toEqual([]);
  });
});
