import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UserFromGetMe } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../packages/collector/src/app.ts';
import { type DeepPartial, loadConfig } from '../packages/collector/src/config/index.ts';
import type { CollectorConfig } from '../packages/collector/src/config/types.ts';
import { FakeTelegramServer } from './fakes/telegram-server.ts';
import { freePort } from './support/collector-process.ts';

const USER = { id: 4242, first_name: 'Wen' };
const SECRET = 'webhook-secret-0123456789_abc';

type App = Awaited<ReturnType<typeof buildApp>>;
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

async function collector(fake: FakeTelegramServer, telegram: DeepPartial<CollectorConfig['telegram']>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pantau-tg-'));
  const port = await freePort();
  const config = loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port,
      dataDir,
      logLevel: 'silent',
      publicUrl: `http://127.0.0.1:${port}`,
      telegram: { token: fake.token, apiRoot: fake.url, ...telegram },
    },
  });
  const app: App = await buildApp(config, { telegramBotInfo: fake.botInfo as UserFromGetMe });
  app.pantau.access.repos.users.insert({
    name: 'Wen',
    email: null,
    role: 'viewer',
    status: 'active',
    telegramId: USER.id,
    telegramChatId: USER.id,
    approvedBy: 'test',
    now: Date.now(),
  });
  await app.listen({ host: '127.0.0.1', port });
  cleanup.push(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { app, url: `http://127.0.0.1:${port}` };
}

async function startFake(): Promise<FakeTelegramServer> {
  const fake = await FakeTelegramServer.start();
  cleanup.push(() => fake.close());
  return fake;
}

describe('Telegram bot modes', () => {
  it('webhook mode: sets the webhook with its secret, answers what Telegram POSTs, refuses forgeries', async () => {
    const fake = await startFake();
    const { app, url } = await collector(fake, { mode: 'webhook', webhookSecret: SECRET });
    await fake.waitFor(() => fake.webhook ?? undefined);
    expect(fake.webhook).toEqual({ url: `${url}/telegram/webhook`, secretToken: SECRET });
    // Guests see how to register; the user's own chat gets the viewer's menu.
    expect(fake.commands.map((c) => c.command)).toEqual(['start', 'help']);
    const menu = await fake.waitFor(() =>
      fake.scopedCommands.get(JSON.stringify({ type: 'chat', chat_id: USER.id })),
    );
    expect(menu.map((c) => c.command)).toContain('status');
    expect(menu.map((c) => c.command)).not.toContain('ack');
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
    app.pantau.store.hosts.add('web-1', {});

    fake.pushMessage(USER, '/status');
    const reply = await fake.waitFor(() => fake.delivered(USER.id)[0]);
    expect(String(reply.body.text)).toContain('Fleet · 1 hosts');
    expect(fake.deliveries[0]!.status).toBe(200);

    const forged = fake.pushMessage(USER, '/hosts');
    await fake.waitFor(() => fake.deliveries.length === 2);
    expect(await fake.deliver(forged, 'wrong-secret-0123456789')).toBe(401);
    expect(await fake.deliver(forged, null)).toBe(401);
    const bad = await fetch(`${url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('update_id'),
    });
    // Only the two genuine updates were answered.
    await fake.settled(() => app.pantau.bot?.handling ?? 0);
    expect(fake.delivered(USER.id)).toHaveLength(2);
  });

  it('a second collector polling the same token stops with a clear state; the first keeps answering', async () => {
    const fake = await startFake();
    const first = await collector(fake, {});
    await fake.waitFor(
      () => first.app.pantau.bot?.state === 'polling' && fake.callsOf('getUpdates').length > 0,
    );
    const second = await collector(fake, {});
    await fake.waitFor(
      () => second.app.pantau.bot?.state === 'conflict',
      5_000,
      'the second poller to give up',
    );
    expect(fake.callsOf('getUpdates').some((c) => c.status === 409)).toBe(true);
    fake.pushMessage(USER, '/help');
    const reply = await fake.waitFor(() => fake.delivered(USER.id)[0]);
    expect(String(reply.body.text)).toContain('/status');
    expect(first.app.pantau.bot?.state).toBe('polling');
  });

  it('mode off: no bot, no polling; pushes still work through the channel', async () => {
    const fake = await startFake();
    const { app } = await collector(fake, { mode: 'off' });
    expect(app.pantau.bot).toBeUndefined();
    expect(app.pantau.alerting.channels.telegram).toBeDefined();
    app.pantau.alerting.outbox.enqueue({
      channel: 'telegram',
      payload: { chatId: String(USER.id), html: 'pushed' },
    });
    const pushed = await fake.waitFor(() => fake.delivered(USER.id)[0], 5_000, 'the push');
    expect(pushed.body.text).toBe('pushed');
    // Started with the app, a poller would have asked for updates before the push went out.
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
  });

  it('refuses webhook mode without a secret or a public URL, saying what to set', () => {
    const load = (
      telegram: Record<string, unknown>,
      publicUrl: string | null = 'https://pantau.example.com',
    ) =>
      loadConfig({
        env: {},
        overrides: { publicUrl, telegram: { token: '123456:ABCDEFGHIJKLMNOP', ...telegram } } as never,
      });
    expect(() => load({ mode: 'webhook' })).toThrow(/telegram.webhookSecret is not set/);
    expect(() => load({ mode: 'webhook', webhookSecret: 'has spaces in it, not allowed' })).toThrow(
      /may hold only A-Z a-z 0-9 _ -/,
    );
    expect(() => load({ mode: 'webhook', webhookSecret: SECRET }, null)).toThrow(/publicUrl is not set/);
    expect(() => load({ mode: 'push' })).toThrow(/telegram.mode .* must be one of polling, webhook, off/);
    expect(() => load({ timeZone: 'Mars/Olympus' })).toThrow(/IANA time zone/);
    expect(() => load({ webhookPath: 'no-slash' })).toThrow(/URL path/);
    expect(load({ timeZone: 'Asia/Jakarta' }).telegram.timeZone).toBe('Asia/Jakarta');
  });
});
