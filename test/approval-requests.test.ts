import { builtinAction, type JobStartFrame } from '@pantau/shared';
import type { UserFromGetMe } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactPoints } from '../packages/collector/src/access/contact-repo.ts';
import type { Role } from '../packages/collector/src/access/roles.ts';
import { FakeSmtpServer } from './fakes/smtp-server.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

/**
 * Four-eyes approval requests follow the job, not the surface: a dangerous job confirmed
 * through the API asks every other approver on Telegram (with buttons) and by e-mail.
 */

let telegram: FakeTelegramServer;
let smtp: FakeSmtpServer;
let t: TestApp;
let agent: RawAgent;
let hostId: number;
const people = {} as Record<'ann' | 'bob' | 'cat' | 'olga', { id: number; token: string; chat: number }>;

beforeAll(async () => {
  telegram = await FakeTelegramServer.start();
  smtp = await FakeSmtpServer.start();
  t = await startTestApp(
    {
      jobs: { fourEyes: true },
      telegram: { token: telegram.token, apiRoot: telegram.url, userRate: 1_000 },
      smtp: { host: '127.0.0.1', port: smtp.port, tlsInsecure: true, from: 'pantau@example.test' },
      notify: { pollInterval: 50 },
      publicUrl: 'https://pantau.example.test',
    },
    undefined,
    { telegramBotInfo: telegram.botInfo as UserFromGetMe },
  );
  const contacts = new ContactPoints(t.app.pantau.store.db);
  const roles: Record<keyof typeof people, Role> = {
    ann: 'admin',
    bob: 'admin',
    cat: 'admin',
    olga: 'operator',
  };
  let chat = 9100;
  const { users, tokens } = t.app.pantau.access.repos;
  for (const [name, role] of Object.entries(roles) as [keyof typeof people, Role][]) {
    chat++;
    const user = users.insert({
      name,
      email: `${name}@example.test`,
      role,
      status: 'active',
      telegramId: chat,
      telegramChatId: chat,
      approvedBy: 'test',
      now: Date.now(),
    });
    people[name] = { id: user.id, token: tokens.create(name, role, user.id).secret, chat };
    // The contact points registration sets.
    contacts.setTelegram(user.id, name, chat, Date.now());
    contacts.setEmail(user.id, name, `${name}@example.test`, Date.now());
  }
  const host = t.addHost('db-1');
  hostId = host.id;
  agent = await RawAgent.connect(t.wsUrl, host.token);
  await agent.hello({ actions: [builtinAction('reboot')!.spec] });
  await telegram.waitFor(() => telegram.callsOf('getUpdates').length > 0, 5_000, 'the bot to poll');
}, 30_000);

afterAll(async () => {
  agent?.close();
  await t?.close();
  await telegram?.close();
  await smtp?.close();
});

async function call(token: string, method: string, url: string, body?: object) {
  const res = await t.app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });
  return { status: res.statusCode, body: res.json() };
}

const text = (c: TelegramCall) => String(c.body.text ?? '');
const buttons = (c: TelegramCall) =>
  (
    (c.body.reply_markup ?? { inline_keyboard: [] }) as { inline_keyboard: { callback_data: string }[][] }
  ).inline_keyboard
    .flat()
    .map((b) => b.callback_data);

describe('approval requests', () => {
  it('a job confirmed through the API asks every other admin on every channel; their Approve button runs it', async () => {
    const job = await call(people.ann.token, 'POST', '/jobs', {
      activity: 'reboot',
      targets: { hosts: [hostId] },
    });
    expect(job.status).toBe(201);
    const id = job.body.id as number;
    expect((await call(people.ann.token, 'POST', `/jobs/${id}/confirm`)).body.state).toBe(
      'awaiting_approval',
    );

    const subject = `Job #${id} (reboot) needs your approval`;
    for (const name of ['bob', 'cat'] as const) {
      const asked = await telegram.waitFor(
        () => telegram.delivered(people[name].chat).find((c) => text(c).includes(subject)),
        8_000,
        `the request to ${name} on Telegram`,
      );
      expect(buttons(asked)).toEqual([`job:${id}:approve`, `job:${id}:cancel`]);
      expect(text(asked)).toContain('ann created and confirmed it (via api)');
      const mail = await smtp.waitFor(
        () => smtp.mails.find((m) => m.envelope.to.includes(`${name}@example.test`) && m.subject === subject),
        8_000,
        `the request to ${name} by e-mail`,
      );
      expect(mail.text).toContain('https://pantau.example.test/jobs?state=awaiting_approval');
    }
    // Neither the creator nor someone who may not approve is asked.
    const outbox = () =>
      t.app.pantau.store.db
        .prepare("SELECT payload FROM notify_outbox WHERE event_type = 'job.approval'")
        .all() as { payload: string }[];
    expect(outbox()).toHaveLength(4);
    for (const name of ['ann', 'olga'] as const) {
      expect(telegram.delivered(people[name].chat).some((c) => text(c).includes(subject))).toBe(false);
      expect(outbox().some((m) => m.payload.includes(`${name}@example.test`))).toBe(false);
    }

    const before = telegram.callsOf('answerCallbackQuery').length;
    telegram.pushCallbackQuery({ id: people.bob.chat, first_name: 'bob' }, `job:${id}:approve`);
    await telegram.waitFor(
      () => telegram.callsOf('answerCallbackQuery')[before],
      8_000,
      'the answer to Approve',
    );
    await agent.until(
      () => agent.frames.some((f) => f.t === 'job.start' && f.jobId.startsWith(`${id}:`)),
      5_000,
      'job.start',
    );
    const job2 = (await call(people.ann.token, 'GET', `/jobs/${id}`)).body;
    expect(job2).toMatchObject({ state: 'running', approvedBy: `user:${people.bob.id}` });
    const start = agent.frames.find((f) => f.t === 'job.start') as JobStartFrame;
    agent.send({
      t: 'job.end',
      jobId: start.jobId,
      exitCode: 0,
      signal: null,
      durationMs: 1,
      truncated: false,
      timedOut: false,
      cancelled: false,
    });
  });
});
