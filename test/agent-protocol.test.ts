import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { FakeCollector } from './support/fake-collector.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function collector(
  options: ConstructorParameters<typeof FakeCollector>[0] = {},
): Promise<FakeCollector> {
  const c = new FakeCollector({ token: 'test-token', ...options });
  await c.start();
  cleanup.push(() => c.stop());
  return c;
}

function agent(config: Record<string, unknown>): AgentProcess {
  const a = new AgentProcess(config);
  cleanup.push(() => a.stop());
  return a;
}

/** A port nobody listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Proves that an ordinary retry would have happened by now: a second agent with the same settings,
 * started after the agent under test was turned away, is dropped with a retryable code and comes
 * back. Until then, "has not reconnected" would say nothing.
 */
async function aRetryLaterThanThis(): Promise<void> {
  const control = await collector();
  agent(testConfig([control.url]));
  await control.waitFor('the control agent to send a snapshot', () => control.stored.length >= 1);
  control.close(1000, 'retry');
  await control.waitFor('the control agent to reconnect', () => control.connections >= 2);
}

describe('agent protocol handling (real agent process)', () => {
  it('answers an invalid frame with an error frame and close 4003, then reconnects', async () => {
    const c = await collector();
    const a = agent(testConfig([c.url]));
    await c.waitFor('first snapshot', () => c.stored.length >= 1);
    c.send('{"t":"ack","seq":-1}');
    await c.waitFor('agent error frame', () => c.framesOf('error').length === 1);
    expect(c.framesOf('error')[0]?.code).toBe('INVALID_FRAME');
    expect(c.framesOf('error')[0]?.message).toBe('invalid ack frame: seq must be >= 0');
    await c.waitFor('close 4003', () => c.closes.some((x) => x.code === 4003));
    await c.waitFor('second hello', () => c.hellos.length === 2);
    await a.waitForLog('refusing a frame from the collector');
    // An unknown kind is refused the same way.
    c.send('{"t":"surprise"}');
    await c.waitFor('second error frame', () => c.framesOf('error').length === 2);
    expect(c.framesOf('error')[1]?.code).toBe('UNKNOWN_FRAME');
    await c.waitFor('third hello', () => c.hellos.length === 3);
    expect(c.invalid).toEqual([]);
  });

  it('refuses frames before welcome with close 4007', async () => {
    // A server that sends ack instead of welcome.
    const c = await collector();
    c.on('frame', (frame: { t: string }) => {
      if (frame.t === 'hello') c.socket?.close(4999, 'test'); // cut before the welcome goes out
    });
    const a = agent(testConfig([c.url]));
    await c.waitFor('a hello', () => c.hellos.length >= 1);
    c.removeAllListeners('frame');
    c.on('frame', (frame: { t: string }) => {
      if (frame.t === 'hello') c.send({ t: 'ack', seq: 1 });
    });
    await a.waitForLog('refusing a frame from the collector');
    expect(a.logged('refusing a frame')[0]?.message).toMatch(/ack before welcome/);
  });

  it('treats 4001 as fatal: logs why and does not hammer the collector', async () => {
    const c = await collector();
    c.on('frame', (frame: { t: string }) => {
      if (frame.t === 'hello') setTimeout(() => c.close(4001, 'token revoked'), 50);
    });
    const a = agent(testConfig([c.url]));
    const line = await a.waitForLog('collector closed the connection');
    expect(line.msg).toMatch(/refused the token/);
    expect(line.code).toBe(4001);
    expect(line.retryInMs).toBe(3_600_000);
    await aRetryLaterThanThis();
    expect(c.connections).toBe(1);
  });

  it('treats HTTP 401 on the upgrade like 4001', async () => {
    const c = await collector({ token: 'another-token' });
    const a = agent(testConfig([c.url]));
    const line = await a.waitForLog('collector closed the connection');
    expect(line.code).toBe(4001);
    await aRetryLaterThanThis();
    expect(c.unauthorized).toBe(1);
  });

  it('stands back after 4005 (replaced by a newer connection)', async () => {
    const c = await collector();
    const a = agent(testConfig([c.url]));
    await c.waitFor('first snapshot', () => c.stored.length >= 1);
    c.close(4005, 'replaced');
    const line = await a.waitForLog('collector closed the connection');
    expect(line.msg).toMatch(/replaced/);
    await aRetryLaterThanThis();
    expect(c.connections).toBe(1);
  });

  it('fails over to the next URL when the first is down', async () => {
    const c = await collector();
    const port = await deadPort();
    const a = agent(testConfig([`ws://127.0.0.1:${port}/agent`, c.url]));
    await c.waitFor('snapshots via the second URL', () => c.stored.length >= 2);
    expect(a.logged('could not connect to the collector')[0]?.url).toBe(`ws://127.0.0.1:${port}/agent`);
    expect(c.stored[0]?.seq).toBe(1);
  });

  it('drops a socket whose collector stops answering pings, and reconnects', async () => {
    const c = await collector({ autoPong: false, autoAck: false });
    const a = agent(
      testConfig([c.url], {
        collector: {
          urls: [c.url],
          pingInterval: '300ms',
          reconnect: { minDelay: '100ms', maxDelay: '500ms' },
        },
      }),
    );
    // No acks and no pongs: after its hello, the collector is silent apart from frames the agent sends.
    await a.waitForLog('collector silent for 3 ping intervals', 10_000);
    await c.waitFor('reconnect', () => c.connections >= 2, 10_000);
  });
});
