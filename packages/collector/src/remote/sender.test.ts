import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { uncompress } from 'snappyjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/until.ts';
import type { Timers } from '../clock.ts';
import { Store } from '../store/index.ts';
import type { RemoteWriteEndpoint } from './config.ts';
import { RemoteHttp } from './http.ts';
import { RemoteQueueRepo } from './queue-repo.ts';
import { EndpointSender, nameMatcher } from './sender.ts';

/** Timers the test fires by hand; `now` moves only when told. */
class FakeTimers implements Timers {
  at = 1_700_000_000_000;
  pending: { ms: number; fn: () => void }[] = [];
  now = () => this.at;
  setTimeout = (fn: () => void, ms: number) => {
    const t = { ms, fn };
    this.pending.push(t);
    return t;
  };
  clearTimeout = (h: unknown) => {
    this.pending = this.pending.filter((t) => t !== h);
  };
  /** Fires the one pending timer and returns the delay it was set for. */
  fire(): number {
    expect(this.pending).toHaveLength(1);
    const t = this.pending.pop()!;
    this.at += t.ms;
    t.fn();
    return t.ms;
  }
}

const HOUR = 3_600_000;
let dir: string;
let store: Store;
let queue: RemoteQueueRepo;
let server: Server;
let url: string;
let answers: { status: number; headers?: Record<string, string> }[];
let bodies: Buffer[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-sender-'));
  store = new Store({
    dataDir: dir,
    busyTimeout: 1_000,
    retention: { raw: HOUR, minute: HOUR, hour: HOUR, chunkRows: 100 },
  });
  queue = new RemoteQueueRepo(store.db);
  answers = [];
  bodies = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      const a = answers.shift() ?? { status: 204 };
      res.writeHead(a.status, a.headers).end(a.status >= 400 ? 'nope' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/write`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function sender(timers: FakeTimers, overrides: Partial<RemoteWriteEndpoint> = {}, retryMax = 2_000) {
  const endpoint: RemoteWriteEndpoint = {
    name: 'db',
    url,
    authorization: 'Bearer t0ken',
    ca: null,
    timeout: 5_000,
    extraLabels: {},
    metrics: null,
    ...overrides,
  };
  queue.syncEndpoints([endpoint.name]);
  return new EndpointSender({
    endpoint,
    queue,
    http: new RemoteHttp(endpoint),
    log: pino({ level: 'silent' }),
    time: { now: timers.now, timers },
    batch: 100,
    maxAge: HOUR,
    retryMax,
  });
}

const labels = JSON.stringify({ host: 'web-1' });

describe('EndpointSender', () => {
  it('retries 5xx and 429 with growing backoff (Retry-After wins when longer), then moves on', async () => {
    const timers = new FakeTimers();
    queue.append(timers.at, labels, [['pantau_host_load1', 0.5]]);
    answers = [
      { status: 503 },
      { status: 500 },
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 502 },
      { status: 503 },
    ];
    const s = sender(timers);
    s.start();
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      await until(`request ${i}`, () => bodies.length === i && timers.pending.length === 1);
      delays.push(timers.fire());
    }
    await until('the batch delivered', () => s.lag().rows === 0);
    // 500 ms doubling, capped by retryMax (2 s); the 429's Retry-After of 7 s is honoured.
    expect(delays).toEqual([500, 1_000, 7_000, 2_000, 2_000]);
    expect(s.stats).toMatchObject({
      samplesSent: 1,
      requests: 6,
      failures: { network: 0, server: 4, throttled: 1, auth: 0 },
    });
    // Every attempt carried the same, valid body.
    expect(new Set(bodies.map((b) => b.toString('hex'))).size).toBe(1);
    expect(Buffer.from(uncompress(bodies[0]!)).toString()).toContain('pantau_host_load1');
    await s.stop();
  });

  it('drops a batch answered with another 4xx, counts and keeps going in order', async () => {
    const timers = new FakeTimers();
    queue.append(timers.at, labels, [['a_metric', 1]]);
    answers = [{ status: 400 }];
    const s = sender(timers, {}, 2_000);
    s.start();
    await until('rejected', () => s.stats.dropped.rejected === 1);
    queue.append(timers.at + 1_000, labels, [['a_metric', 2]]);
    s.wake();
    await until('the next batch sent', () => s.stats.samplesSent === 1 && s.lag().rows === 0);
    expect(bodies).toHaveLength(2);
    await s.stop();
  });

  it('drops samples older than maxAge without sending them, and sends only the selected names', async () => {
    const timers = new FakeTimers();
    queue.append(timers.at - 2 * HOUR, labels, [['pantau_host_load1', 1]]);
    queue.append(timers.at, labels, [
      ['pantau_host_load1', 2],
      ['pantau_host_cpu_busy_ratio', 0.5],
    ]);
    const s = sender(timers, { metrics: ['pantau_host_load*'] });
    s.start();
    await until('drained', () => s.lag().rows === 0 && bodies.length === 1);
    expect(s.stats.dropped['too-old']).toBe(1);
    expect(s.stats.samplesSent).toBe(1);
    expect(Buffer.from(uncompress(bodies[0]!)).toString()).not.toContain('cpu_busy');
    await s.stop();
  });
});

describe('RemoteQueueRepo', () => {
  it('keeps rows until every endpoint has them, never reuses an id, and trims the oldest to its byte bound', () => {
    queue.syncEndpoints(['fast', 'slow']);
    for (let i = 0; i < 10; i++) queue.append(i, labels, [['m', i]]);
    const ids = queue.after(0, 100).map((r) => r.id);
    queue.advance('fast', ids.at(-1)!);
    expect(queue.after(0, 100)).toHaveLength(10);
    const perRow = queue.bytes / 10;
    const dropped = queue.trimToBytes(perRow * 4);
    expect(dropped).toEqual([{ endpoint: 'slow', samples: 6 }]);
    expect(queue.bytes).toBe(perRow * 4);
    expect(queue.cursor('slow')).toBe(ids[5]);
    queue.advance('slow', ids.at(-1)!);
    expect(queue.bytes).toBe(0);
    queue.append(11, labels, [['m', 11]]);
    expect(queue.after(ids.at(-1)!, 10)).toHaveLength(1);
  });

  it('a removed endpoint stops holding rows; a new one starts at the oldest row still queued', () => {
    queue.syncEndpoints(['a', 'b']);
    queue.append(1, labels, [['m', 1]]);
    queue.append(2, labels, [['m', 2]]);
    const [first, second] = queue.after(0, 10);
    queue.advance('a', second!.id);
    queue.syncEndpoints(['a', 'c']);
    expect(queue.after(0, 10)).toHaveLength(2);
    expect(queue.cursor('c')).toBe(first!.id - 1);
    queue.advance('c', second!.id);
    expect(queue.after(0, 10)).toHaveLength(0);
  });
});

describe('nameMatcher', () => {
  it('matches * globs without a regular expression', () => {
    const m = nameMatcher(['pantau_host_cpu_*', '*_bytes', 'exact', 'a*b*c']);
    expect(
      ['pantau_host_cpu_busy_ratio', 'pantau_host_memory_used_bytes', 'exact', 'abc', 'aXbYc'].every(m),
    ).toBe(true);
    expect(['pantau_host_load1', 'exactly', 'ab', 'acb'].some(m)).toBe(false);
    expect(nameMatcher(null)('anything')).toBe(true);
    const long = `a${'b'.repeat(50_000)}`;
    expect(nameMatcher(['a*a*a*a*a*c'])(long)).toBe(false);
  });
});
