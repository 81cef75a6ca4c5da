import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempNotifyDb } from '../../../../../test/fakes/temp-db.ts';
import { until } from '../../../../../test/support/until.ts';
import { Outbox } from '../outbox.ts';
import { WebhookChannel } from './webhook.ts';

interface Received {
  headers: IncomingMessage['headers'];
  raw: Buffer;
  verified: boolean;
}

const SECRET = 'a-long-random-webhook-secret';

/** A receiver written the way docs/notifications.md tells users to: HMAC over the raw body, constant-time compare. */
function verify(secret: string, raw: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let server: Server;
let url: string;
let received: Received[];
let answers: number[];
let store: ReturnType<typeof tempNotifyDb>;

beforeEach(async () => {
  received = [];
  answers = [];
  store = tempNotifyDb();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers['x-pantau-signature'];
      received.push({
        headers: req.headers,
        raw,
        verified: verify(SECRET, raw, signature as string | undefined),
      });
      const status = answers.shift() ?? 204;
      if (status === 0) return; // never answer: the sender's timeout must fire
      res.writeHead(status, status === 429 ? { 'retry-after': '1' } : {});
      res.end(status >= 400 ? 'nope' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  store.cleanup();
});

const context = () => ({ messageId: 5, signal: new AbortController().signal });

describe('WebhookChannel', () => {
  it('POSTs the JSON body with a signature the receiver can verify', async () => {
    const body = JSON.stringify({ type: 'opened', host: 'web-<1>', note: 'ünïcode' });
    const result = await new WebhookChannel({ now: () => 1_700_000_000_123 }).send(
      { url, secret: SECRET, body },
      context(),
    );
    expect(result).toEqual({ outcome: 'sent' });
    const [hit] = received;
    expect(hit!.verified).toBe(true);
    expect(hit!.raw.toString('utf8')).toBe(body);
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers['x-pantau-timestamp']).toBe('1700000000');
    expect(hit!.headers['x-pantau-delivery']).toBe('5');
    // A wrong secret does not verify.
    expect(verify('another-secret-entirely', hit!.raw, hit!.headers['x-pantau-signature'] as string)).toBe(
      false,
    );
  });

  it('classifies answers: 5xx and timeouts retry, 429 waits, other 4xx are permanent', async () => {
    const channel = new WebhookChannel({ timeoutMs: 300 });
    const payload = { url, secret: SECRET, body: '{}' };
    answers.push(503, 429, 410, 0);
    expect(await channel.send(payload, context())).toMatchObject({
      outcome: 'retry',
      error: 'HTTP 503: nope',
    });
    expect(await channel.send(payload, context())).toMatchObject({ outcome: 'wait', retryAfterMs: 1000 });
    expect(await channel.send(payload, context())).toMatchObject({
      outcome: 'permanent',
      error: 'HTTP 410: nope',
    });
    expect(await channel.send(payload, context())).toMatchObject({ outcome: 'retry' });
    const refused = await channel.send({ ...payload, url: 'http://127.0.0.1:1/' }, context());
    expect(refused).toMatchObject({ outcome: 'retry' });
  });

  it('through the outbox: 500s are retried and the same signed body arrives in the end', async () => {
    answers.push(500, 500);
    const outbox = new Outbox({
      db: store.db,
      channels: { webhook: new WebhookChannel() },
      backoff: { initialMs: 50, maxMs: 200 },
    });
    outbox.start();
    const id = outbox.enqueue({ channel: 'webhook', payload: { url, secret: SECRET, body: '{"n":1}' } });
    await until('the webhook delivered', () => outbox.message(id)?.status === 'sent');
    await outbox.stop();
    expect(received).toHaveLength(3);
    expect(received.every((r) => r.verified && r.raw.toString() === '{"n":1}')).toBe(true);
    expect(new Set(received.map((r) => r.headers['x-pantau-delivery']))).toEqual(new Set([String(id)]));
    expect(outbox.attempts(id).map((a) => a.outcome)).toEqual(['retry', 'retry', 'sent']);
  });
});
