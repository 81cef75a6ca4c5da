import { afterEach, describe, expect, it } from 'vitest';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { FakeCollector } from './support/fake-collector.ts';
import { until } from './support/until.ts';

/**
 * How many failed reconnects the collector's outage lasts in the no-loss test: enough for the
 * backoff to reach its 2 s cap and for a backlog of well over ten snapshots (about 20 s).
 */
const OUTAGE_RECONNECTS = Number(process.env.PANTAU_TEST_OUTAGE_RECONNECTS ?? 20);

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function setup(
  options: ConstructorParameters<typeof FakeCollector>[0] = {},
  extra: Record<string, unknown> = {},
) {
  const collector = new FakeCollector({ token: 'test-token', ...options });
  await collector.start();
  cleanup.push(() => collector.stop());
  const agent = new AgentProcess(testConfig([collector.url], extra));
  cleanup.push(() => agent.stop());
  return { collector, agent };
}

function expectContiguous(seqs: number[], from: number): void {
  const expected = Array.from({ length: seqs.length }, (_, i) => from + i);
  expect(seqs).toEqual(expected);
}

describe('agent streaming (real agent process, fake collector)', () => {
  it('says hello, waits for welcome, and streams numbered snapshots from 1', async () => {
    const { collector, agent } = await setup();
    await collector.waitFor('3 snapshots', () => collector.stored.length >= 3);
    expect(collector.invalid).toEqual([]);
    const hello = collector.hellos[0];
    expect(hello?.protocol).toBe(1);
    expect(hello?.intervalMs).toBe(1000);
    expect(hello?.system.cores).toBeGreaterThan(0);
    expect(hello?.actions.map((a) => a.name).sort()).toEqual([
      'disk-usage',
      'ping',
      'service-status',
      'uptime',
    ]);
    expect(hello?.actions.every((a) => a.dangerous === false)).toBe(true);
    expect(collector.frames[0]?.t).toBe('hello');
    expectContiguous(
      collector.stored.map((s) => s.seq),
      1,
    );
    // The first snapshot carries every heavy part; later ones only when their cadence is due.
    const first = collector.stored[0];
    expect(first?.system?.hostname).toBeTruthy();
    expect(first?.processes?.count).toBeGreaterThan(0);
    expect(first?.disks?.length).toBeGreaterThan(0);
    expect(first?.ports).toBeDefined();
    expect(collector.stored[1]?.processes).toBeUndefined();
    expect(agent.logged('welcomed by the collector')).toHaveLength(1);
  });

  it(`loses and duplicates nothing when the collector is down for ${OUTAGE_RECONNECTS} reconnect attempts`, async () => {
    const { collector, agent } = await setup();
    await collector.waitFor('3 snapshots', () => collector.stored.length >= 3);
    await collector.stop();
    const downAt = Date.now();
    const failedBefore = agent.logged('could not connect to the collector').length;
    await until(
      `${OUTAGE_RECONNECTS} failed reconnects`,
      () => agent.logged('could not connect to the collector').length >= failedBefore + OUTAGE_RECONNECTS,
      120_000,
    );
    await collector.start();
    const downS = Math.floor((Date.now() - downAt) / 1000);
    const expectedAtLeast = downS + 3;
    await collector.waitFor(`seq ${expectedAtLeast}`, () => collector.committed >= expectedAtLeast, 20_000);
    await collector.waitFor(
      'two more live snapshots',
      () => collector.committed >= expectedAtLeast + 2,
      10_000,
    );

    expect(collector.invalid).toEqual([]);
    // Every sequence number exactly once, in order, with no gap.
    expectContiguous(collector.arrivals, 1);
    expectContiguous(
      collector.stored.map((s) => s.seq),
      1,
    );
    // The backlog came back as batches, oldest first, and nothing was dropped.
    expect(collector.batches).toBeGreaterThanOrEqual(1);
    const batch = collector.framesOf('metrics.batch')[0];
    expect(batch?.snapshots.length).toBeGreaterThanOrEqual(downS - 2);
    expect(collector.stored.every((s) => s.dropped === 0)).toBe(true);
    expect(collector.connections).toBe(2);
    expect(agent.logged('disconnected from the collector').length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('drops what welcome.lastSeq says is stored and renumbers a fresh process above it', async () => {
    const { collector } = await setup({ lastSeq: 1000 });
    await collector.waitFor('3 snapshots', () => collector.stored.length >= 3);
    expect(collector.stored[0]?.seq).toBe(1001);
    expectContiguous(collector.arrivals, 1001);
  });

  it('applies the interval the collector pushes in welcome', async () => {
    const { collector, agent } = await setup({ settings: { intervalMs: 2_000 } });
    await collector.waitFor('3 snapshots', () => collector.stored.length >= 3);
    // Ticks sit on a fixed grid, so one tick delayed by a busy machine shortens the next gap;
    // the mean over two gaps still tells 2 s from the configured 1 s.
    const [a, b, c] = collector.stored.map((s) => s.ts);
    expect(((c ?? 0) - (a ?? 0)) / 2).toBeGreaterThanOrEqual(1_800);
    expect(Math.min((b ?? 0) - (a ?? 0), (c ?? 0) - (b ?? 0))).toBeGreaterThan(1_400);
    expect(agent.logged('collector set the interval')).toHaveLength(1);
  });

  it('keeps the outbox bounded and reports what it dropped', async () => {
    const collector = new FakeCollector({ token: 'test-token' });
    await collector.start();
    const url = collector.url;
    await collector.stop();
    const agent = new AgentProcess(testConfig([url], { outbox: { max: 3 } }));
    cleanup.push(() => agent.stop());
    await agent.waitForLog('outbox full: dropping the oldest snapshots');
    await collector.start();
    cleanup.push(() => collector.stop());
    await collector.waitFor('snapshots', () => collector.stored.length >= 4);
    const firstSeq = collector.stored[0]?.seq ?? 0;
    expect(firstSeq).toBeGreaterThan(1);
    // `dropped` counts every drop since the start; all of them happened before the reconnect.
    expect(collector.stored.at(-1)?.dropped).toBe(firstSeq - 1);
    expectContiguous(collector.arrivals, firstSeq);
    // Said once for the whole overflow, not once per dropped snapshot.
    expect(agent.logged('outbox full')).toHaveLength(1);
  });
});
