import { CloseCodes, Limits } from '@pantau/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullSnapshot, sampleHello, sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { RawAgent, upgradeStatus } from '../../../../test/support/agent-client.ts';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { until } from '../../../../test/support/until.ts';
import { CLI_ACTOR } from '../access/actor.ts';

let t: TestApp;
let host: { id: number; token: string };

beforeEach(async () => {
  t = await startTestApp({ gateway: { frameRate: 50, frameBurst: 100 } });
  host = t.addHost('web-1');
});
afterEach(async () => {
  await t.close();
});

const rawCount = (hostId: number) =>
  t.app.pantau.store.db
    .prepare('SELECT count(*) FROM metrics_raw WHERE host = ?')
    .pluck()
    .get(hostId) as number;

describe('agent gateway: the valid flow', () => {
  it('answers hello with welcome, stores snapshots and acks after commit', async () => {
    const online: number[] = [];
    const stored: number[] = [];
    t.app.pantau.events.on('host.online', (e) => online.push(e.hostId));
    t.app.pantau.events.on('snapshot.stored', (e) => {
      // Emitted after the commit: the row is already readable.
      expect(rawCount(e.hostId)).toBeGreaterThanOrEqual(1);
      stored.push(e.snapshot.seq);
    });
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    const welcome = await agent.hello();
    expect(welcome).toMatchObject({
      t: 'welcome',
      protocol: 1,
      hostId: String(host.id),
      hostName: 'web-1',
      lastSeq: 0,
    });
    expect(online).toEqual([host.id]);
    agent.send({ t: 'metrics', snapshot: fullSnapshot(1) });
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(2) });
    await agent.waitAck(2);
    expect(rawCount(host.id)).toBe(2);
    expect(stored).toEqual([1, 2]);
    const h = t.app.pantau.store.hosts.get(host.id)!;
    expect(h).toMatchObject({ status: 'online', lastSeq: 2, agentVersion: '0.1.0' });
    expect(h.system?.hostname).toBe('web-1');
    agent.close();
  });

  it('deduplicates by (host, seq): a replayed batch is acked but stored once', async () => {
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    agent.send({ t: 'metrics.batch', snapshots: [1, 2, 3].map((s) => sampleSnapshot(s)) });
    await agent.waitAck(3);
    agent.send({ t: 'metrics.batch', snapshots: [2, 3, 4, 5].map((s) => sampleSnapshot(s)) });
    await agent.waitAck(5);
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(5) });
    await agent.until(() => agent.frames.filter((f) => f.t === 'ack').length >= 3, 5_000, 'third ack');
    expect(rawCount(host.id)).toBe(5);
    expect(t.app.pantau.gateway.stats.snapshotsDuplicate).toBe(3);
    agent.close();
  });

  it('welcome carries lastSeq after a reconnect and after a collector restart', async () => {
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    agent.send({ t: 'metrics.batch', snapshots: [1, 2, 3, 4].map((s) => sampleSnapshot(s)) });
    await agent.waitAck(4);
    agent.close();
    await agent.closed;
    const again = await RawAgent.connect(t.wsUrl, host.token);
    expect((await again.hello()).lastSeq).toBe(4);
    again.close();
    await again.closed;

    const { dataDir } = t;
    await t.close({ keepData: true });
    t = await startTestApp({}, dataDir);
    const after = await RawAgent.connect(t.wsUrl, host.token);
    expect((await after.hello()).lastSeq).toBe(4);
    after.close();
  });

  it('a writer thread that dies with a batch in flight: nothing acked before the commit, every snapshot stored once', async () => {
    const { store, gateway } = t.app.pantau;
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await agent.waitAck(1);
    // Hold the write lock, so the next batch stays in flight on the thread.
    store.db.exec('BEGIN IMMEDIATE');
    agent.send({ t: 'metrics.batch', snapshots: [2, 3, 4].map((s) => sampleSnapshot(s)) });
    await until('a batch in flight', () => store.writerThread.busy, 5_000);
    const dying = store.writerThread.terminate();
    store.db.exec('COMMIT');
    await dying;
    expect(agent.highestAck).toBe(1);
    // Retried on a new thread.
    await agent.waitAck(4);
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(5) });
    await agent.waitAck(5);
    expect(gateway.stats.flushErrors).toBe(1);
    expect(rawCount(host.id)).toBe(5);
    expect(store.db.prepare('SELECT sum(n) FROM metrics_1m WHERE host = ?').pluck().get(host.id)).toBe(5);
    expect(store.hosts.get(host.id)?.lastSeq).toBe(5);
    agent.close();
  });

  it('emits host.offline when the socket closes', async () => {
    const offline: string[] = [];
    t.app.pantau.events.on('host.offline', (e) => offline.push(`${e.name}:${e.reason}`));
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    agent.close();
    await agent.closed;
    await agent.until(() => offline.length > 0, 2_000, 'host.offline');
    expect(offline).toEqual(['web-1:closed']);
    expect(t.app.pantau.store.hosts.get(host.id)?.status).toBe('offline');
  });
});

describe('agent gateway: violations', () => {
  async function expectClose(
    send: (agent: RawAgent) => void,
    code: string,
    closeCode: number,
    message: RegExp,
    hello = true,
  ) {
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    if (hello) await agent.hello();
    send(agent);
    const closed = await agent.closed;
    const error = agent.frames.find((f) => f.t === 'error');
    expect(error).toMatchObject({ t: 'error', code });
    expect(error && 'message' in error ? error.message : '').toMatch(message);
    expect(closed.code).toBe(closeCode);
  }

  it('refuses bad JSON with INVALID_JSON and 4003', () =>
    expectClose((a) => a.send('{"t":'), 'INVALID_JSON', CloseCodes.INVALID_FRAME, /not valid JSON/));

  it('refuses an unknown kind, naming it', () =>
    expectClose((a) => a.send('{"t":"metrix"}'), 'UNKNOWN_FRAME', CloseCodes.INVALID_FRAME, /"metrix"/));

  it('refuses an invalid frame, naming the field', () =>
    expectClose(
      (a) =>
        a.send(JSON.stringify({ t: 'metrics', snapshot: { ...sampleSnapshot(1), cpu: { total: 'high' } } })),
      'INVALID_FRAME',
      CloseCodes.INVALID_FRAME,
      /snapshot\.cpu/,
    ));

  it('refuses an oversized frame with FRAME_TOO_LARGE', () =>
    expectClose(
      (a) =>
        a.send(
          JSON.stringify({
            t: 'job.output',
            jobId: 'j',
            stream: 'stdout',
            data: 'x'.repeat(Limits.frameBytes),
          }),
        ),
      'FRAME_TOO_LARGE',
      CloseCodes.INVALID_FRAME,
      /exceeds 1048576/,
    ));

  it('refuses binary frames', () =>
    expectClose(
      (a) => a.send(Buffer.from('{"t":"hello"}'), { binary: true }),
      'INVALID_FRAME',
      CloseCodes.INVALID_FRAME,
      /binary/,
      false,
    ));

  it('refuses a frame before hello with 4007', () =>
    expectClose(
      (a) => a.send({ t: 'metrics', snapshot: sampleSnapshot(1) }),
      'UNEXPECTED_FRAME',
      CloseCodes.PROTOCOL_VIOLATION,
      /expected hello first, got metrics/,
      false,
    ));

  it('refuses an unsupported protocol version with 4002', () =>
    expectClose(
      (a) => a.send(sampleHello({ protocol: 2 })),
      'UNSUPPORTED_PROTOCOL',
      CloseCodes.UNSUPPORTED_PROTOCOL,
      /speaks 1/,
      false,
    ));

  it('refuses a future hello that no longer matches v1 with UNSUPPORTED_PROTOCOL, not a schema error', () =>
    expectClose(
      (a) => a.send(JSON.stringify({ t: 'hello', protocol: 3, agent: { version: '3.0' } })),
      'UNSUPPORTED_PROTOCOL',
      CloseCodes.UNSUPPORTED_PROTOCOL,
      /protocol 3 is not supported/,
      false,
    ));

  it('closes an agent that sends faster than the rate limit with 4004', () =>
    expectClose(
      (a) => {
        for (let i = 1; i <= 200; i++) a.send({ t: 'metrics', snapshot: sampleSnapshot(i) });
      },
      'RATE_LIMITED',
      CloseCodes.RATE_LIMITED,
      /frames\/s/,
    ));

  it('closes a connection that never says hello (4007)', async () => {
    await t.close();
    t = await startTestApp({ gateway: { helloTimeout: 200 } });
    host = t.addHost('slow-1');
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCodes.PROTOCOL_VIOLATION);
    expect(agent.frames[0]).toMatchObject({
      t: 'error',
      code: 'UNEXPECTED_FRAME',
      message: 'no hello within 200 ms of connecting',
    });
  });

  it('answers 401 to a missing or wrong token, without a socket', async () => {
    expect(await upgradeStatus(t.wsUrl, null)).toBe(401);
    expect(await upgradeStatus(t.wsUrl, 'pag_wrong-token-wrong-token')).toBe(401);
    try {
      await RawAgent.connect(t.wsUrl, 'pag_nope-nope-nope');
    } catch (err) {
      expect(JSON.parse((err as { body: string }).body)).toEqual({
        error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/not valid/) },
      });
    }
  });

  it('closes a live connection at once when its token is revoked (4001), and refuses the old token', async () => {
    // On fake time that never moves, the close cannot wait for a heartbeat or any other timer.
    await t.close();
    t = await startTestApp({ gateway: { frameRate: 50, frameBurst: 100 } }, undefined, {
      time: new FakeTime(),
    });
    host = t.addHost('web-1');
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    const res = await fetch(`${t.url}/api/v1/hosts/${host.id}/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCodes.UNAUTHORIZED);
    expect(await upgradeStatus(t.wsUrl, host.token)).toBe(401);
    const fresh = await RawAgent.connect(t.wsUrl, token);
    await fresh.hello();
    fresh.close();
  });

  it('a newer connection replaces the older (4005) and the host stays online', async () => {
    const offline: string[] = [];
    t.app.pantau.events.on('host.offline', (e) => offline.push(e.reason));
    const first = await RawAgent.connect(t.wsUrl, host.token);
    await first.hello();
    const second = await RawAgent.connect(t.wsUrl, host.token);
    await second.hello();
    expect((await first.closed).code).toBe(CloseCodes.REPLACED);
    expect(first.frames.find((f) => f.t === 'error')).toMatchObject({ code: 'REPLACED' });
    second.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await second.waitAck(1);
    expect(offline).toEqual([]);
    expect(t.app.pantau.gateway.isOnline(host.id)).toBe(true);
    second.close();
  });

  it('one bad agent does not affect another', async () => {
    const other = t.addHost('web-2');
    const good = await RawAgent.connect(t.wsUrl, other.token);
    await good.hello();
    const bad = await RawAgent.connect(t.wsUrl, host.token);
    await bad.hello();
    good.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    bad.send('{"t": nonsense');
    bad.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    expect((await bad.closed).code).toBe(CloseCodes.INVALID_FRAME);
    good.send({ t: 'metrics', snapshot: sampleSnapshot(2) });
    await good.waitAck(2);
    expect(rawCount(other.id)).toBe(2);
    expect(good.ws.readyState).toBe(good.ws.OPEN);
    good.close();
  });
});

describe('agent gateway: snapshot numbering', () => {
  const FORGED = Number.MAX_SAFE_INTEGER;
  const forged = () => sampleSnapshot(FORGED, { ts: Date.now() });

  it('refuses a seq further ahead than the agent could have counted, and keeps the real numbering', async () => {
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello({ bootId: 'boot-aaaa' });
    agent.send({ t: 'metrics.batch', snapshots: [1, 2].map((s) => sampleSnapshot(s)) });
    await agent.waitAck(2);
    // Taken a second after seq 2 and received at once: 60 is the slack, 61 is past it.
    const justTaken = Date.now() - 1_000;
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(FORGED, { ts: justTaken }) });
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCodes.INVALID_FRAME);
    expect(closed.reason).toMatch(/seq 9007199254740991 jumps .* past the last stored \(2\)/);
    expect(t.app.pantau.store.hosts.get(host.id)?.lastSeq).toBe(2);

    const back = await RawAgent.connect(t.wsUrl, host.token);
    expect((await back.hello({ bootId: 'boot-aaaa' })).lastSeq).toBe(2);
    back.send({ t: 'metrics', snapshot: sampleSnapshot(3, { ts: Date.now() }) });
    await back.waitAck(3);
    back.send({ t: 'metrics', snapshot: sampleSnapshot(3 + 62, { ts: Date.now() }) });
    expect((await back.closed).reason).toMatch(/at most 60 snapshots/);
    expect(rawCount(host.id)).toBe(3);
  });

  it('a token rotation and a new agent process start a new numbering, so a forged seq never sticks', async () => {
    const forger = await RawAgent.connect(t.wsUrl, host.token);
    await forger.hello({ bootId: 'forger-1' });
    forger.send({ t: 'metrics', snapshot: forged() });
    await forger.waitAck(FORGED);

    // A new process of the real agent (another boot id) numbers from 1 again.
    const fresh = await RawAgent.connect(t.wsUrl, host.token);
    expect((await fresh.hello({ bootId: 'boot-bbbb' })).lastSeq).toBe(0);
    fresh.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await fresh.waitAck(1);
    fresh.close();

    // The forger comes back; the admin rotates the token; the same real process carries on.
    const again = await RawAgent.connect(t.wsUrl, host.token);
    await again.hello({ bootId: 'forger-2' });
    again.send({ t: 'metrics', snapshot: forged() });
    await again.waitAck(FORGED);
    const { token } = t.app.pantau.fleet.hosts.rotateToken(CLI_ACTOR, host.id);
    await again.closed;
    const real = await RawAgent.connect(t.wsUrl, token);
    expect((await real.hello({ bootId: 'boot-bbbb' })).lastSeq).toBe(0);
    real.send({ t: 'metrics', snapshot: sampleSnapshot(2) });
    await real.waitAck(2);
    expect(t.app.pantau.store.hosts.get(host.id)).toMatchObject({ status: 'online', lastSeq: 2 });
    real.close();
  });
});
