import type { UserFromGetMe } from 'grammy/types';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import { fullSnapshot, sampleHello } from './fixtures/samples.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const ANN = { id: 5001, first_name: 'Ann' };
/** Registered viewers, one per question where answers would otherwise wait on the per-chat pacing. */
const VIEWERS = Array.from({ length: 30 }, (_, i) => ({ id: 7000 + i, first_name: `Viewer ${i}` }));
const STRANGER = { id: 6001, first_name: 'Mallory' };
const PENDING = { id: 6002, first_name: 'Pat' };
const FLOODER = { id: 5002, first_name: 'Flo' };
const HOSTILE = '<img src=x onerror=alert(1)>*_`[md]`';

let fake: FakeTelegramServer;
let t: TestApp;
let web1 = 0;

beforeAll(async () => {
  fake = await FakeTelegramServer.start();
  t = await startTestApp({ telegram: { token: fake.token, apiRoot: fake.url, userRate: 8 } }, undefined, {
    telegramBotInfo: fake.botInfo as UserFromGetMe,
  });
  const { store } = t.app.pantau;
  for (const viewer of [ANN, FLOODER, ...VIEWERS]) telegramUser(viewer, 'active');
  telegramUser(PENDING, 'pending');
  const now = Date.now();
  for (const name of ['web-1', 'web-2', 'db-1', HOSTILE]) {
    const { id } = t.addHost(name, name === 'db-1' ? { env: 'prod' } : {});
    if (name === 'web-1') web1 = id;
    if (name === 'db-2') continue;
    store.hosts.markOnline(id, sampleHello(), now);
    const snapshot = { ...fullSnapshot(1), ts: now - 2_000 };
    snapshot.cpu = { ...snapshot.cpu, total: name === 'web-1' ? 42.4 : 7 };
    store.writer.write([{ hostId: id, snapshot, receivedAt: now }]);
  }
  // Enough hosts for /hosts to need pages.
  for (let i = 0; i < 150; i++) t.addHost(`batch-${String(i).padStart(3, '0')}-with-a-longer-name`);
  await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 5_000, 'the bot to poll');
}, 30_000);

/** A user with a Telegram identity, as an admin's approval leaves them. */
function telegramUser(who: { id: number; first_name: string }, status: 'active' | 'pending'): void {
  t.app.pantau.access.repos.users.insert({
    name: who.first_name,
    email: null,
    role: 'viewer',
    status,
    telegramId: who.id,
    telegramChatId: who.id,
    approvedBy: status === 'active' ? 'test' : null,
    now: Date.now(),
  });
}

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** Sends a message as `from` and waits for the next message the bot sends to that chat. */
async function ask(from: { id: number; first_name: string }, text: string): Promise<TelegramCall> {
  const before = fake.delivered(from.id).length;
  fake.pushMessage(from, text);
  return fake.waitFor(() => fake.delivered(from.id)[before], 5_000, `an answer to ${text.slice(0, 40)}`);
}

/** Presses a button and waits for its answerCallbackQuery. */
async function press(from: { id: number }, data: string, messageId?: number): Promise<TelegramCall> {
  const before = fake.callsOf('answerCallbackQuery').length;
  fake.pushCallbackQuery(from, data, messageId);
  return fake.waitFor(() => fake.callsOf('answerCallbackQuery')[before], 5_000, `the answer to ${data}`);
}

const text = (call: TelegramCall) => String(call.body.text ?? call.body.caption ?? '');
/** Buttons of a sent message; multipart requests (photos) carry the markup as a JSON string. */
const buttons = (call: TelegramCall) => {
  const markup = call.body.reply_markup;
  const parsed = (typeof markup === 'string' ? JSON.parse(markup) : (markup ?? { inline_keyboard: [] })) as {
    inline_keyboard: { text: string; callback_data: string }[][];
  };
  return parsed.inline_keyboard.flat();
};
const messageId = (call: TelegramCall) =>
  (call.response as { result: { message_id: number } }).result.message_id;

describe('Telegram bot: read-only questions', () => {
  it('/status sums up the fleet and names the busiest host', async () => {
    const reply = await ask(ANN, '/status');
    expect(text(reply)).toContain('Fleet · 154 hosts');
    expect(text(reply)).toContain('🟢 4 up');
    expect(text(reply)).toContain('no open incidents');
    expect(text(reply)).toMatch(/web-1\s+42 %/);
    expect(reply.body.parse_mode).toBe('HTML');
  });

  it('/cpu with an ambiguous prefix offers buttons; picking one edits the picker into the answer', async () => {
    const picker = await ask(VIEWERS[14]!, '/cpu web');
    expect(text(picker)).toContain('Several hosts start with "web"');
    const choice = buttons(picker).find((b) => b.text === 'web-1')!;
    expect(choice.callback_data).toBe(`hp:cpu:${web1}`);
    await press(VIEWERS[14]!, choice.callback_data, messageId(picker));
    await fake.waitFor(() => fake.message(VIEWERS[14]!.id, messageId(picker))?.text?.includes('CPU · web-1'));
    expect(fake.message(VIEWERS[14]!.id, messageId(picker))!.text).toMatch(/busy\s+42 %/);
  });

  it('answers each host view with formatted numbers and a Chart button', async () => {
    const expected: Record<string, RegExp> = {
      '/cpu web-1': /busy\s+42 %[\s\S]*load 0\.42/,
      '/ram web-1': /used\s+1\.4 GiB\s+37 %/,
      '/system web-1': /Debian GNU\/Linux 12[\s\S]*Uptime: /,
      '/disk web-1': /\/\s+18\.6 GiB\s+48\.4 GiB\s+41 %/,
      '/top web-1': /812 node +35 %/,
      '/ports web-1': /tcp6\s+::\s+8080\s+node/,
      '/checks web-1': /❌ lb .*expected status 200, got 502/,
      '/containers web-1': /redis\s+running, unhealthy\s+-\s+2\s+0\.3 %[\s\S]*per core, as docker stats/,
      '/checks': /8 in the fleet, 4 failing/,
      '/disk': /Fullest filesystems/,
      '/incidents': /No open incidents/,
      '/help': /\/chart: Chart/,
      '/hosts env=prod': /db-1/,
    };
    const replies = await Promise.all(Object.keys(expected).map((command, i) => ask(VIEWERS[i]!, command)));
    Object.entries(expected).forEach(([command, pattern], i) => {
      const reply = replies[i]!;
      expect(text(reply), command).toMatch(pattern);
      expect(text(reply).length, command).toBeLessThan(4_096);
      if (command.endsWith('web-1')) expect(buttons(reply)[0], command).toMatchObject({ text: '📈 Chart' });
    });
  });

  it('/chart sends a PNG with a caption and range buttons; the Chart button does the same', async () => {
    const reply = await ask(VIEWERS[15]!, '/chart cpu web-1 24h');
    expect(reply.method).toBe('sendPhoto');
    // web-1 has reported once: the caption says so.
    expect(text(reply)).toBe('CPU · web-1 · last 24h\nOnly one sample so far.');
    const photo = reply.body.photo as { data: Buffer; type: string };
    const image = PNG.sync.read(photo.data);
    expect([image.width, image.height]).toEqual([800, 400]);
    expect(buttons(reply).map((b) => b.text)).toEqual(['1h', '6h', '7d', '30d']);
    const before = fake.callsOf('sendPhoto').length;
    await press(VIEWERS[15]!, `ch:memory:${web1}:7d`);
    await fake.waitFor(() => fake.callsOf('sendPhoto', { ok: true })[before]);
    expect(text(fake.callsOf('sendPhoto')[before]!)).toBe(
      'Memory · web-1 · last 7d\nOnly one sample so far.',
    );
  });

  it('pages /hosts with buttons, each page under 4,096 characters', async () => {
    const first = await ask(VIEWERS[16]!, '/hosts');
    expect(text(first)).toMatch(/Hosts<\/b> · 154 · page 1\/\d/);
    expect(buttons(first).map((b) => b.callback_data)).toEqual(['pg:1:']);
    await press(VIEWERS[16]!, 'pg:1:', messageId(first));
    await fake.waitFor(() => fake.message(VIEWERS[16]!.id, messageId(first))?.text?.includes('page 2/'));
    for (const call of fake.delivered(VIEWERS[16]!.id)) expect(text(call).length).toBeLessThan(4_096);
  });
});

describe('Telegram bot: bad input', () => {
  it('escapes HTML and Markdown in host names and arguments', async () => {
    const reply = await ask(VIEWERS[17]!, `/cpu ${HOSTILE}`);
    expect(text(reply)).toContain('CPU · &lt;img src=x onerror=alert(1)&gt;*_`[md]`');
    expect(text(reply)).not.toContain('<img');
    const unknown = await ask(VIEWERS[17]!, '/ram <b>nope</b>');
    expect(text(unknown)).toBe(
      'No host is called "&lt;b&gt;nope&lt;/b&gt;" or starts with it. /hosts lists them.',
    );
    const chart = await ask(VIEWERS[17]!, '/chart <script> web-1');
    expect(text(chart)).toMatch(/^"&lt;script&gt;" is not a chart\. Usage: \/chart cpu\|memory/);
  });

  it('answers unknown commands, plain text, unicode and a very long message briefly', async () => {
    expect(text(await ask(VIEWERS[18]!, '/frobnicate now'))).toBe(
      'I do not know /frobnicate. /help lists what I can answer.',
    );
    // A near miss gets the closest command of the user's own menu, never one their role lacks.
    expect(text(await ask(VIEWERS[18]!, '/stauts'))).toBe(
      'I do not know /stauts. Did you mean /status? /help lists what I can answer.',
    );
    expect(text(await ask(VIEWERS[18]!, '/unsilenc'))).toBe(
      'I do not know /unsilenc. /help lists what I can answer.',
    );
    expect(text(await ask(VIEWERS[18]!, 'hello 👋 ñ'))).toBe(
      'I only answer commands. /help lists what I can answer.',
    );
    const long = await ask(VIEWERS[18]!, `/cpu ${'x'.repeat(4_090)}`);
    expect(text(long).length).toBeLessThan(200);
    expect(text(await ask(VIEWERS[18]!, '/cpu 🙂'))).toContain('No host is called "🙂"');
  });

  it('refuses unregistered and pending users once per message, and never answers their buttons', async () => {
    expect(text(await ask(STRANGER, '/status'))).toBe(
      'You are not registered with this Pantau. Send /start to register.',
    );
    expect(text(await ask(STRANGER, '/hosts'))).toContain('Send /start to register');
    expect(text(await ask(PENDING, '/cpu web-1'))).toBe(
      'Your registration is waiting for an admin’s approval. I will tell you when it is decided.',
    );
    const answer = await press(STRANGER, `h:cpu:${web1}`);
    expect(answer.body).toMatchObject({ show_alert: true });
    expect(String(answer.body.text)).toContain('not registered');
    expect(fake.delivered(STRANGER.id).every((c) => !text(c).includes('CPU'))).toBe(true);
  });

  it('answers stale or forged buttons without acting', async () => {
    const viewer = VIEWERS[27]!;
    expect((await press(viewer, 'h:cpu:99999999')).body.text).toBeUndefined();
    await fake.waitFor(() => fake.delivered(viewer.id).some((c) => text(c).includes('no longer exists')));
    expect((await press(viewer, 'ch:evil:1:1h')).body.text).toBe('This button is no longer valid.');
    expect((await press(viewer, 'h:__proto__:1')).body.text).toBe('This button is no longer valid.');
    expect((await press(viewer, 'x'.repeat(64))).body.text).toBe('This button is no longer valid.');
  });

  it('tells a group once that it answers in private chats only, then ignores the group', async () => {
    const before = fake.delivered(-100).length;
    fake.pushGroupMessage(ANN, -100, '/status');
    await fake.waitFor(() => fake.delivered(-100)[before]);
    expect(text(fake.delivered(-100)[before]!)).toContain('private chats only');
    fake.pushGroupMessage(ANN, -100, '/status');
    // A private question after it proves the second group message was handled (and dropped).
    await ask(VIEWERS[28]!, '/help');
    expect(fake.delivered(-100)).toHaveLength(before + 1);
  });

  it('drops a flood above telegram.userRate with one warning', async () => {
    const before = fake.delivered(FLOODER.id).length;
    for (let i = 0; i < 15; i++) fake.pushMessage(FLOODER, '/help');
    await fake.waitFor(
      () => fake.delivered(FLOODER.id).length >= before + 9,
      20_000,
      'eight answers and a warning',
    );
    // Every message handled, replies included: a tenth answer would be among them.
    await fake.settled(() => t.app.pantau.bot?.handling ?? 0);
    const answers = fake.delivered(FLOODER.id).slice(before).map(text);
    expect(answers).toHaveLength(9);
    expect(answers.filter((a) => a.startsWith('Slow down'))).toEqual([
      'Slow down: at most 8 messages a minute. I will answer again in a minute.',
    ]);
  }, 30_000);

  it('paces answers to one chat about one a second, like the alert pushes', async () => {
    const viewer = VIEWERS[29]!;
    for (let i = 0; i < 4; i++) fake.pushMessage(viewer, '/help');
    await fake.waitFor(() => fake.delivered(viewer.id).length >= 4, 20_000, 'four answers');
    const times = fake.delivered(viewer.id).map((c) => c.at);
    expect(times).toHaveLength(4);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
  }, 30_000);
});
