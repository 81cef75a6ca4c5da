// Prints the chat examples of docs/telegram.md from the real bot: a collector built in-process
// with a fake Bot API server, a few hosts from the test fixtures, and people who ask; for /run,
// a real agent connected as web-1 runs an activity while its message goes live.
//   node scripts/telegram-examples.ts           prints them
//   node scripts/telegram-examples.ts --write   puts each in docs/telegram.md, in the code block
//                                               after its <!-- example: NAME --> marker
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UserFromGetMe } from 'grammy/types';
import { FakeTelegramServer, htmlText, type TelegramCall } from '../test/fakes/telegram-server.ts';
import { fullSnapshot, sampleHello } from '../test/fixtures/samples.ts';
import { startAgent } from '../test/support/e2e.ts';
import { clearProblem, openProblem } from '../test/support/incidents.ts';
import { startTestApp } from '../test/support/test-app.ts';

type Who = { id: number; first_name: string };

const fake = await FakeTelegramServer.start();
const t = await startTestApp(
  { telegram: { token: fake.token, apiRoot: fake.url, timeZone: 'Europe/Berlin', userRate: 1_000 } },
  undefined,
  { telegramBotInfo: fake.botInfo as UserFromGetMe },
);
const { store, access, alerting } = t.app.pantau;
await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 5_000, 'the bot to poll');

const admin = { userId: null, id: 'config', name: 'admin', role: 'admin' as const, surface: 'api' as const };
const people = {
  vera: { id: 3101, first_name: 'Vera Viewer' },
  ola: { id: 3102, first_name: 'Ola Operator' },
  rex: { id: 3104, first_name: 'Rex' },
};
const rex = access.users.registerTelegram({
  telegramId: people.rex.id,
  chatId: people.rex.id,
  name: 'Rex',
  email: 'rex@example.com',
});
access.users.reject(admin, rex.id);

const now = Date.now();
const hosts: Record<string, number> = {};
const tokens: Record<string, string> = {};
for (const name of ['web-1', 'web-2', 'web-3', 'db-1']) {
  const added = t.addHost(name, name === 'db-1' ? { env: 'prod' } : {});
  hosts[name] = added.id;
  tokens[name] = added.token;
  store.hosts.markOnline(hosts[name]!, sampleHello(), now - 60_000);
  const snapshot = { ...fullSnapshot(1), ts: now - 2_000 };
  if (name === 'web-1') snapshot.cpu = { ...snapshot.cpu, total: 42.4 };
  store.writer.write([
    { hostId: hosts[name]!, snapshot, receivedAt: name === 'web-3' ? now - 300_000 : now },
  ]);
}
store.hosts.markOffline(hosts['web-3']!, now - 300_000);
for (let i = 0; i < 4; i++) t.addHost(`batch-${String(i).padStart(2, '0')}`);
// Vera and Ola registered long ago; neither is an alert recipient here, so only answers arrive.
const registered = [
  [people.vera, 'viewer'],
  [people.ola, 'operator'],
] as const;
const [, olaUser] = registered.map(([who, role]) =>
  access.repos.users.insert({
    name: who.first_name,
    email: null,
    role,
    status: 'active',
    telegramId: who.id,
    telegramChatId: who.id,
    approvedBy: 'admin',
    now,
  }),
);
const ola = {
  userId: olaUser!.id,
  id: `user:${olaUser!.id}`,
  name: 'Ola Operator',
  role: 'operator' as const,
  surface: 'api' as const,
};
// A flapping problem on db-1, acknowledged and silenced, to show the marks of /incidents.
for (let n = 0; n < 3; n++) {
  openProblem(t.app, hosts['db-1']!, { name: 'api' });
  clearProblem(t.app, hosts['db-1']!, { name: 'api' });
}
const flapping = openProblem(t.app, hosts['db-1']!, { name: 'api' });
alerting.commands.incidents.acknowledge(ola, flapping.id);
alerting.commands.silences.silence(ola, { incidentId: flapping.id, durationMs: 3_600_000 });

/** The bot's answer as a reader sees it: tags dropped, entities back, buttons as [text]. */
function shown(call: TelegramCall): string {
  const html = String(call.body.text ?? call.body.caption ?? '');
  const plain = htmlText(html);
  const raw = call.body.reply_markup;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as
    | { inline_keyboard?: { text: string }[][] }
    | undefined;
  const rows = (markup?.inline_keyboard ?? []).map((row) => row.map((b) => `[${b.text}]`).join(' '));
  return [call.method === 'sendPhoto' ? `(a PNG chart) ${plain}` : plain.trimEnd(), ...rows].join('\n');
}

/** The first edit of a message in `who`'s chat whose text holds `part`. */
function edited(who: Who, messageId: number, part: string): Promise<TelegramCall> {
  return fake.waitFor(
    () =>
      fake
        .callsOf('editMessageText', { ok: true })
        .find(
          (c) =>
            String(c.body.chat_id) === String(who.id) &&
            c.body.message_id === messageId &&
            String(c.body.text).includes(part),
        ),
    20_000,
    `an edit with ${part}`,
  );
}

async function say(who: Who, text: string): Promise<string> {
  const before = fake.delivered(who.id).length;
  fake.pushMessage(who, text);
  const answer = await fake.waitFor(() => fake.delivered(who.id)[before], 10_000, `an answer to ${text}`);
  return `${text}\n${shown(answer)}`;
}

const made = new Map<string, string>();
function example(name: string, text: string): void {
  made.set(name, text);
  console.log(`<!-- example: ${name} -->\n\`\`\`\n${text}\n\`\`\`\n`);
}

const examples: [string, Who, string][] = [
  ['an active user starts', people.vera, '/start'],
  ['a rejected applicant inside the cooldown', people.rex, '/start'],
  ['fleet', people.ola, '/status'],
  ['hosts', people.ola, '/hosts'],
  ['cpu', people.ola, '/cpu web-1'],
  ['ram', people.ola, '/ram web-1'],
  ['disk', people.ola, '/disk web-1'],
  ['top', people.ola, '/top web-1'],
  ['picker', people.ola, '/cpu web'],
  ['checks', people.ola, '/checks'],
  ['incidents', people.ola, '/incidents'],
  ['chart', people.ola, '/chart cpu web-1 7d'],
  ['activities', people.ola, '/activities'],
  ['refusal', people.ola, '/run reboot web-1'],
  ['notify', people.ola, '/notify'],
];
await fake.waitFor(() => fake.delivered(people.rex.id).length > 0, 5_000, 'the rejection notice');
for (const [what, who, text] of examples) example(what, await say(who, text));

// /run: real agents as web-1 and web-2 (so a preview of web-* skips only web-3), with an activity
// that takes a few seconds; Ola confirms, and the preview becomes the live message (shown while it
// runs and when it has ended).
const agents = ['web-1', 'web-2'].map((name) =>
  startAgent(t.wsUrl, tokens[name]!, {
    actions: {
      allow: ['uptime', 'db-backup'],
      custom: [{ name: 'db-backup', argv: ['sh', '-c', 'echo dumping app.db; sleep 3; echo wrote 12 MiB'] }],
    },
  }),
);
for (const agent of agents) await agent.waitForLog('welcomed by the collector');
const activity = await fetch(`${t.url}/api/v1/activities`, {
  method: 'POST',
  headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'db-backup', action: 'db-backup', description: 'dump the database' }),
});
if (activity.status !== 201) throw new Error(`POST /activities: ${activity.status} ${await activity.text()}`);
example('run preview', await say(people.ola, '/run uptime web-*'));
const before = fake.delivered(people.ola.id).length;
await say(people.ola, '/run db-backup web-1');
const previewCall = fake.delivered(people.ola.id)[before]!;
const messageId = (previewCall.response as { result: { message_id: number } }).result.message_id;
const markup = previewCall.body.reply_markup;
const go = (
  (typeof markup === 'string' ? JSON.parse(markup) : markup) as {
    inline_keyboard: { callback_data: string }[][];
  }
).inline_keyboard[0]![0]!.callback_data;
fake.pushCallbackQuery(people.ola, go, messageId);

example('run live', shown(await edited(people.ola, messageId, 'web-1 | dumping')));
example('run ended', shown(await edited(people.ola, messageId, 'succeeded')));
const summary = await fake.waitFor(
  () => fake.delivered(people.ola.id).find((c) => String(c.body.text).includes('db-backup succeeded')),
  10_000,
  'the summary',
);
const document = await fake.waitFor(
  () => fake.callsOf('sendDocument', { ok: true })[0],
  10_000,
  'the output',
);
const file = document.body.document as { filename: string; data: Buffer };
example('run summary', shown(summary));
example('run output', `${file.filename}\n${file.data.toString().trimEnd()}`);

// Registration: Nora's dialogue, the notice every admin with Telegram gets (Adam), his decision.
const adam = { id: 3100, first_name: 'Adam' };
const nora = { id: 3105, first_name: 'Nora' };
access.repos.users.insert({
  name: 'Adam',
  email: null,
  role: 'admin',
  status: 'active',
  telegramId: adam.id,
  telegramChatId: adam.id,
  approvedBy: 'config',
  now,
});
const adamBefore = fake.delivered(adam.id).length;
const dialogue: string[] = [];
for (const text of ['/start', 'Nora Newcomer', 'nora@', 'nora@example.com'])
  dialogue.push(await say(nora, text));
example('registration', dialogue.join('\n'));
const notice = await fake.waitFor(
  () =>
    fake
      .delivered(adam.id)
      .slice(adamBefore)
      .find((c) => String(c.body.text).includes('New registration')),
  10_000,
  'the registration notice',
);
example('registration notice', shown(notice));
const noticeId = (notice.response as { result: { message_id: number } }).result.message_id;
fake.pushCallbackQuery(adam, `ua:${access.repos.users.byTelegram(nora.id)!.id}:o`, noticeId);
example('registration decided', shown(await edited(adam, noticeId, 'Approved')));
const welcome = await fake.waitFor(
  () => fake.delivered(nora.id).find((c) => String(c.body.text).includes('Welcome:')),
  10_000,
  'the welcome',
);
example('registration welcome', shown(welcome));

// An alert to Nora, now an operator and a recipient, and what her Acknowledge and Silence 1 h make of it.
const noraBefore = fake.delivered(nora.id).length;
const incident = openProblem(t.app, hosts['web-1']!, { name: 'api' });
const alert = await fake.waitFor(
  () =>
    fake
      .delivered(nora.id)
      .slice(noraBefore)
      .find((c) => String(c.body.text).includes(`#${incident.id}`)),
  15_000,
  'the alert',
);
example('alert', shown(alert));
const alertId = (alert.response as { result: { message_id: number } }).result.message_id;
fake.pushCallbackQuery(nora, `ack:${incident.id}`, alertId);
example('alert acknowledged', shown(await edited(nora, alertId, 'Acknowledged by')));
fake.pushCallbackQuery(nora, `sil:${incident.id}:1h`, alertId);
example('alert silenced', shown(await edited(nora, alertId, 'Silenced until')));

for (const agent of agents) await agent.stop();
await t.close();
await fake.close();

if (process.argv.includes('--write')) {
  const path = join(import.meta.dirname, '..', 'docs', 'telegram.md');
  const seen = new Set<string>();
  const doc = readFileSync(path, 'utf8').replace(
    /(<!-- example: ([^>]+?) -->\n( *)```\n)[\s\S]*?(\n\3```)/g,
    (whole, open: string, name: string, indent: string, close: string) => {
      const text = made.get(name);
      if (text === undefined) return whole;
      seen.add(name);
      return `${open}${text.replace(/^(?=.)/gm, indent)}${close}`;
    },
  );
  const missing = [...made.keys()].filter((name) => !seen.has(name));
  writeFileSync(path, doc);
  console.error(
    `docs/telegram.md: ${seen.size} examples written${missing.length ? `; no marker for ${missing.join(', ')}` : ''}`,
  );
}
