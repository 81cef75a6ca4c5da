import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, Bot, InputFile } from 'grammy';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../support/until.ts';
import { FakeTelegramServer } from './telegram-server.ts';

let fake: FakeTelegramServer;
let api: Api;

beforeEach(async () => {
  fake = await FakeTelegramServer.start();
  api = new Api(fake.token, { apiRoot: fake.url });
});

afterEach(async () => {
  await fake.close();
});

describe('FakeTelegramServer', () => {
  it('answers getMe, sendMessage and editMessageText, and records calls', async () => {
    expect((await api.getMe()).username).toBe('pantau_test_bot');
    const sent = await api.sendMessage(42, '<b>hi</b>', {
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Ack', callback_data: 'ack:1' }]] },
    });
    expect(sent.message_id).toBe(1);
    // As Telegram: HTML becomes entities, the message's text is plain (a bot reading it back sees that).
    expect(sent.text).toBe('hi');
    expect(fake.message(42, 1)).toMatchObject({ text: 'hi' });
    await api.editMessageText(42, sent.message_id, 'edited');
    expect(fake.message(42, 1)).toMatchObject({ text: 'edited' });
    await expect(api.editMessageText(42, 99, 'x')).rejects.toThrow(/message to edit not found/);
    expect(fake.sent(42)[0]!.body).toMatchObject({ chat_id: 42, text: '<b>hi</b>', parse_mode: 'HTML' });
    expect(fake.calls.map((c) => [c.method, c.status])).toEqual([
      ['getMe', 200],
      ['sendMessage', 200],
      ['editMessageText', 200],
      ['editMessageText', 400],
    ]);
  });

  it('rejects a wrong token with 401', async () => {
    await expect(new Api('1:wrong', { apiRoot: fake.url }).getMe()).rejects.toThrow(/Unauthorized/);
  });

  it('accepts sendPhoto as multipart and setMyCommands', async () => {
    await api.sendPhoto(7, new InputFile(Buffer.from('png bytes'), 'chart.png'), { caption: 'cpu web-1' });
    const [call] = fake.callsOf('sendPhoto');
    expect(call!.body).toMatchObject({ chat_id: '7', caption: 'cpu web-1' });
    expect(call!.body.photo).toMatchObject({ filename: 'chart.png', size: 9 });
    await api.setMyCommands([{ command: 'status', description: 'Fleet status' }]);
    expect(await api.getMyCommands()).toEqual([{ command: 'status', description: 'Fleet status' }]);
  });

  it('long-polls getUpdates until the test pushes an update, and confirms by offset', async () => {
    const poll = api.getUpdates({ offset: 0, timeout: 10 });
    await until('the poll to wait', () => fake.waitingPolls === 1);
    fake.pushMessage({ id: 5, first_name: 'Ann' }, '/status');
    // A poll that ran out its 10 s would answer with nothing.
    const updates = await poll;
    expect(updates).toHaveLength(1);
    expect(updates[0]!.message).toMatchObject({ text: '/status', chat: { id: 5, type: 'private' } });
    expect(await api.getUpdates({ offset: updates[0]!.update_id + 1, timeout: 0 })).toEqual([]);
  });

  it('serves a grammY bot with long polling: commands and button presses', async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.url }, botInfo: fake.botInfo as never });
    bot.command('status', (ctx) => ctx.reply('all good'));
    bot.callbackQuery(/^ack:(\d+)$/, async (ctx) => {
      await ctx.answerCallbackQuery('acknowledged');
      await ctx.editMessageText(`acknowledged #${ctx.match[1]}`);
    });
    void bot.start({ timeout: 1 });
    const alert = await api.sendMessage(9, 'incident #4');
    fake.pushMessage({ id: 9 }, '/status');
    fake.pushCallbackQuery({ id: 9 }, 'ack:4', alert.message_id);
    await fake.waitFor(() => fake.callsOf('editMessageText', { ok: true }).length === 1, 5_000, 'the edit');
    await bot.stop();
    expect(fake.sent(9).map((c) => c.body.text)).toEqual(['incident #4', 'all good']);
    expect(fake.callsOf('answerCallbackQuery')[0]!.body).toMatchObject({ text: 'acknowledged' });
    expect(fake.message(9, alert.message_id)).toMatchObject({ text: 'acknowledged #4' });
  });

  it('fails on demand: N times, for a time window, per chat', async () => {
    fake.fail({ status: 429, retryAfter: 2, methods: ['sendMessage'], times: 1 });
    await expect(api.sendMessage(1, 'a')).rejects.toMatchObject({
      error_code: 429,
      parameters: { retry_after: 2 },
    });
    await api.sendMessage(1, 'b');
    fake.fail({ status: 500, forMs: 150 });
    await expect(api.getMe()).rejects.toMatchObject({ error_code: 500 });
    await until('the failure window to end', () => api.getMe().then(() => true));
    fake.block(3);
    await expect(api.sendMessage(3, 'x')).rejects.toMatchObject({ error_code: 403 });
    await api.sendMessage(4, 'y');
  });

  it('answers 409 to a second getUpdates while one waits, and to any while a webhook is set', async () => {
    const first = api.getUpdates({ offset: 0, timeout: 2 });
    await until('the first poll to wait', () => fake.waitingPolls === 1);
    await expect(api.getUpdates({ offset: 0, timeout: 0 })).rejects.toMatchObject({ error_code: 409 });
    fake.pushMessage({ id: 1 }, 'hi');
    expect(await first).toHaveLength(1);
    await api.setWebhook('http://127.0.0.1:1/hook', { secret_token: 'secret-token-0123456789' });
    await expect(api.getUpdates({ offset: 0, timeout: 0 })).rejects.toThrow(/webhook is active/);
    expect(fake.webhook).toEqual({ url: 'http://127.0.0.1:1/hook', secretToken: 'secret-token-0123456789' });
    await api.deleteWebhook();
    expect(fake.webhook).toBeNull();
  });

  it('POSTs pushed updates to the webhook with the secret token header', async () => {
    const received: { secret: string | undefined; update: Update }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const secret = req.headers['x-telegram-bot-api-secret-token'];
        received.push({ secret: typeof secret === 'string' ? secret : undefined, update: JSON.parse(body) });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await api.setWebhook(url, { secret_token: 'secret-token-0123456789' });
      const update = fake.pushMessage({ id: 8 }, '/status');
      await fake.waitFor(() => fake.deliveries.length === 1);
      expect(received[0]).toEqual({ secret: 'secret-token-0123456789', update });
      expect(fake.deliveries[0]!.status).toBe(200);
      expect(await fake.deliver(update, 'forged-secret-000000000')).toBe(200);
      expect(received[1]!.secret).toBe('forged-secret-000000000');
    } finally {
      server.close();
    }
  });

  it('keeps uploaded bytes, records sendDocument and commands per scope', async () => {
    await api.sendDocument(7, new InputFile(Buffer.from('output\n'), 'job-1.txt'), { caption: 'job 1' });
    const [call] = fake.callsOf('sendDocument');
    expect((call!.body.document as { data: Buffer }).data.toString()).toBe('output\n');
    expect(fake.delivered(7)).toHaveLength(1);
    await api.setMyCommands([{ command: 'run', description: 'Run' }], {
      scope: { type: 'chat', chat_id: 7 },
    });
    expect(fake.scopedCommands.get(JSON.stringify({ type: 'chat', chat_id: 7 }))).toEqual([
      { command: 'run', description: 'Run' },
    ]);
    expect(fake.commands).toEqual([]);
  });
});
