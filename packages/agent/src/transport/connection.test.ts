import { once } from 'node:events';
import { createServer } from 'node:net';
import { type HelloFrame, PROTOCOL_VERSION } from '@pantau/shared/lite';
import { describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import type { CollectorConfig } from '../config/types.ts';
import { jsonLog, type Log } from '../log.ts';
import { Connection } from './connection.ts';
import { JobBacklog } from './job-backlog.ts';
import { Outbox } from './outbox.ts';

const SYSTEM: HelloFrame['system'] = {
  hostname: 'test',
  os: 'Linux',
  kernel: '6.1',
  arch: 'x64',
  cpuModel: 'test',
  cores: 1,
  memory: 1,
  agentVersion: 'test',
  bootTime: 0,
};

/** A connection to `url` on fake time: only the test moves its waits and deadlines. */
function connect(url: string, time: FakeTime, log: Log, config: Partial<CollectorConfig> = {}): Connection {
  const minDelayMs = config.minDelayMs ?? 1_000;
  return new Connection(
    {
      urls: [url],
      pingIntervalMs: 5_000,
      helloTimeoutMs: 10_000,
      minDelayMs,
      maxDelayMs: 4 * minDelayMs,
      fatalDelayMs: 300_000,
      insecure: false,
      ...config,
    },
    'token',
    new Outbox(10),
    new JobBacklog({ maxBytes: 1024, maxFrames: 10 }),
    {
      hello: () => ({
        t: 'hello',
        protocol: PROTOCOL_VERSION,
        agentVersion: 'test',
        system: SYSTEM,
        actions: [],
        intervalMs: 5_000,
        jobs: [],
        bootId: 'b',
      }),
      welcome() {},
      jobStart() {},
      jobCancel() {},
    },
    log,
    { now: time.now, monotonic: time.now, timers: time.timers },
  );
}

describe('Connection reconnects (real socket, fake time)', () => {
  it('waits its growing, jittered backoff on the given timers, and stop() ends the wait', async () => {
    // A collector address that accepts TCP and hangs up: every dial fails at once.
    let dials = 0;
    const server = createServer((socket) => {
      dials++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const logged: { msg: string; delayMs?: number }[] = [];
    const log = jsonLog('info', (line) => logged.push(JSON.parse(line)));
    const delays = () => logged.filter((l) => l.msg === 'reconnecting').map((l) => l.delayMs ?? -1);
    const time = new FakeTime(0);
    // Waits of a minute and more: on real timers the next dial would not come within this test.
    const minDelayMs = 60_000;
    const connection = connect(`ws://127.0.0.1:${port}/agent`, time, log, { minDelayMs });
    try {
      connection.start();
      for (const [i, cap] of [1, 2, 4, 4].map((n, i) => [i, n * minDelayMs] as const)) {
        await vi.waitFor(() => expect(delays()).toHaveLength(i + 1), { timeout: 5_000 });
        expect(dials).toBe(i + 1);
        const delay = delays()[i] ?? -1;
        // Full jitter under a cap that doubles per failed round, up to maxDelayMs.
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
        time.advance(delay);
        await vi.waitFor(() => expect(dials).toBe(i + 2), { timeout: 5_000 });
      }
      await vi.waitFor(() => expect(delays()).toHaveLength(5), { timeout: 5_000 });
      // The fifth wait is pending on fake time; stopping ends it without moving the clock.
      await connection.stop();
      expect(time.pending).toBe(0);
      expect(dials).toBe(5);
    } finally {
      await connection.stop();
      server.close();
    }
  });

  it('drops a collector that upgrades but never welcomes once the hello deadline passes', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const hellos: string[] = [];
    const closed: number[] = [];
    wss.on('connection', (socket) => {
      socket.on('message', (data) => hellos.push(String(data)));
      socket.on('close', (code) => closed.push(code));
    });
    const logged: { msg: string }[] = [];
    const log = jsonLog('info', (line) => logged.push(JSON.parse(line)));
    const time = new FakeTime(0);
    const { port } = wss.address() as { port: number };
    const connection = connect(`ws://127.0.0.1:${port}/agent`, time, log, { helloTimeoutMs: 10_000 });
    try {
      connection.start();
      await vi.waitFor(() => expect(hellos).toHaveLength(1), { timeout: 5_000 });
      expect(JSON.parse(hellos[0] ?? '{}')).toMatchObject({ t: 'hello', bootId: 'b' });
      time.advance(9_999);
      expect(logged.map((l) => l.msg)).not.toContain('no welcome from the collector in time');
      time.advance(1);
      expect(logged.map((l) => l.msg)).toContain('no welcome from the collector in time');
      await vi.waitFor(() => expect(closed).toHaveLength(1), { timeout: 5_000 });
      await vi.waitFor(() => expect(logged.map((l) => l.msg)).toContain('reconnecting'), { timeout: 5_000 });
    } finally {
      await connection.stop();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
