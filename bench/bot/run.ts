// Bot benchmark: a collector with 1,000 hosts (one with 24 h of 1-minute data) and its bot polling
// the fake Bot API. Each sample is one update from a different registered chat (so the per-chat
// pacing does not queue it), timed from the moment getUpdates hands it out to the moment the reply
// reaches the fake. Questions start at least 60 ms apart: the bot keeps under Telegram's 30
// messages/s overall (25/s, shared with the alert pushes), and a faster stream would measure that
// queue instead of the answer. The chart render is also timed alone. Prints p50/p95/max in ms.
//   node bench/bot/run.ts [--runs 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { UserFromGetMe } from 'grammy/types';
import { buildApp } from '../../packages/collector/src/app.ts';
import { renderMetricChart } from '../../packages/collector/src/charts/metric-chart.ts';
import { loadConfig } from '../../packages/collector/src/config/index.ts';
import type { IncomingSnapshot } from '../../packages/collector/src/store/writer.ts';
import { FakeTelegramServer } from '../../test/fakes/telegram-server.ts';
import { sampleHello } from '../../test/fixtures/samples.ts';
import { benchSnapshot } from '../snapshots.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(values.runs);
const HOSTS = 1_000;
const USERS = 400;

const fake = await FakeTelegramServer.start();
const dataDir = mkdtempSync(join(tmpdir(), 'pantau-bench-bot-'));
const users = Array.from({ length: USERS }, (_, i) => ({ id: 900_000 + i, first_name: `u${i}` }));
const config = loadConfig({
  env: {},
  overrides: {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    logLevel: 'silent',
    telegram: { token: fake.token, apiRoot: fake.url, userRate: 10_000, timeZone: 'UTC' },
  },
});
const app = await buildApp(config, { telegramBotInfo: fake.botInfo as UserFromGetMe });
await app.listen({ host: '127.0.0.1', port: 0 });
const { store } = app.pantau;
for (const u of users) {
  app.pantau.access.repos.users.insert({
    name: u.first_name,
    email: null,
    role: 'viewer',
    status: 'active',
    telegramId: u.id,
    telegramChatId: u.id,
    approvedBy: 'bench',
    now: Date.now(),
  });
}

const now = Date.now();
let t = performance.now();
const batch: IncomingSnapshot[] = [];
let target = 0;
for (let i = 0; i < HOSTS; i++) {
  const { host } = store.hosts.add(`host-${String(i).padStart(4, '0')}`, { rack: `r${i % 20}` });
  if (i === 0) target = host.id;
  if (i % 10 !== 9) store.hosts.markOnline(host.id, sampleHello(), now);
  batch.push({ hostId: host.id, receivedAt: now, snapshot: benchSnapshot(1, now - 5_000, 5_000) });
}
store.writer.write(batch);
const history: IncomingSnapshot[] = [];
for (let k = 0; k < 1440; k++) {
  const ts = now - 86_400_000 + k * 60_000;
  history.push({ hostId: target, receivedAt: ts, snapshot: benchSnapshot(k + 2, ts, 60_000) });
}
store.writer.write(history);
console.log(
  `loaded ${HOSTS} hosts and 1,440 minutes of history in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
await fake.waitFor(() => fake.callsOf('getUpdates').length > 0, 10_000, 'the bot to poll');

let next = 0;
let lastAsk = 0;
/** One question from the next chat; resolves with handed-out → reply-arrived in ms. */
async function ask(text: string, method: 'sendMessage' | 'sendPhoto'): Promise<number> {
  const wait = lastAsk + 60 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  lastAsk = Date.now();
  const user = users[next++ % USERS]!;
  const before = fake
    .callsOf(method, { ok: true })
    .filter((c) => String(c.body.chat_id) === String(user.id)).length;
  const update = fake.pushMessage(user, text);
  const reply = await fake.waitFor(
    () =>
      fake.callsOf(method, { ok: true }).filter((c) => String(c.body.chat_id) === String(user.id))[before],
    10_000,
    `the answer to ${text}`,
  );
  return reply.at - fake.handedOutAt.get(update.update_id)!;
}

function stats(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(1);
  return `${p(0.5)} | ${p(0.95)} | ${sorted.at(-1)!.toFixed(1)}`;
}

console.log(`| question | p50 ms | p95 ms | max ms |  (${runs} runs each, ${HOSTS} hosts)`);
console.log('|---|---:|---:|---:|');
for (const [label, text, method] of [
  ['/status', '/status', 'sendMessage'],
  ['/cpu HOST', '/cpu host-0000', 'sendMessage'],
  ['/chart cpu HOST 24h (end to end)', '/chart cpu host-0000 24h', 'sendPhoto'],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) await ask(text, method);
  for (let i = 0; i < runs; i++) times.push(await ask(text, method));
  console.log(`| ${label} | ${stats(times)} |`);
}
const renders: number[] = [];
const host = store.hosts.get(target)!;
for (let i = 0; i < runs; i++) {
  t = performance.now();
  await renderMetricChart(store, { chart: 'cpu', host, range: '24h', timeZone: 'UTC' });
  renders.push(performance.now() - t);
}
console.log(`| chart cpu 24h: history read + render alone | ${stats(renders)} |`);

await app.close();
await fake.close();
rmSync(dataDir, { recursive: true, force: true });
