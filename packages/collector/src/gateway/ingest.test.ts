import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { until } from '../../../../test/support/until.ts';
import { systemClock, type Timers, unrefTimers } from '../clock.ts';
import { EventBus } from '../events.ts';
import { Store } from '../store/index.ts';
import { type AckTarget, IngestQueue } from './ingest.ts';
import { GatewayStats } from './stats.ts';

const HOUR = 3_600_000;
let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-ingest-'));
  store = new Store({
    dataDir: dir,
    busyTimeout: 5_000,
    retention: { raw: 48 * HOUR, minute: 720 * HOUR, hour: 8760 * HOUR, chunkRows: 100 },
  });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest queue with the writer thread', () => {
  it('schedules no flush per snapshot while a batch is in flight, and flushes the rest after it', async () => {
    const hostId = store.hosts.add('web-1', {}).host.id;
    const acks: number[] = [];
    // The real timers, counted: a flush armed per snapshot would show here.
    let armed = 0;
    const timers: Timers = {
      setTimeout: (callback, ms) => {
        armed++;
        return unrefTimers.setTimeout(callback, ms);
      },
      clearTimeout: unrefTimers.clearTimeout,
    };
    const agent: AckTarget = { hostId, hostName: 'web-1', ack: (seq) => acks.push(seq), refuse: () => {} };
    const queue = new IngestQueue({
      writer: store.writer,
      thread: store.writerThread,
      events: new EventBus(),
      stats: new GatewayStats(),
      log: pino({ level: 'silent' }),
      flushInterval: 100,
      flushRows: 10,
      time: { now: systemClock, timers },
    });
    const now = Date.now();
    const snap = (seq: number) => ({ ...sampleSnapshot(seq), ts: now - 1_000 + seq });
    // Hold the write lock: the first batch stays in flight on the thread.
    store.db.exec('BEGIN IMMEDIATE');
    queue.push(
      agent,
      Array.from({ length: 10 }, (_, i) => snap(i + 1)),
      now,
    );
    await until('a batch in flight', () => store.writerThread.busy, 5_000);
    const armedBefore = armed;
    for (let seq = 11; seq <= 40; seq++) queue.push(agent, [snap(seq)], now);
    expect(armed).toBe(armedBefore);
    store.db.exec('COMMIT');
    await until('every snapshot acked', () => acks.at(-1) === 40, 5_000);
    expect(store.db.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(40);
    queue.stop();
  });
});
