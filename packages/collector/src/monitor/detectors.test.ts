import type { Port } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { type ChangeRulesInput, resolveChangeRules } from './change-rules.ts';
import { Changes } from './changes.ts';
import { CheckStreaks } from './checks.ts';
import { HostLiveness } from './liveness.ts';
import { globMatch, resolveThresholdRule, selects } from './rules.ts';
import type { HostRef, ProblemSignal, Signal } from './signals.ts';
import { Thresholds } from './thresholds.ts';

const web1: HostRef = { id: 1, name: 'web-1', labels: { role: 'web', env: 'prod' } };
const db1: HostRef = { id: 2, name: 'db-1', labels: { role: 'db' } };
const problems = (signals: Signal[]) => signals.filter((s): s is ProblemSignal => s.type === 'problem');

describe('HostLiveness', () => {
  const options = { graceMs: 5_000, silentIntervals: 3 };

  it('reports a host down only after the grace period, dated from the disconnect', () => {
    const live = new HostLiveness(options);
    live.connected(web1, 0, 5_000);
    live.disconnected(1, 10_000);
    expect(live.tick(14_999)).toEqual([]);
    const [down] = problems(live.tick(15_000));
    expect(down).toMatchObject({
      key: 'host:1',
      firing: true,
      kind: 'host_down',
      at: 10_000,
      title: 'web-1 is down',
    });
    expect(live.tick(20_000)).toEqual([]);
    expect(live.isDown(1)).toBe(true);
  });

  it('dates the grace of a connection cut for silence from when the host was last heard', () => {
    const live = new HostLiveness(options);
    live.connected(web1, 0, 5_000);
    live.disconnected(1, 18_000, 10_000);
    const [down] = problems(live.tick(18_000));
    expect(down).toMatchObject({ firing: true, at: 10_000 });
  });

  it('a reconnect within the grace period is no outage', () => {
    const live = new HostLiveness(options);
    live.connected(web1, 0, 5_000);
    live.disconnected(1, 10_000);
    expect(live.connected(web1, 12_000, 5_000)).toEqual([]);
    expect(live.tick(16_000)).toEqual([]);
  });

  it('clears the problem when the agent comes back, with no second "agent is back" message', () => {
    const live = new HostLiveness(options);
    live.connected(web1, 0, 5_000);
    live.disconnected(1, 10_000);
    live.tick(16_000);
    const signals = live.connected(web1, 40_000, 5_000);
    expect(signals).toEqual([
      expect.objectContaining({ type: 'problem', key: 'host:1', firing: false, at: 40_000 }),
    ]);
  });

  it('reports the gap of a reconnect that was never a down host', () => {
    const live = new HostLiveness({ ...options, gapMs: 2_000 });
    live.connected(web1, 0, 5_000);
    live.disconnected(1, 10_000);
    expect(live.connected(web1, 13_000, 5_000)).toEqual([
      expect.objectContaining({ type: 'change', kind: 'agent_back', title: 'web-1: agent is back after 3s' }),
    ]);
  });

  it('notices a silent connection after three intervals without frames', () => {
    const live = new HostLiveness(options);
    live.connected(web1, 0, 1_000);
    live.seen(1, 1_000);
    expect(live.tick(4_000)).toEqual([]);
    const [down] = problems(live.tick(4_001));
    expect(down).toMatchObject({ firing: true, at: 1_000 });
    expect(down?.detail).toMatch(/connection silent/);
    expect(problems(live.seen(1, 6_000))).toMatchObject([{ firing: false }]);
  });

  it('expects hosts that were online before a restart, without repeating a known outage', () => {
    const live = new HostLiveness(options);
    live.expect(web1, 0, 5_000);
    live.expect(db1, 0, 5_000, { down: true });
    expect(problems(live.tick(5_000)).map((s) => s.hostId)).toEqual([1]);
  });

  it('gives hosts expected back after a restart their own, longer grace', () => {
    const live = new HostLiveness(options);
    live.expect(web1, 0, 5_000, { graceMs: 15_000 });
    expect(live.tick(14_999)).toEqual([]);
    expect(problems(live.tick(15_000))).toMatchObject([{ firing: true, at: 0 }]);
  });

  it('reports an agent version change', () => {
    const live = new HostLiveness(options);
    const [change] = live.connected(web1, 0, 5_000, '0.2.0', '0.1.0');
    expect(change).toMatchObject({
      type: 'change',
      kind: 'agent_version',
      title: 'web-1: agent 0.1.0 → 0.2.0',
    });
  });
});

describe('CheckStreaks', () => {
  const ok = (name: string) => ({
    name,
    kind: 'tcp' as const,
    target: `127.0.0.1:${name}`,
    ok: true,
    latencyMs: 1,
  });
  const bad = (name: string) => ({ ...ok(name), ok: false, error: 'connect ECONNREFUSED' });

  it('opens after N failures in a row, dated from the first, and only for the failing backend', () => {
    const streaks = new CheckStreaks(2);
    expect(streaks.observe(web1, [bad('8080'), ok('8081')], 1_000)).toEqual([]);
    const [down] = problems(streaks.observe(web1, [bad('8080'), ok('8081')], 3_000));
    expect(down).toMatchObject({
      key: 'check:1:8080',
      firing: true,
      at: 1_000,
      value: 'connect ECONNREFUSED',
    });
    expect(streaks.observe(web1, [bad('8080'), ok('8081')], 5_000)).toEqual([]);
  });

  it('a single failure between successes opens nothing', () => {
    const streaks = new CheckStreaks(2);
    streaks.observe(web1, [bad('8080')], 1_000);
    streaks.observe(web1, [ok('8080')], 2_000);
    expect(streaks.observe(web1, [bad('8080')], 3_000)).toEqual([]);
  });

  it('both backends down open both problems; recovery clears each', () => {
    const streaks = new CheckStreaks(2);
    streaks.observe(web1, [bad('8080'), bad('8081')], 1_000);
    expect(problems(streaks.observe(web1, [bad('8080'), bad('8081')], 2_000)).map((s) => s.key)).toEqual([
      'check:1:8080',
      'check:1:8081',
    ]);
    expect(problems(streaks.observe(web1, [ok('8080'), bad('8081')], 3_000))).toMatchObject([
      { key: 'check:1:8080', firing: false },
    ]);
  });

  it('resumes an open problem after a restart so the next success clears it', () => {
    const streaks = new CheckStreaks(2);
    streaks.resume('check:1:8080', 500);
    expect(problems(streaks.observe(web1, [bad('8080')], 1_000))).toEqual([]);
    expect(problems(streaks.observe(web1, [ok('8080')], 2_000))).toMatchObject([{ firing: false }]);
  });
});

describe('Thresholds', () => {
  const disk = resolveThresholdRule({
    id: 'disk-full',
    metric: 'disk',
    above: 90,
    for: '1m',
    severity: 'critical',
  });
  const cpu = resolveThresholdRule({
    id: 'cpu',
    metric: 'cpu',
    above: 80,
    for: '10s',
    labels: { role: 'web' },
  });
  const withDisk = (usedPct: number) =>
    sampleSnapshot(1, {
      disks: [
        {
          mount: '/',
          device: '/dev/vda1',
          fstype: 'ext4',
          size: 100,
          used: usedPct,
          free: 100 - usedPct,
          usedPct,
        },
      ],
    });

  it('fires only after the value stayed above the limit for the duration', () => {
    const t = new Thresholds([disk]);
    expect(t.observe(web1, withDisk(95), 0)).toEqual([]);
    expect(t.observe(web1, withDisk(96), 59_999)).toEqual([]);
    const [fired] = problems(t.observe(web1, withDisk(97), 60_000));
    expect(fired).toMatchObject({
      key: 'threshold:disk-full:1:/',
      firing: true,
      at: 0,
      value: '97.0%',
      severity: 'critical',
    });
    expect(t.observe(web1, withDisk(97), 70_000)).toEqual([]);
    expect(problems(t.observe(web1, withDisk(50), 80_000))).toMatchObject([
      { firing: false, value: '50.0%' },
    ]);
  });

  it('a dip below the limit restarts the duration', () => {
    const t = new Thresholds([disk]);
    t.observe(web1, withDisk(95), 0);
    t.observe(web1, withDisk(80), 30_000);
    t.observe(web1, withDisk(95), 40_000);
    expect(t.observe(web1, withDisk(95), 70_000)).toEqual([]);
    expect(problems(t.observe(web1, withDisk(95), 100_000))).toHaveLength(1);
  });

  it('selects hosts by label and ignores snapshots without the metric', () => {
    const t = new Thresholds([cpu, disk]);
    const busy = sampleSnapshot(1, {
      cpu: { total: 99, user: 90, system: 9, iowait: 0, steal: 0, cores: [99, 99] },
    });
    t.observe(db1, busy, 0);
    expect(t.observe(db1, busy, 20_000)).toEqual([]);
    t.observe(web1, busy, 0);
    expect(problems(t.observe(web1, busy, 20_000)).map((s) => s.ruleId)).toEqual(['cpu']);
  });

  it('clears problems of rules that were removed', () => {
    const t = new Thresholds([disk]);
    t.observe(web1, withDisk(95), 0);
    t.observe(web1, withDisk(95), 60_000);
    const cleared = t.setRules([], 70_000, new Map([[web1.id, web1]]));
    expect(problems(cleared)).toMatchObject([{ key: 'threshold:disk-full:1:/', firing: false }]);
  });
});

describe('rule selectors', () => {
  it.each([
    ['web-*', 'web-1', true],
    ['web-*', 'db-1', false],
    ['*', 'anything', true],
    ['a.b', 'axb', false],
    ['db-?', 'db-?', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(globMatch(pattern, name)).toBe(expected);
  });

  it('needs every label', () => {
    expect(selects({ hosts: [], labels: { role: 'web', env: 'prod' } }, web1)).toBe(true);
    expect(selects({ hosts: [], labels: { role: 'web', env: 'dev' } }, web1)).toBe(false);
    expect(selects({ hosts: ['db-*'], labels: {} }, web1)).toBe(false);
  });
});

describe('Changes', () => {
  const port = (p: number, extra: Partial<Port> = {}): Port => ({
    proto: 'tcp' as const,
    address: '0.0.0.0',
    port: p,
    pid: 10,
    process: 'nginx',
    ...extra,
  });
  const changes = (input: ChangeRulesInput = {}, ephemeral?: { low: number; high: number }) =>
    new Changes({ rules: resolveChangeRules(input), ephemeralPorts: () => ephemeral });
  /** Two port snapshots with the same ports: a port still there at the second is news. */
  const twice = (c: Changes, host: HostRef, ports: Port[], seq: number, at: number) => [
    ...c.observe(host, sampleSnapshot(seq, { ports }), at),
    ...c.observe(host, sampleSnapshot(seq + 1, { ports }), at + 15_000),
  ];

  it('takes the first snapshot as baseline, then reports a new port once it lasts a second port snapshot', () => {
    const c = changes();
    expect(c.observe(web1, sampleSnapshot(1, { ports: [port(22)] }), 0)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(2), 1)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(3, { ports: [port(22), port(8080)] }), 2)).toEqual([]);
    const [change] = c.observe(web1, sampleSnapshot(4, { ports: [port(22), port(8080)] }), 3);
    expect(change).toMatchObject({
      kind: 'new_port',
      severity: 'warning',
      title: 'web-1: new listening port tcp/8080',
    });
    expect(c.observe(web1, sampleSnapshot(5, { ports: [port(22), port(8080)] }), 4)).toEqual([]);
  });

  it('a port that opens and closes within one interval is not news', () => {
    const c = changes();
    c.observe(web1, sampleSnapshot(1, { ports: [port(22)] }), 0);
    expect(c.observe(web1, sampleSnapshot(2, { ports: [port(22), port(9000)] }), 15_000)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(3, { ports: [port(22)] }), 30_000)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(4, { ports: [port(22), port(9001)] }), 45_000)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(5, { ports: [port(22), port(9001)] }), 60_000)).toHaveLength(1);
  });

  it('ignores loopback-only and ephemeral ports by default, and reports them when told not to', () => {
    const c = changes();
    c.observe(web1, sampleSnapshot(1, { ports: [] }), 0);
    const busy = [
      port(8125, { address: '127.0.0.1' }),
      port(8126, { proto: 'tcp6', address: '::1' }),
      port(40_001),
      port(9090, { address: '127.0.0.1' }),
      port(9090, { address: '0.0.0.0' }),
    ];
    expect(twice(c, web1, busy, 2, 15_000).map((s) => s.title)).toEqual([
      'web-1: new listening port tcp/9090',
    ]);

    const all = changes({ new_port: { ignoreLoopback: false, ignoreEphemeral: false } });
    all.observe(web1, sampleSnapshot(1, { ports: [] }), 0);
    expect(twice(all, web1, busy, 2, 15_000)).toHaveLength(4);
  });

  it('takes the ephemeral range the agent sent', () => {
    const c = changes({}, { low: 20_000, high: 30_000 });
    c.observe(web1, sampleSnapshot(1, { ports: [] }), 0);
    expect(twice(c, web1, [port(25_000), port(40_001)], 2, 15_000).map((s) => s.title)).toEqual([
      'web-1: new listening port tcp/40001',
    ]);
  });

  it('ignores ports and programs per host', () => {
    const c = changes({
      new_port: { ignore: [{ hosts: ['web-*'], ports: [8080], processes: ['node'] }] },
    });
    const ports = [port(8080), port(3000, { process: 'node' }), port(5432, { process: 'postgres' })];
    for (const host of [web1, db1]) c.observe(host, sampleSnapshot(1, { ports: [] }), 0);
    expect(twice(c, web1, ports, 2, 15_000).map((s) => s.title)).toEqual([
      'web-1: new listening port tcp/5432',
    ]);
    expect(twice(c, db1, ports, 2, 15_000)).toHaveLength(3);
  });

  it('has the controls of every rule: off, which hosts, severity', () => {
    const off = changes({ new_port: { enabled: false }, reboot: { enabled: false } });
    off.observe(web1, sampleSnapshot(1, { ports: [], uptime: 5_000 }), 0);
    expect(twice(off, web1, [port(8080)], 2, 15_000)).toEqual([]);
    expect(off.observe(web1, sampleSnapshot(4, { uptime: 3 }), 40_000)).toEqual([]);

    const some = changes({ new_port: { hosts: ['db-*'], severity: 'info' } });
    for (const host of [web1, db1]) some.observe(host, sampleSnapshot(1, { ports: [] }), 0);
    expect(twice(some, web1, [port(8080)], 2, 15_000)).toEqual([]);
    expect(twice(some, db1, [port(8080)], 2, 15_000)).toMatchObject([{ hostId: 2, severity: 'info' }]);
  });

  it('does not call a port new when it comes back within the window after a service restart', () => {
    const c = changes();
    const min = 60_000;
    c.observe(web1, sampleSnapshot(1, { ports: [port(22), port(8080)] }), 0);
    expect(c.observe(web1, sampleSnapshot(2, { ports: [port(22)] }), 15_000)).toEqual([]);
    expect(twice(c, web1, [port(22), port(8080)], 3, 30_000)).toEqual([]);
    // Gone for longer than the window (10 min by default): back is new again.
    c.observe(web1, sampleSnapshot(5, { ports: [port(22)] }), 60_000);
    expect(c.observe(web1, sampleSnapshot(6, { ports: [port(22)] }), 11 * min)).toEqual([]);
    expect(twice(c, web1, [port(22), port(8080)], 7, 12 * min)).toMatchObject([
      { kind: 'new_port', title: 'web-1: new listening port tcp/8080' },
    ]);
  });

  it('reports a reboot when uptime goes back', () => {
    const c = changes();
    c.observe(web1, sampleSnapshot(1, { uptime: 5_000 }), 0);
    expect(c.observe(web1, sampleSnapshot(2, { uptime: 5_005 }), 1)).toEqual([]);
    expect(c.observe(web1, sampleSnapshot(3, { uptime: 12 }), 2)).toMatchObject([
      { kind: 'reboot', title: 'web-1 rebooted' },
    ]);
  });
});
