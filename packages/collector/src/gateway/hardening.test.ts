import { CloseCodes, Limits } from '@pantau/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { RawAgent, upgradeStatus } from '../../../../test/support/agent-client.ts';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { until } from '../../../../test/support/until.ts';
import type { AgentConnection } from './connection.ts';
import { heartbeatVerdict } from './gateway.ts';

// Gateway defects found by attacking main (issue 11).
let t: TestApp;
afterEach(async () => {
  await t.close();
});

describe('frames far beyond the payload limit', () => {
  it('get FRAME_TOO_LARGE and 4003 like any oversized frame, and the host keeps working', async () => {
    t = await startTestApp();
    const host = t.addHost('big-1');
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await agent.waitAck(1);
    agent.send('x'.repeat(Limits.frameBytes * 5));
    const closed = await agent.closed;
    expect(agent.frames.find((f) => f.t === 'error')).toMatchObject({
      t: 'error',
      code: 'FRAME_TOO_LARGE',
      message: expect.stringMatching(/exceeds/),
    });
    expect(closed.code).toBe(CloseCodes.INVALID_FRAME);
    expect(t.app.pantau.gateway.stats.framesRejected).toBeGreaterThanOrEqual(1);

    const again = await RawAgent.connect(t.wsUrl, host.token);
    expect((await again.hello()).lastSeq).toBe(1);
    again.send({ t: 'metrics', snapshot: sampleSnapshot(2) });
    await again.waitAck(2);
    again.close();
  });
});

describe('failed upgrades from one address', () => {
  it('never lock out a valid agent token from that address; failures get 429', async () => {
    t = await startTestApp({ gateway: { authFailuresPerMinute: 3 } });
    const host = t.addHost('nat-1');
    for (let i = 0; i < 3; i++) expect(await upgradeStatus(t.wsUrl, 'pag_attacker-guess-000000')).toBe(401);
    expect(await upgradeStatus(t.wsUrl, 'pag_attacker-guess-000000')).toBe(429);
    expect(await upgradeStatus(t.wsUrl, null)).toBe(429);
    const honest = await RawAgent.connect(t.wsUrl, host.token);
    await honest.hello();
    honest.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await honest.waitAck(1);
    honest.close();
    expect(await upgradeStatus(t.wsUrl, 'pag_attacker-guess-000000')).toBe(429);
  });
});

describe('a connection that goes silent', () => {
  it('is cut after gateway.silentAfter with nothing heard, reporting when it was last heard', async () => {
    const time = new FakeTime();
    t = await startTestApp({ gateway: { pingInterval: 100, silentAfter: 1_000 } }, undefined, { time });
    const { gateway } = t.app.pantau;
    const accepted = vi.spyOn(gateway, 'accept');
    const host = t.addHost('quiet-1');
    const offline: { reason: string; at: number; lastHeardAt?: number }[] = [];
    t.app.pantau.events.on('host.offline', (e) => offline.push(e));
    const agent = await RawAgent.connect(t.wsUrl, host.token);
    await agent.hello();
    const conn = accepted.mock.results[0]!.value as AgentConnection;
    agent.send({ t: 'metrics', snapshot: sampleSnapshot(1) });
    await until('the snapshot queued', () => gateway.ingestQueue.depth === 1);
    time.advance(t.app.pantau.config.store.flushInterval);
    await agent.waitAck(1);
    // Pongs flow while the socket is read: no cut for twice silentAfter.
    for (let i = 0; i < 20; i++) {
      time.advance(100);
      await until('the pong to this ping', () => conn.lastPongAt === time.now());
    }
    expect(offline).toEqual([]);
    const quietFrom = time.now();
    agent.ws.pause();
    // Nothing is read now, so no pong can arrive: the heartbeats alone decide.
    const cut = vi.spyOn(conn, 'terminate');
    while (cut.mock.calls.length === 0 && time.now() - quietFrom < 5_000) time.advance(100);
    await until('host.offline', () => offline.length > 0);
    expect(offline).toMatchObject([{ reason: 'silent' }]);
    const [event] = offline;
    expect(event!.at - event!.lastHeardAt!).toBeGreaterThanOrEqual(1_000);
    expect(event!.at - quietFrom).toBeLessThan(2_000);
    expect(Math.abs(event!.lastHeardAt! - quietFrom)).toBeLessThan(300);
    agent.ws.terminate();
  });
});

describe('pings', () => {
  const o = { stalled: false, pingInterval: 1_000, silentAfter: 8_000 };
  const conn = (lastFrameAt: number, intervalMs = 1_000) => ({
    state: 'ready',
    lastHeardAt: lastFrameAt,
    lastFrameAt,
    intervalMs,
  });

  it('are not sent to an agent whose frames arrive every interval, even a little late', () => {
    expect(heartbeatVerdict(conn(10_000), 10_999, o)).toBe('none');
    // A 1 Hz frame 50 ms late on a busy machine.
    expect(heartbeatVerdict(conn(10_000), 11_050, o)).toBe('none');
    expect(heartbeatVerdict(conn(10_000), 11_999, o)).toBe('none');
  });

  it('are sent once a frame is a whole ping interval overdue, and after a stall of this process', () => {
    expect(heartbeatVerdict(conn(10_000), 12_000, o)).toBe('ping');
    expect(heartbeatVerdict(conn(10_000, 500), 11_500, o)).toBe('ping');
    expect(heartbeatVerdict(conn(10_000), 10_100, { ...o, stalled: true })).toBe('ping');
  });

  it('are sent to an agent that sends less often, two ping intervals after its last frame', () => {
    expect(heartbeatVerdict(conn(10_000, 60_000), 11_999, o)).toBe('none');
    expect(heartbeatVerdict(conn(10_000, 60_000), 12_000, o)).toBe('ping');
  });
});
