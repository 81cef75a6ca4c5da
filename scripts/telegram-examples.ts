// Prints the chat examples of docs/telegram.md from the real bot: a collector built in-process
// with a fake Bot API server, a few hosts from the test fixtures, and people who ask. (Examples
// that need connected agents, such as /run's live output, are not made here.)
//   node scripts/telegram-examples.ts
import type { UserFromGetMe } from 'grammy/types';
import { FakeTelegramServer, type TelegramCall } from '../test/fakes/telegram-server.ts';
import { fullSnapshot, sampleHello } from '../test/fixtures/samples.ts';
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
for (const name of ['web-1', 'web-2', 'web-3', 'db-1']) {
  hosts[name] = t.addHost(name, name === 'db-1' ? { env: 'prod' } : {}).id;
  store.hosts.markOnline(hosts[name]!, sampleHello(), now - 60_000);
  const snapshot = { ...fullSnapshot(1), ts: now - 2_000 };
  if (name === 'web-1') snapshot.cpu = { ...snapshot.cpu, total: 42.4 };
  store.writer.write([
    { hostId: hosts[name]!, snapshot, receivedAt: name === 'web-3' ? now - 300_000 : now },
  ]);
}
store.hosts.markOffline(hosts['web-3']!, now - 300_000);
for (let i = 0; i < 4; i++) t.addHost(`batch-${String(i).padStart(2, '0')}`);
// A flapping problem on db-1, acknowledged and silenced, to show the marks of /incidents.
for (let n = 0; n < 3; n++) {
  openProblem(t.app, hosts['db-1']!, { name: 'api' });
  clearProblem(t.app, hosts['db-1']!, { name: 'api' });
}
const flapping = openProblem(t.app, hosts['db-1']!, { name: 'api' });
const ola = {
  userId: null,
  id: 'user:ola',
  name: 'Ola Operator',
  role: 'operator' as const,
  surface: 'api' as const,
};
alerting.commands.incidents.acknowledge(ola, flapping.id);
alerting.commands.silences.silence(ola, { incidentId: flapping.id, durationMs: 3_600_000 });

/** The bot's answer as a reader sees it: tags dropped, entities back, buttons as [text]. */
function shown(call: TelegramCall): string {
  const html = String(call.body.text ?? call.body.caption ?? '');
  const plain = html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  const raw = call.body.reply_markup;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as
    | { inline_keyboard?: { text: string }[][] }
    | undefined;
  const rows = (markup?.inline_keyboard ?? []).map((row) => row.map((b) => `[${b.text}]`).join(' '));
  return [call.method === 'sendPhoto' ? `(a PNG chart) ${plain}` : plain, ...rows].join('\n');
}

async function say(who: Who, text: string): Promise<string> {
  const before = fake.delivered(who.id).length;
  fake.pushMessage(who, text);
  const answer = await fake.waitFor(() => fake.delivered(who.id)[before], 10_000, `an answer to ${text}`);
  return `${text}\n${shown(answer)}`;
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
// Vera and Ola registered long ago; neither is an alert recipient here, so only answers arrive.
for (const [who, role] of [
  [people.vera, 'viewer'],
  [people.ola, 'operator'],
] as const) {
  access.repos.users.insert({
    name: who.first_name,
    email: null,
    role,
    status: 'active',
    telegramId: who.id,
    telegramChatId: who.id,
    approvedBy: 'admin',
    now,
  });
}
await fake.waitFor(() => fake.delivered(people.rex.id).length > 0, 5_000, 'the rejection notice');
for (const [what, who, text] of examples)
  console.log(`<!-- ${what} -->\n\`\`\`\n${await say(who, text)}\n\`\`\`\n`);

await t.close();
await fake.close();
