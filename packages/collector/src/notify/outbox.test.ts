import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../../../../test/fakes/telegram-server.ts';
import { type Db, tempNotifyDb } from '../../../../test/fakes/temp-db.ts';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { until } from '../../../../test/support/until.ts';
import { TelegramChannel, type TelegramChannelOptions } from './channels/telegram.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';

let fake: FakeTelegramServer;
let store: ReturnType<typeof tempNotifyDb>;
const outboxes: Outbox[] = [];

beforeEach(async () => {
  fake = await FakeTelegramServer.start();
  store = tempNotifyDb();
});

afterEach(async () => {
  for (const o of outboxes.splice(0)) await o.stop();
  await fake.close();
  store.cleanup();
});

/** Fast retries; pacing off unless a test passes rate limits. */
function outbox(
  db: Db = store.db,
  options: Partial<OutboxOptions> & { telegram?: Partial<TelegramChannelOptions> } = {},
): Outbox {
  const { telegram, ...rest } = options;
  const o = new Outbox({
    db,
    channels: { telegram: new TelegramChannel({ token: fake.token, apiRoot: fake.url, ...telegram }) },
    backoff: { initialMs: 50, maxMs: 200 },
    pollIntervalMs: 100,
    rateLimits: {},
    ...rest,
  });
  outboxes.push(o);
  return o;
}

function send(o: Outbox, chatId: string, text: string): number {
  return o.enqueue({ channel: 'telegram', payload: { chatId, html: text } });
}

/**
 * Moves fake time on by `stepMs` at each poll until `done`: the outbox's timers fire when the
 * test says, its sends still run on real sockets to the fake.
 */
function pump(time: FakeTime, what: string, done: () => unknown, stepMs = 50): Promise<unknown> {
  return until(what, () => {
    time.advance(stepMs);
    return done();
  });
}

const texts = (chatId: string) => fake.sent(chatId).map((c) => c.body.text);

function attemptCount(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM notify_attempts').get() as { n: number }).n;
}

describe('Outbox with Telegram', () => {
  it('keeps order per recipient through 500s and 429s, delivers everything, records every attempt', async () => {
    const o = outbox();
    fake.fail({ status: 500, methods: ['sendMessage'], times: 3 });
    fake.fail({ status: 429, retryAfter: 1, methods: ['sendMessage'], times: 2 });
    o.start();
    const ids: number[] = [];
    for (let i = 1; i <= 4; i++)
      ids.push(send(o, '1001', `A${i}`), ...(i <= 3 ? [send(o, '1002', `B${i}`)] : []));

    await fake.waitFor(() => fake.sent().length === 7, 10_000, 'all 7 messages');
    expect(texts('1001')).toEqual(['A1', 'A2', 'A3', 'A4']);
    expect(texts('1002')).toEqual(['B1', 'B2', 'B3']);

    await o.stop();
    const statuses = ids.map((id) => o.message(id)?.status);
    expect(statuses).toEqual(Array(7).fill('sent'));
    // One recorded attempt per request the fake saw, failures included.
    expect(fake.callsOf('sendMessage')).toHaveLength(12);
    expect(attemptCount(store.db)).toBe(12);
    const outcomes = ids.flatMap((id) => o.attempts(id).map((a) => a.outcome));
    expect(outcomes.filter((x) => x === 'retry')).toHaveLength(3);
    expect(outcomes.filter((x) => x === 'wait')).toHaveLength(2);
    expect(outcomes.filter((x) => x === 'sent')).toHaveLength(7);
    const waits = ids.flatMap((id) => o.attempts(id)).filter((a) => a.outcome === 'wait');
    expect(waits.every((a) => a.retryAfterMs === 1000 && a.error?.startsWith('429'))).toBe(true);
    expect(o.message(ids[0]!)?.providerRef).toBe('1');
  });

  it('hands long 429 waits back to the outbox, which holds the channel for retry_after', async () => {
    const time = new FakeTime();
    const o = outbox(store.db, { telegram: { maxInlineWaitMs: 0 }, now: time.now, timers: time.timers });
    fake.fail({ status: 429, retryAfter: 1, times: 1 });
    o.start();
    const id = send(o, '2001', 'first');
    await pump(time, 'the 429', () => o.attempts(id).length === 1);
    const failedAt = o.attempts(id)[0]!.at;
    const other = send(o, '2002', 'other chat');
    await pump(time, 'both messages', () => fake.sent().length === 2 && o.depth() === 0);
    // The whole channel waited: even the other chat went out only after retry_after.
    for (const m of [id, other]) expect(o.attempts(m).at(-1)!.at - failedAt).toBeGreaterThanOrEqual(1000);
    expect(o.attempts(id).map((a) => [a.outcome, a.retryAfterMs])).toEqual([
      ['wait', 1000],
      ['sent', null],
    ]);
  });

  it('paces Telegram: at most 1 message/s per chat and 25/s overall', async () => {
    const time = new FakeTime();
    const o = outbox(store.db, { rateLimits: undefined, now: time.now, timers: time.timers });
    const sameChatIds: number[] = [];
    const ids: number[] = [];
    for (let i = 1; i <= 3; i++) sameChatIds.push(send(o, '3000', `same chat ${i}`));
    for (let chat = 1; chat <= 27; chat++) ids.push(send(o, String(3000 + chat), `chat ${chat}`));
    o.start();
    await pump(time, '30 messages', () => fake.sent().length === 30, 100);
    expect(fake.sent('3000')).toHaveLength(3);
    // An attempt is recorded once its answer is in, a moment after the fake has the message.
    await fake.waitFor(
      () => [...sameChatIds, ...ids].every((id) => o.attempts(id).length > 0),
      5_000,
      '30 recorded attempts',
    );

    // The pacing is judged on when each send started by the outbox's clock (its attempt records),
    // which is fake: this machine's load cannot move it.
    const startOf = (id: number) => o.attempts(id)[0]!.at;
    const sameChat = sameChatIds.map(startOf);
    for (let i = 1; i < sameChat.length; i++)
      expect(sameChat[i]! - sameChat[i - 1]!).toBeGreaterThanOrEqual(1000);
    const all = [...sameChatIds, ...ids].map(startOf).sort((a, b) => a - b);
    // Any 26 consecutive starts span about a second: 25/s is well under Telegram's 30/s.
    for (let i = 0; i + 25 < all.length; i++) expect(all[i + 25]! - all[i]!).toBeGreaterThanOrEqual(990);
  });

  it('resumes pending messages after a restart, in order and without duplicates', async () => {
    const first = outbox();
    fake.fail({ status: 502, chatId: '4001' });
    first.start();
    send(first, '4002', 'B1');
    const a1 = send(first, '4001', 'A1');
    send(first, '4001', 'A2');
    await fake.waitFor(
      () => texts('4002').length === 1 && first.attempts(a1).length >= 2,
      5_000,
      'B1 and A1 retried',
    );
    await first.stop();
    store.db.close();
    fake.clearFailures();

    const db = store.open();
    const second = outbox(db);
    expect(second.depth()).toBe(2);
    second.start();
    send(second, '4001', 'A3');
    // Nothing pending is nothing in flight: no duplicate can still be on its way.
    await fake.waitFor(() => texts('4001').length === 3 && second.depth() === 0, 5_000, 'A1..A3');
    expect(texts('4001')).toEqual(['A1', 'A2', 'A3']);
    expect(texts('4002')).toEqual(['B1']);
    expect(second.depth()).toBe(0);
    expect(
      second
        .attempts(a1)
        .map((a) => a.outcome)
        .at(-1),
    ).toBe('sent');
  });

  it('dead-letters on permanent errors, records why, and moves on to the next message', async () => {
    const o = outbox();
    fake.block('5001');
    fake.fail({ status: 400, description: 'Bad Request: chat not found', chatId: '5002', times: 1 });
    o.start();
    const blocked = send(o, '5001', 'never');
    const bad = send(o, '5002', 'D1');
    send(o, '5002', 'D2');
    await fake.waitFor(() => texts('5002').length === 1, 5_000, 'D2');
    await fake.waitFor(() => o.message(blocked)?.status === 'dead', 5_000, 'the blocked chat dead-lettered');
    expect(texts('5002')).toEqual(['D2']);
    expect(o.message(bad)).toMatchObject({ status: 'dead', lastError: '400: Bad Request: chat not found' });
    expect(o.attempts(blocked)).toEqual([
      expect.objectContaining({ outcome: 'dead', error: '403: Forbidden: bot was blocked by the user' }),
    ]);
    expect(o.messages({ status: 'dead' }).map((m) => m.id)).toEqual([bad, blocked]);
    // D2 reached the fake before its "sent" was committed; the queue empties right after.
    await fake.waitFor(() => o.depth() === 0, 5_000, 'nothing left pending');
  });

  it('stop() aborts a send stuck in a long wait after stopTimeoutMs and keeps it pending', async () => {
    const time = new FakeTime();
    const o = outbox(store.db, { stopTimeoutMs: 100, now: time.now, timers: time.timers });
    fake.fail({ status: 429, retryAfter: 3, times: 1 });
    o.start();
    const id = send(o, '6001', 'later');
    await pump(time, 'the first request', () => fake.callsOf('sendMessage').length === 1, 0);
    let stopped = false;
    const stopping = o.stop().then(() => {
      stopped = true;
    });
    // The send waits out retry_after (3 s) inside the channel; stop() gives up on it at 100 ms.
    time.advance(99);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    time.advance(1);
    await stopping;
    expect(o.message(id)?.status).toBe('pending');
    expect(o.attempts(id).map((a) => a.outcome)).toEqual(['wait', 'retry']);
  });

  it('reports depth and the age of the oldest waiting message', () => {
    let now = 1_000;
    const o = outbox(store.db, { now: () => now });
    expect(o.depth()).toBe(0);
    expect(o.oldestAgeMs()).toBe(0);
    send(o, '7001', 'x');
    now = 3_000;
    send(o, '7002', 'y');
    now = 6_000;
    expect(o.depth()).toBe(2);
    expect(o.oldestAgeMs()).toBe(5_000);
  });

  it('dead-letters messages for a channel that is not configured, and prunes old ones', async () => {
    let now = Date.now();
    const o = new Outbox({ db: store.db, channels: {}, now: () => now, retentionMs: 60_000 });
    outboxes.push(o);
    o.start();
    const id = send(o, '9001', 'nowhere');
    await fake.waitFor(() => o.message(id)?.status === 'dead', 2_000, 'the dead letter');
    expect(o.message(id)?.lastError).toBe('no telegram channel is configured');
    expect(o.prune()).toBe(0);
    now += 61_000;
    expect(o.prune()).toBe(1);
    expect(o.message(id)).toBeUndefined();
    expect(attemptCount(store.db)).toBe(0);
  });

  it('enqueues atomically with the caller’s transaction', () => {
    const o = outbox();
    expect(() =>
      store.db.transaction(() => {
        send(o, '8001', 'rolled back');
        throw new Error('caller failed');
      })(),
    ).toThrow('caller failed');
    expect(o.depth()).toBe(0);
  });
});
