import type { UserFromGetMe } from 'grammy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../packages/collector/src/access/actor.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import { clearProblem, openProblem } from './support/incidents.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

/** People through the bot: the first admin by claim code, registration, approval, incidents. */

const ADMIN = { id: 8001, first_name: 'Ada' };
const VIEWER = { id: 8002, first_name: 'Vic' };
const OPERATOR = { id: 8003, first_name: 'Ola' };
const REJECTED = { id: 8004, first_name: 'Rex' };
const QUITTER = { id: 8005, first_name: 'Quin' };
const INTRUDER = { id: 8006, first_name: 'Ivan' };

let fake: FakeTelegramServer;
let t: TestApp;
let hostId = 0;

beforeAll(async () => {
  fake = await FakeTelegramServer.start();
  t = await startTestApp(
    {
      telegram: { token: fake.token, apiRoot: fake.url, userRate: 1_000 },
      monitor: { policy: { repeat: '1s' } } as never,
    },
    undefined,
    { telegramBotInfo: fake.botInfo as UserFromGetMe },
  );
  hostId = t.addHost('web-1').id;
  await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 5_000, 'the bot to poll');
}, 30_000);

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const text = (call: TelegramCall) => String(call.body.text ?? call.body.caption ?? '');
const buttons = (call: TelegramCall) =>
  (
    (call.body.reply_markup ?? { inline_keyboard: [] }) as {
      inline_keyboard: { text: string; callback_data: string }[][];
    }
  ).inline_keyboard.flat();
const messageId = (call: TelegramCall) =>
  (call.response as { result: { message_id: number } }).result.message_id;

/** The next message to `who` after `before` messages, optionally the first matching `find`. */
function nextTo(who: { id: number }, before: number, find?: (call: TelegramCall) => boolean) {
  return fake.waitFor(
    () =>
      fake
        .delivered(who.id)
        .slice(before)
        .find((c) => find?.(c) ?? true),
    20_000,
    `a message to ${who.id}`,
  );
}

/** Alert pushes from the outbox (they may arrive between a question and its answer). */
const isAlert = (call: TelegramCall) => /^(🔴|🟠|🔵|👀|✅|ℹ️) <b>/.test(text(call));

async function say(who: { id: number; first_name: string }, message: string): Promise<TelegramCall> {
  const before = fake.delivered(who.id).length;
  fake.pushMessage(who, message);
  return nextTo(who, before, (c) => !isAlert(c));
}

async function press(who: { id: number }, data: string, onMessage?: number): Promise<TelegramCall> {
  const before = fake.callsOf('answerCallbackQuery').length;
  fake.pushCallbackQuery(who, data, onMessage);
  return fake.waitFor(() => fake.callsOf('answerCallbackQuery')[before], 20_000, `the answer to ${data}`);
}

const users = () => t.app.pantau.access.repos.users;
const audit = () => t.app.pantau.store.audit.list(Number.MAX_SAFE_INTEGER, 100).map((e) => e.action);
const menuOf = (who: { id: number }) =>
  fake.scopedCommands.get(JSON.stringify({ type: 'chat', chat_id: who.id }))?.map((c) => c.command);
const menuEntries = (who: { id: number }) =>
  fake.scopedCommands.get(JSON.stringify({ type: 'chat', chat_id: who.id })) ?? [];

/** What every active user's menu offers, in order; operators and admins get more after it. */
const VIEWER_MENU = [
  'status',
  'hosts',
  'cpu',
  'ram',
  'system',
  'disk',
  'top',
  'ports',
  'checks',
  'containers',
  'incidents',
  'jobs',
  'job',
  'chart',
  'help',
  'me',
  'notify',
];
const OPERATOR_MENU = [...VIEWER_MENU, 'ack', 'silence', 'unsilence', 'activities', 'run'];

/** Registers through the conversation; resolves with the admin's registration message. */
async function register(who: { id: number; first_name: string }, email: string): Promise<TelegramCall> {
  expect(text(await say(who, '/start'))).toContain('tell me your name');
  expect(text(await say(who, who.first_name))).toBe(`Thanks, ${who.first_name}. Your e-mail address?`);
  const adminBefore = fake.delivered(ADMIN.id).length;
  expect(text(await say(who, email))).toContain('waiting for an admin’s approval');
  return nextTo(ADMIN, adminBefore, (c) => text(c).includes(`Name: ${who.first_name}`));
}

/**
 * An active user with this role, made here when an earlier test did not: each test sets up the
 * people it needs, so it passes alone too. Waits for the welcome, so it does not arrive later
 * among the messages a test is counting.
 */
async function ensureUser(who: { id: number; first_name: string }, role: 'viewer' | 'operator' | 'admin') {
  const known = users().byTelegram(who.id);
  if (known?.status === 'active') return;
  const before = fake.delivered(who.id).length;
  const access = t.app.pantau.access.users;
  const applied = access.registerTelegram({ telegramId: who.id, chatId: who.id, name: who.first_name });
  access.approve(CLI_ACTOR, applied.id, role);
  await nextTo(who, before, (c) => text(c).startsWith('✅ Welcome'));
}

describe('Telegram bot: people', () => {
  it('a claim code makes the first admin, once; used, expired, malformed and group codes make nobody admin', async () => {
    const { code } = t.app.pantau.access.claims.create(CLI_ACTOR);
    expect(text(await say(INTRUDER, '/start claim_not-a-real-code-0000000000'))).toBe(
      'This code is not valid or has expired. Ask for a new one: pantau-collector telegram claim.',
    );
    expect(text(await say(INTRUDER, '/start <b>x</b>'))).toContain('not valid or has expired');
    fake.pushGroupMessage(INTRUDER, -500, `/start ${code}`);
    await fake.waitFor(() => fake.delivered(-500)[0]);
    expect(users().byTelegram(INTRUDER.id)).toBeUndefined();

    expect(text(await say(ADMIN, `/start ${code}`))).toContain(
      'You are now an admin of this Pantau, as <b>Ada</b>',
    );
    expect(users().byTelegram(ADMIN.id)).toMatchObject({ role: 'admin', status: 'active' });
    expect(text(await say(INTRUDER, `/start ${code}`))).toContain('not valid or has expired');
    expect(users().byTelegram(INTRUDER.id)).toBeUndefined();

    const expired = t.app.pantau.access.claims.create(CLI_ACTOR);
    t.app.pantau.store.db.prepare('UPDATE telegram_claims SET expires_at = 0 WHERE used_at IS NULL').run();
    expect(text(await say(INTRUDER, `/start ${expired.code}`))).toContain('not valid or has expired');
    expect(users().byTelegram(INTRUDER.id)).toBeUndefined();
    expect(audit()).toEqual(
      expect.arrayContaining(['telegram.claim.redeem', 'telegram.claim.refused', 'telegram.claim.create']),
    );
    await fake.waitFor(() => menuOf(ADMIN)?.includes('ack'));
    expect(menuOf(ADMIN)).toEqual(OPERATOR_MENU);
  });

  it('registration asks a name and a valid e-mail, then waits; an admin approves with a button', async () => {
    await ensureUser(ADMIN, 'admin');
    expect(text(await say(VIEWER, '/start'))).toContain('tell me your name');
    expect(text(await say(VIEWER, 'Vic <b>the</b> viewer'))).toBe(
      'Thanks, Vic <b>the</b> viewer. Your e-mail address?',
    );
    expect(text(await say(VIEWER, 'not-an-email'))).toContain('does not look like an e-mail address');
    expect(text(await say(VIEWER, '/status'))).toBe('Please answer the question, or send /cancel.');
    const adminBefore = fake.delivered(ADMIN.id).length;
    expect(text(await say(VIEWER, 'vic@example.com'))).toContain('waiting for an admin’s approval');
    const request = await nextTo(ADMIN, adminBefore, (c) => text(c).includes('New registration'));
    expect(text(request)).toContain('Name: Vic &lt;b&gt;the&lt;/b&gt; viewer');
    expect(text(request)).toContain('E-mail: vic@example.com');
    const pending = users().byTelegram(VIEWER.id)!;
    expect(pending.status).toBe('pending');
    expect(buttons(request).map((b) => b.callback_data)).toEqual([
      `ua:${pending.id}:v`,
      `ua:${pending.id}:o`,
      `ua:${pending.id}:a`,
      `ur:${pending.id}`,
    ]);
    expect(text(await say(VIEWER, '/status'))).toContain('waiting for an admin’s approval');

    const before = fake.delivered(VIEWER.id).length;
    const pressed = await press(ADMIN, `ua:${pending.id}:v`, messageId(request));
    expect(pressed.body.text).toBe('Vic <b>the</b> viewer is viewer now');
    expect(text(await nextTo(VIEWER, before))).toBe(
      '✅ Welcome: you are a viewer now. /help lists what you can ask.',
    );
    await fake.waitFor(() =>
      fake.message(ADMIN.id, messageId(request))?.text?.includes('Approved as viewer by Ada'),
    );
    await fake.waitFor(() => menuOf(VIEWER)?.includes('status'));
    expect(menuOf(VIEWER)).toEqual(VIEWER_MENU);
    // Only the fields Telegram knows, each with a description.
    for (const entry of menuEntries(VIEWER)) {
      expect(Object.keys(entry).sort()).toEqual(['command', 'description']);
      expect(entry.description.length).toBeGreaterThan(3);
    }
    const me = text(await say(VIEWER, '/me'));
    expect(me).toContain('Role: viewer');
    // A name, not the admin's actor id.
    expect(me).toContain(`Approved by: ${users().byTelegram(ADMIN.id)!.name}`);
    const again = await press(ADMIN, `ua:${pending.id}:a`, messageId(request));
    expect(again.body).toMatchObject({
      show_alert: true,
      text: expect.stringContaining('only pending users can be approved'),
    });
    expect(users().byTelegram(VIEWER.id)!.role).toBe('viewer');
  });

  it('a viewer pressing an admin’s Approve button is refused and changes nothing', async () => {
    await ensureUser(ADMIN, 'admin');
    await ensureUser(VIEWER, 'viewer');
    const request = await register(OPERATOR, 'ola@example.com');
    const id = users().byTelegram(OPERATOR.id)!.id;
    const refused = await press(VIEWER, `ua:${id}:a`);
    expect(refused.body).toMatchObject({
      show_alert: true,
      text: 'Not allowed: this needs the admin role; you are viewer.',
    });
    expect(users().get(id)!.status).toBe('pending');
    const beforeWelcome = fake.delivered(OPERATOR.id).length;
    await press(ADMIN, `ua:${id}:o`, messageId(request));
    await fake.waitFor(() => users().get(id)!.status === 'active');
    // The welcome first, or it could arrive as the "answer" to /help below.
    await nextTo(OPERATOR, beforeWelcome, (c) => text(c).startsWith('✅ Welcome'));
    await fake.waitFor(() => menuOf(OPERATOR)?.includes('ack'));
    expect(menuOf(OPERATOR)).toEqual(OPERATOR_MENU);
    // /help lists the same commands as the menu, with the same descriptions.
    const help = text(await say(OPERATOR, '/help'));
    for (const entry of menuEntries(OPERATOR)) expect(help).toContain(`/${entry.command}: `);
    expect(help).toContain('/run: Run an activity after a preview');
    expect(text(await say(VIEWER, '/help'))).not.toMatch(/\/(ack|silence|unsilence|run):/);
    // A role change elsewhere (here the CLI) moves the menu with it, both ways.
    let before = fake.delivered(OPERATOR.id).length;
    t.app.pantau.access.users.setRole(CLI_ACTOR, id, 'viewer');
    expect(text(await nextTo(OPERATOR, before))).toBe('Your role is viewer now.');
    await fake.waitFor(() => menuOf(OPERATOR)?.length === VIEWER_MENU.length);
    expect(menuOf(OPERATOR)).toEqual(VIEWER_MENU);
    before = fake.delivered(OPERATOR.id).length;
    t.app.pantau.access.users.setRole(CLI_ACTOR, id, 'operator');
    expect(text(await nextTo(OPERATOR, before))).toBe('Your role is operator now.');
    await fake.waitFor(() => menuOf(OPERATOR)?.includes('ack'));
    expect(menuOf(OPERATOR)).toEqual(OPERATOR_MENU);
  });

  it('a rejected applicant is told, and cannot apply again during the cooldown', async () => {
    await ensureUser(ADMIN, 'admin');
    const request = await register(REJECTED, 'rex@example.com');
    const id = users().byTelegram(REJECTED.id)!.id;
    const before = fake.delivered(REJECTED.id).length;
    await press(ADMIN, `ur:${id}`, messageId(request));
    expect(text(await nextTo(REJECTED, before))).toBe(
      'Your registration was not approved. You can apply again with /start in 1d.',
    );
    expect(text(await say(REJECTED, '/status'))).toContain('was rejected');
    await fake.waitFor(() => menuOf(REJECTED)?.length === 2);
    expect(menuOf(REJECTED)).toEqual(['start', 'help']);
    // Inside the cooldown /start says so at once instead of asking for a name first.
    expect(text(await say(REJECTED, '/start'))).toMatch(
      /^Your registration was not approved\. You can apply again with \/start in (1d|23h 59m)\.$/,
    );
    expect(users().get(id)!.status).toBe('disabled');
  });

  it('/cancel ends a registration; nothing is stored', async () => {
    await say(QUITTER, '/start');
    expect(text(await say(QUITTER, '/cancel'))).toBe('Registration cancelled. Send /start to begin again.');
    expect(users().byTelegram(QUITTER.id)).toBeUndefined();
  });
});

describe('Telegram bot: incidents', () => {
  beforeEach(async () => {
    await ensureUser(ADMIN, 'admin');
    await ensureUser(VIEWER, 'viewer');
    await ensureUser(OPERATOR, 'operator');
  });

  it('alerts reach approved users; a viewer’s Acknowledge is refused; the operator’s stops reminders and edits the alert', async () => {
    const before = { viewer: fake.delivered(VIEWER.id).length, operator: fake.delivered(OPERATOR.id).length };
    const incident = openProblem(t.app, hostId, { name: 'api' });
    const alert = await nextTo(OPERATOR, before.operator, (c) => text(c).includes(`(#${incident.id})`));
    await nextTo(VIEWER, before.viewer, (c) => text(c).includes(`(#${incident.id})`));
    expect(buttons(alert).map((b) => b.callback_data)).toEqual([
      `ack:${incident.id}`,
      `sil:${incident.id}:1h`,
    ]);
    // A reminder comes a second later: the incident is live.
    await nextTo(OPERATOR, before.operator + 1, (c) => text(c).includes(`reminder 1`));

    const refused = await press(VIEWER, `ack:${incident.id}`);
    expect(refused.body).toMatchObject({
      show_alert: true,
      text: 'Not allowed: this needs the operator role; you are viewer.',
    });
    expect(t.app.pantau.alerting.monitor.incidents.get(incident.id)!.status).toBe('open');

    const acked = await press(OPERATOR, `ack:${incident.id}`, messageId(alert));
    expect(acked.body.text).toBe(`Acknowledged #${incident.id}: reminders stop.`);
    expect(t.app.pantau.alerting.monitor.incidents.get(incident.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: `user:${users().byTelegram(OPERATOR.id)!.id}`,
    });
    await fake.waitFor(() =>
      fake.message(OPERATOR.id, messageId(alert))?.text?.includes('Acknowledged by Ola'),
    );
    expect(fake.message(OPERATOR.id, messageId(alert))!.reply_markup).toBeUndefined();
    // No reminder of it is enqueued after the acknowledgement (earlier ones may still be paced out).
    // An incident opened after the ack and left open proves a reminder was due meanwhile: its
    // reminders come on the same 1 s repeat, and its second one is a full repeat after the ack.
    const ackedAt = Date.now();
    const control = openProblem(t.app, hostId, { name: 'api-control' });
    const remindersOf = (id: number) =>
      t.app.pantau.alerting.outbox
        .messages({ limit: 500 })
        .filter((m) => m.incidentId === id && m.eventType === 'reminder');
    await until('two reminders of the open incident', () => remindersOf(control.id).length >= 2);
    clearProblem(t.app, hostId, { name: 'api-control' });
    const reminders = remindersOf(incident.id);
    expect(reminders.length).toBeGreaterThan(0);
    expect(reminders.filter((m) => m.createdAt > ackedAt)).toEqual([]);
    expect(audit()).toContain('incident.ack');

    // On recovery the message answers the original alert: one thread per incident.
    const beforeRecovery = fake.delivered(OPERATOR.id).length;
    clearProblem(t.app, hostId, { name: 'api' });
    const recovered = await nextTo(
      OPERATOR,
      beforeRecovery,
      (c) => text(c).includes('Recovered') && text(c).includes(`(#${incident.id})`),
    );
    expect(recovered.body.reply_parameters).toMatchObject({ message_id: messageId(alert) });
  }, 30_000);

  it('/ack, /silence and /unsilence check roles and arguments; forged ids get a clear answer', async () => {
    const incident = openProblem(t.app, hostId, { name: 'db' });
    expect(text(await say(VIEWER, `/ack ${incident.id}`))).toBe(
      'Not allowed: this needs the operator role; you are viewer.',
    );
    expect(text(await say(OPERATOR, '/ack nope'))).toBe('Usage: /ack ID, e.g. /ack 42 (see /incidents).');
    expect(text(await say(OPERATOR, '/ack 999999'))).toBe('no incident with id 999999');
    expect(text(await say(OPERATOR, `/ack ${incident.id}`))).toContain(`Acknowledged #${incident.id}`);
    const operatorName = users().byTelegram(OPERATOR.id)!.name;
    expect(text(await say(VIEWER, '/incidents'))).toContain(`ack by ${operatorName}`);

    expect(text(await say(OPERATOR, '/silence web-1 forever'))).toContain('"forever" is not a duration');
    expect(text(await say(OPERATOR, '/silence web-1 30d'))).toContain('at most 7d');
    expect(text(await say(OPERATOR, '/silence nosuch 1h'))).toContain('No host is called "nosuch"');
    expect(text(await say(VIEWER, '/silence web-1 1h'))).toContain('needs the operator role');
    const silenced = text(await say(OPERATOR, '/silence web-1 1h'));
    expect(silenced).toMatch(/^🔕 Silenced web-1 until .* \(silence #(\d+)\)/);
    const silenceId = Number(/silence #(\d+)/.exec(silenced)![1]);
    const list = await say(OPERATOR, '/unsilence');
    expect(text(list)).toContain(`#${silenceId} host web-1`);
    expect(text(list)).toContain(`(by ${operatorName})`);
    expect(buttons(list)[0]!.callback_data).toBe(`us:${silenceId}`);
    expect((await press(VIEWER, `us:${silenceId}`)).body.text).toContain('needs the operator role');
    expect((await press(OPERATOR, `us:${silenceId}`)).body.text).toBe(
      `Silence #${silenceId} ended: notifications go out again.`,
    );
    expect(text(await say(OPERATOR, `/unsilence ${silenceId}`))).toContain('has ended already');

    const other = openProblem(t.app, hostId, { name: 'cache' });
    const silence = await press(OPERATOR, `sil:${other.id}:1h`);
    expect(String(silence.body.text)).toMatch(new RegExp(`^Silenced #${other.id} until `));
    expect((await press(OPERATOR, 'sil:999999:1h')).body).toMatchObject({ show_alert: true });
    expect((await press(OPERATOR, `sil:${other.id}:99999d`)).body.text).toBe(
      'This button is no longer valid.',
    );
  }, 40_000);

  it('/notify: a viewer’s minimum severity and mute hold their alerts back, not others’; bad values are refused', async () => {
    expect(text(await say(VIEWER, '/notify'))).toContain('Minimum severity: info');
    expect(text(await say(VIEWER, '/notify quiet 25:00-07:00'))).toContain(
      'I did not understand "quiet 25:00-07:00"',
    );
    expect(text(await say(VIEWER, '/notify mute 99d'))).toContain('I did not understand');
    expect(text(await say(VIEWER, '/notify quiet 08:00-08:00'))).toContain(
      'quiet hours need a start and an end that differ',
    );
    expect(text(await say(VIEWER, '/notify min critical'))).toContain('Minimum severity: critical');
    const before = { viewer: fake.delivered(VIEWER.id).length, operator: fake.delivered(OPERATOR.id).length };
    const warning = openProblem(t.app, hostId, { name: 'disk', severity: 'warning' });
    await nextTo(OPERATOR, before.operator, (c) => text(c).includes(`(#${warning.id})`));
    const critical = openProblem(t.app, hostId, { name: 'power', severity: 'critical' });
    const got = await nextTo(VIEWER, before.viewer, (c) => isAlert(c));
    expect(text(got)).toContain(`(#${critical.id})`);
    expect(fake.delivered(VIEWER.id).some((c) => text(c).includes(`(#${warning.id})`))).toBe(false);

    const muted = await say(VIEWER, '/notify mute 2h');
    expect(text(muted)).toMatch(/Muted: until /);
    const quiet = fake.delivered(VIEWER.id).length;
    const third = openProblem(t.app, hostId, { name: 'fan', severity: 'critical' });
    await nextTo(OPERATOR, before.operator, (c) => text(c).includes(`(#${third.id})`));
    // Everything the outbox had for it by then, the viewer's copy included had there been one, is done.
    const seenAt = Date.now();
    await until('the outbox to finish the third alert', () =>
      t.app.pantau.alerting.outbox
        .messages({ limit: 500 })
        .every((m) => m.incidentId !== third.id || m.createdAt > seenAt || m.status !== 'pending'),
    );
    expect(fake.delivered(VIEWER.id).slice(quiet).filter(isAlert)).toEqual([]);
    const unmute = await press(VIEWER, 'nm:off', messageId(muted));
    expect(unmute.body.text).toBe('Unmuted');
    expect(audit()).toContain('notify.preferences');
  }, 40_000);
});
