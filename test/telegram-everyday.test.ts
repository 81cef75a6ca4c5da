import type { UserFromGetMe } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../packages/collector/src/access/roles.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import { fullSnapshot, sampleHello } from './fixtures/samples.ts';
import { clearProblem, openProblem } from './support/incidents.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

/**
 * What a Telegram user tripped over in everyday use, through the fake Bot API with the bot's
 * `botInfo` set and `apiRoot` at the fake.
 */

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

interface Bot {
  fake: FakeTelegramServer;
  t: TestApp;
}

async function bot(
  options: { without?: string[]; telegram?: Record<string, unknown>; config?: Record<string, unknown> } = {},
): Promise<Bot> {
  const fake = await FakeTelegramServer.start(options.without ? { without: options.without } : {});
  cleanup.push(() => fake.close());
  const t = await startTestApp(
    { telegram: { token: fake.token, apiRoot: fake.url, ...options.telegram }, ...options.config },
    undefined,
    { telegramBotInfo: fake.botInfo as UserFromGetMe },
  );
  cleanup.push(() => t.close());
  await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 5_000, 'the bot to poll');
  return { fake, t };
}

type Who = { id: number; first_name: string };

function telegramUser(t: TestApp, who: Who, role: Role, status: 'active' | 'pending' = 'active') {
  return t.app.pantau.access.repos.users.insert({
    name: who.first_name,
    email: null,
    role,
    status,
    telegramId: who.id,
    telegramChatId: who.id,
    approvedBy: status === 'active' ? 'test' : null,
    now: Date.now(),
  });
}

async function ask({ fake }: Bot, from: Who, text: string): Promise<TelegramCall> {
  const before = fake.delivered(from.id).length;
  fake.pushMessage(from, text);
  return fake.waitFor(() => fake.delivered(from.id)[before], 5_000, `an answer to ${text.slice(0, 40)}`);
}

const textOf = (call: TelegramCall) => String(call.body.text ?? call.body.caption ?? '');

function onlineHost(t: TestApp, name: string): number {
  const { store } = t.app.pantau;
  const { id } = t.addHost(name);
  const now = Date.now();
  store.hosts.markOnline(id, sampleHello(), now);
  store.writer.write([{ hostId: id, snapshot: { ...fullSnapshot(1), ts: now - 2_000 }, receivedAt: now }]);
  return id;
}

describe('Telegram bot in everyday use', { timeout: 30_000 }, () => {
  it('/start from an active user answers with their command list', async () => {
    const b = await bot();
    const ola = { id: 8101, first_name: 'Ola' };
    telegramUser(b.t, ola, 'viewer');
    const reply = textOf(await ask(b, ola, '/start'));
    expect(reply).toContain('/status');
    expect(reply).toContain('/chart');
    expect(reply).not.toContain('/ack');
  });

  it('a Bot API server without setMyCommands and sendChatAction: the bot polls and /chart still draws', async () => {
    const b = await bot({ without: ['setMyCommands', 'sendChatAction'] });
    const ann = { id: 8102, first_name: 'Ann' };
    telegramUser(b.t, ann, 'viewer');
    onlineHost(b.t, 'web-1');
    expect(b.fake.callsOf('setMyCommands').every((c) => c.status === 404)).toBe(true);
    const chart = await ask(b, ann, '/chart cpu web-1 1h');
    expect(chart.method).toBe('sendPhoto');
    expect(b.fake.callsOf('sendChatAction').map((c) => c.status)).toEqual([404]);
  });

  it('a rejected applicant inside the cooldown is told at /start, with no dialogue', async () => {
    const b = await bot({ config: { access: { rejectCooldown: 3_600_000 } } });
    const rex = { id: 8103, first_name: 'Rex' };
    const { users } = b.t.app.pantau.access;
    const applicant = users.registerTelegram({
      telegramId: rex.id,
      chatId: rex.id,
      name: 'Rex',
      email: 'rex@example.com',
    });
    const admin = {
      userId: null,
      id: 'token:admin',
      name: 'admin',
      role: 'admin' as const,
      surface: 'api' as const,
    };
    users.reject(admin, applicant.id);
    await b.fake.waitFor(() => b.fake.sent(rex.id)[0], 5_000, 'the rejection notice');
    const reply = textOf(await ask(b, rex, '/start'));
    expect(reply).toMatch(
      /^Your registration was not approved\. You can apply again with \/start in (59m \d+s|1h)\.$/,
    );
    expect(reply).not.toContain('tell me your name');
  });

  it('says "an operator" on approval and on enabling again', async () => {
    const b = await bot();
    const { users } = b.t.app.pantau.access;
    const admin = {
      userId: null,
      id: 'token:admin',
      name: 'admin',
      role: 'admin' as const,
      surface: 'api' as const,
    };
    const olga = { id: 8104, first_name: 'Olga' };
    const pending = telegramUser(b.t, olga, 'viewer', 'pending');
    users.approve(admin, pending.id, 'operator');
    const welcome = await b.fake.waitFor(() => b.fake.sent(olga.id)[0], 5_000, 'the welcome');
    expect(textOf(welcome)).toContain('you are an operator now');
    users.disable(admin, pending.id);
    users.enable(admin, pending.id);
    const enabled = await b.fake.waitFor(
      () => b.fake.sent(olga.id).find((c) => textOf(c).includes('enabled again')),
      5_000,
      'the enabled notice',
    );
    expect(textOf(enabled)).toContain('you are an operator.');
  });

  it('/incidents marks a card flapping, silenced until (with its zone) and acknowledged by', async () => {
    const b = await bot({ telegram: { timeZone: 'Europe/Berlin' } });
    const ann = { id: 8105, first_name: 'Ann' };
    telegramUser(b.t, ann, 'viewer');
    const hostId = onlineHost(b.t, 'web-1');
    const { app } = b.t;
    for (let n = 0; n < 3; n++) {
      openProblem(app, hostId);
      clearProblem(app, hostId);
    }
    const incident = openProblem(app, hostId);
    const admin = {
      userId: null,
      id: 'token:admin',
      name: 'admin',
      role: 'admin' as const,
      surface: 'api' as const,
    };
    app.pantau.alerting.commands.incidents.acknowledge(admin, incident.id);
    app.pantau.alerting.commands.silences.silence(admin, { incidentId: incident.id, durationMs: 3_600_000 });
    const reply = textOf(await ask(b, ann, '/incidents'));
    expect(reply).toContain(`#${incident.id}`);
    expect(reply).toMatch(
      /〰️ flapping · 🔕 silenced until \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin · ack by token:admin/,
    );
  });

  it('one time zone per person, always labelled: the alert, the silence added to it, /status', async () => {
    const b = await bot({ telegram: { timeZone: 'Europe/Berlin' } });
    const { app } = b.t;
    const { users } = app.pantau.access;
    const admin = {
      userId: null,
      id: 'token:admin',
      name: 'admin',
      role: 'admin' as const,
      surface: 'api' as const,
    };
    const jo = { id: 8106, first_name: 'Jo' };
    const kim = { id: 8107, first_name: 'Kim' };
    for (const who of [jo, kim]) {
      const applicant = users.registerTelegram({
        telegramId: who.id,
        chatId: who.id,
        name: who.first_name,
        email: `${who.first_name.toLowerCase()}@example.com`,
      });
      users.approve(admin, applicant.id, 'operator');
      await b.fake.waitFor(() => b.fake.sent(who.id)[0], 5_000, 'the welcome');
    }
    expect(textOf(await ask(b, jo, '/notify zone Mars/Olympus'))).toContain('is not an IANA time zone');
    expect(textOf(await ask(b, jo, '/notify zone Asia/Jakarta'))).toContain('Time zone: Asia/Jakarta');

    const hostId = onlineHost(b.t, 'web-1');
    const before = { jo: b.fake.sent(jo.id).length, kim: b.fake.sent(kim.id).length };
    const incident = openProblem(app, hostId);
    const alert = await b.fake.waitFor(() => b.fake.sent(jo.id)[before.jo], 5_000, 'the alert to Jo');
    expect(textOf(alert)).toMatch(/Since: <code>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia\/Jakarta/);
    expect(textOf(alert)).not.toMatch(/UTC|Europe\/Berlin/);
    const other = await b.fake.waitFor(() => b.fake.sent(kim.id)[before.kim], 5_000, 'the alert to Kim');
    expect(textOf(other)).toContain('Europe/Berlin');

    const messageId = (alert.response as { result: { message_id: number } }).result.message_id;
    b.fake.pushCallbackQuery(jo, `sil:${incident.id}:1h`, messageId);
    const edited = await b.fake.waitFor(
      () =>
        b.fake.callsOf('editMessageText', { ok: true }).find((c) => String(c.body.chat_id) === String(jo.id)),
      5_000,
      'the silenced alert',
    );
    expect(textOf(edited)).toMatch(/Silenced until \d{4}-\d\d-\d\d \d\d:\d\d Asia\/Jakarta by Jo/);
    expect(textOf(edited)).not.toMatch(/UTC|Europe\/Berlin/);
    expect(textOf(await ask(b, jo, '/status'))).toMatch(/\d\d:\d\d Asia\/Jakarta<\/i>$/);
  });

  it('/cpu, /top, /chart and /hosts read well on a phone', async () => {
    const b = await bot();
    const ann = { id: 8108, first_name: 'Ann' };
    telegramUser(b.t, ann, 'viewer');
    const { store } = b.t.app.pantau;
    const now = Date.now();
    const { id } = b.t.addHost('web-1');
    store.hosts.markOnline(id, sampleHello(), now);
    const snapshot = { ...fullSnapshot(1), ts: now - 2_000 };
    const proc = (pid: number, name: string) => ({
      pid,
      name,
      user: 'www-data-with-a-long-name',
      cpu: 99.9,
      rss: 1_234_567_890,
      command: name,
    });
    snapshot.processes = {
      count: 321,
      topCpu: [proc(4_194_304, 'postgres-checkpointer-process'), proc(7, 'node')],
      topMem: [proc(123_456, 'java-application-server')],
    };
    store.writer.write([{ hostId: id, snapshot, receivedAt: now }]);

    const cpu = textOf(await ask(b, ann, '/cpu web-1'));
    expect(cpu).toMatch(/<\/pre>\nload /);

    const top = textOf(await ask(b, ann, '/top web-1'));
    const rows = [...top.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].flatMap((m) => m[1]!.split('\n'));
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect([...row.replace(/&amp;/g, '&')].length).toBeLessThanOrEqual(36);

    const chart = await ask(b, ann, '/chart cpu web-1 7d');
    expect(textOf(chart)).toContain('Only one sample so far');

    // Many hosts that never connected, two down, one with an open problem: those come first.
    for (let i = 0; i < 60; i++) b.t.addHost(`idle-${String(i).padStart(2, '0')}`);
    for (const name of ['zz-down-1', 'zz-down-2']) {
      const down = b.t.addHost(name).id;
      store.hosts.markOnline(down, sampleHello(), now - 60_000);
      store.hosts.markOffline(down, now - 30_000);
    }
    const troubled = onlineHost(b.t, 'yy-troubled');
    openProblem(b.t.app, troubled);
    const hosts = textOf(await ask(b, ann, '/hosts'));
    const names = [...hosts.matchAll(/^\S+ (\S+) ·/gm)].map((m) => m[1]);
    expect(names.slice(0, 5)).toEqual(['zz-down-1', 'zz-down-2', 'yy-troubled', 'web-1', 'idle-00']);
  });

  it('/activities lists what one can run with a button each; refusals read like every other', async () => {
    const b = await bot();
    const ola = { id: 8109, first_name: 'Ola Operator' };
    telegramUser(b.t, ola, 'operator');
    onlineHost(b.t, 'web-1');
    const list = await ask(b, ola, '/activities');
    expect(textOf(list)).toContain('uptime');
    expect(textOf(list)).not.toContain('reboot');
    const markup = list.body.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] };
    const buttons = markup.inline_keyboard.flat();
    expect(buttons.map((x) => x.text)).toContain('ping');
    expect(buttons.map((x) => x.text)).not.toContain('⚠️ reboot');

    const before = b.fake.delivered(ola.id).length;
    b.fake.pushCallbackQuery(ola, buttons.find((x) => x.text === 'ping')!.callback_data);
    const how = await b.fake.waitFor(() => b.fake.delivered(ola.id)[before], 5_000, 'how to run ping');
    expect(textOf(how)).toContain('<code>/run ping TARGETS target=…</code>');
    expect(textOf(how)).toContain('count=1..10 (default 3)');

    expect(textOf(await ask(b, ola, '/run reboot web-1'))).toBe(
      'Not allowed: this needs the admin role; you are operator.',
    );
    expect(textOf(await ask(b, ola, '/run nosuch web-1'))).toBe(
      'No activity is called "nosuch". /activities lists what you can run.',
    );
    expect(textOf(await ask(b, ola, '/help'))).toContain('/activities');
  });
});
