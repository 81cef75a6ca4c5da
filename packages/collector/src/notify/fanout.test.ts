import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSmtpServer } from '../../../../test/fakes/smtp-server.ts';
import { FakeTelegramServer } from '../../../../test/fakes/telegram-server.ts';
import { tempNotifyDb } from '../../../../test/fakes/temp-db.ts';
import { until } from '../../../../test/support/until.ts';
import { EmailChannel } from './channels/email.ts';
import { TelegramChannel } from './channels/telegram.ts';
import { WebhookChannel } from './channels/webhook.ts';
import { Fanout } from './fanout.ts';
import type { NotifyEvent, WebhookBody } from './message.ts';
import { Outbox } from './outbox.ts';
import { RecipientRepo } from './recipient-repo.ts';

const SECRET = 'fan-out-webhook-secret-0123';

let telegram: FakeTelegramServer;
let smtp: FakeSmtpServer;
let hook: Server;
let hookUrl: string;
let hooks: { body: string; signature: string }[];
let store: ReturnType<typeof tempNotifyDb>;

beforeEach(async () => {
  telegram = await FakeTelegramServer.start();
  smtp = await FakeSmtpServer.start({ user: 'u', pass: 'p' });
  hooks = [];
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      hooks.push({ body, signature: String(req.headers['x-pantau-signature']) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/pantau`;
  store = tempNotifyDb();
});

afterEach(async () => {
  await telegram.close();
  await smtp.close();
  hook.closeAllConnections();
  await new Promise((resolve) => hook.close(resolve));
  store.cleanup();
});

const event: NotifyEvent = {
  type: 'opened',
  at: 1_700_000_010_000,
  incidentId: 3,
  kind: 'service_down',
  severity: 'critical',
  host: 'lb-<1>',
  check: 'http :8081',
  since: 1_700_000_000_000,
  value: '502',
};

describe('notifyAll', () => {
  it('fans one event out to every approved recipient on all channels', async () => {
    const db = store.db;
    new RecipientRepo(db).upsert({ name: 'Alice', channel: 'telegram', address: '111' });
    new RecipientRepo(db).upsert({ name: 'Bob', channel: 'telegram', address: '222' });
    new RecipientRepo(db).upsert({ name: 'Ops', channel: 'email', address: 'Ops@Example.com' });
    new RecipientRepo(db).upsert({ name: 'Chat', channel: 'webhook', address: hookUrl, secret: SECRET });
    // Not notified: awaiting approval, disabled.
    new RecipientRepo(db).upsert({ name: 'Mallory', channel: 'telegram', address: '333', source: 'bot' });
    const carol = new RecipientRepo(db).upsert({
      name: 'Carol',
      channel: 'email',
      address: 'carol@example.com',
    });
    new RecipientRepo(db).setEnabled(carol.id, false);

    const outbox = new Outbox({
      db,
      channels: {
        telegram: new TelegramChannel({ token: telegram.token, apiRoot: telegram.url }),
        email: new EmailChannel({
          host: smtp.host,
          port: smtp.port,
          auth: { user: 'u', pass: 'p' },
          from: 'pantau@example.com',
          tls: { rejectUnauthorized: false },
        }),
        webhook: new WebhookChannel(),
      },
    });
    outbox.start();
    const ids = outbox.notifyAll(event, { render: { consoleUrl: 'https://pantau.example.com' } });
    expect(ids).toHaveLength(4);

    await until(
      'every channel to deliver',
      () => telegram.sent().length === 2 && smtp.mails.length === 1 && hooks.length === 1,
    );
    await outbox.stop();

    expect(
      telegram
        .sent()
        .map((c) => c.body.chat_id)
        .sort(),
    ).toEqual(['111', '222']);
    const [toAlice] = telegram.sent('111');
    expect(toAlice!.body.parse_mode).toBe('HTML');
    expect(toAlice!.body.text).toContain('lb-&lt;1&gt;');
    expect(toAlice!.body.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Acknowledge', callback_data: 'ack:3' },
          { text: 'Silence 1 h', callback_data: 'sil:3:1h' },
        ],
      ],
    });
    expect(smtp.mails[0]!.envelope.to).toEqual(['ops@example.com']);
    expect(smtp.mails[0]!.subject).toContain('http :8081 on lb-<1>');
    const [delivered] = hooks;
    expect(delivered!.signature).toBe(
      `sha256=${createHmac('sha256', SECRET).update(delivered!.body).digest('hex')}`,
    );
    expect((JSON.parse(delivered!.body) as WebhookBody).incident).toMatchObject({
      id: 3,
      host: 'lb-<1>',
      value: '502',
    });
    expect(
      outbox.messages().every((m) => m.status === 'sent' && m.incidentId === 3 && m.eventType === 'opened'),
    ).toBe(true);
  });

  it('enqueues for everyone or nobody, and joins the caller’s transaction', () => {
    const db = store.db;
    new RecipientRepo(db).upsert({ name: 'A', channel: 'telegram', address: '1' });
    new RecipientRepo(db).upsert({ name: 'B', channel: 'email', address: 'b@example.com' });
    const fanout = new Fanout(db);
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM notify_outbox').get() as { n: number }).n;
    expect(() =>
      db.transaction(() => {
        fanout.notifyAll(event);
        throw new Error('incident insert failed');
      })(),
    ).toThrow();
    expect(count()).toBe(0);
    expect(fanout.notifyAll(event, { channels: ['email'] })).toHaveLength(1);
    expect(count()).toBe(1);
  });
});

describe('recipients', () => {
  it('validates addresses with messages that say what to change', () => {
    const db = store.db;
    expect(() => new RecipientRepo(db).upsert({ name: 'x', channel: 'telegram', address: 'abc' })).toThrow(
      /numeric chat id/,
    );
    expect(() => new RecipientRepo(db).upsert({ name: 'x', channel: 'email', address: 'nope' })).toThrow(
      /e-mail address/,
    );
    expect(() =>
      new RecipientRepo(db).upsert({ name: 'x', channel: 'webhook', address: 'ftp://h/' }),
    ).toThrow(/http/);
    expect(() =>
      new RecipientRepo(db).upsert({ name: 'x', channel: 'webhook', address: 'https://h/', secret: 'short' }),
    ).toThrow(/16 characters/);
    expect(new RecipientRepo(db).list()).toEqual([]);
  });

  it('approval gates bot registrations; config sync replaces only config entries', () => {
    const db = store.db;
    const fromBot = new RecipientRepo(db).upsert({
      name: 'New',
      channel: 'telegram',
      address: '42',
      source: 'bot',
    });
    expect(fromBot.approved).toBe(false);
    expect(new RecipientRepo(db).approved()).toEqual([]);
    new RecipientRepo(db).setApproved(fromBot.id, true);
    expect(new RecipientRepo(db).approved().map((r) => r.name)).toEqual(['New']);

    new RecipientRepo(db).syncConfig([
      { name: 'Ops', channel: 'email', address: 'ops@example.com' },
      { name: 'Hook', channel: 'webhook', address: 'https://example.com/h', secret: SECRET },
    ]);
    new RecipientRepo(db).syncConfig([{ name: 'Ops team', channel: 'email', address: 'ops@example.com' }]);
    expect(new RecipientRepo(db).list().map((r) => [r.name, r.source])).toEqual([
      ['New', 'bot'],
      ['Ops team', 'config'],
    ]);
    expect(new RecipientRepo(db).approved(['email']).map((r) => r.address)).toEqual(['ops@example.com']);
  });
});
