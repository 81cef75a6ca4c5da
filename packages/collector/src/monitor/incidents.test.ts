import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migration as incidentsMigration } from '../store/migrations/200-incidents.ts';
import { migration as numericHostIds } from '../store/migrations/201-numeric-host-ids.ts';
import { migration as incidentFlapping } from '../store/migrations/210-incident-flapping.ts';
import { migration as silenceHostPatterns } from '../store/migrations/215-silence-host-patterns.ts';
import { IncidentManager, type Notice } from './incidents.ts';
import { DEFAULT_POLICY, type NotifyPolicy } from './policy.ts';
import type { HostRef, ProblemSignal } from './signals.ts';
import { Silences } from './silences.ts';

const web1: HostRef = { id: 1, name: 'web-1', labels: { role: 'web' } };
const db1: HostRef = { id: 2, name: 'db-1', labels: { role: 'db' } };
const hosts = new Map([web1, db1].map((h) => [h.id, h]));

const down = (host: HostRef, at: number, firing = true): ProblemSignal => ({
  type: 'problem',
  key: `host:${host.id}`,
  kind: 'host_down',
  hostId: host.id,
  ruleId: 'host-down',
  firing,
  severity: 'critical',
  title: `${host.name} is ${firing ? 'down' : 'up'}`,
  detail: '',
  at,
});

describe('IncidentManager', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let notices: Notice[];
  let policy: NotifyPolicy;

  const open = (database = db) => {
    const silences = new Silences(database);
    const manager = new IncidentManager({
      db: database,
      silences,
      host: (id) => hosts.get(id),
      policy: () => policy,
      notify: (notice) => notices.push(notice),
    });
    return { manager, silences };
  };
  const types = () => notices.map((n) => `${n.type}:${n.incident.id}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantau-incidents-'));
    file = join(dir, 'pantau.db');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    incidentsMigration.up(db);
    numericHostIds.up(db);
    incidentFlapping.up(db);
    silenceHostPatterns.up(db);
    notices = [];
    policy = { ...DEFAULT_POLICY };
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens once, reminds every repeat interval, and recovers once', () => {
    const { manager } = open();
    manager.apply([down(web1, 1_000)], 6_000);
    manager.apply([down(web1, 1_000)], 7_000);
    expect(types()).toEqual(['opened:1']);
    manager.tick(15_999);
    expect(types()).toEqual(['opened:1']);
    manager.tick(16_000);
    manager.tick(26_000);
    expect(types()).toEqual(['opened:1', 'reminder:1', 'reminder:1']);
    manager.apply([down(web1, 30_000, false)], 30_000);
    expect(types()).toEqual(['opened:1', 'reminder:1', 'reminder:1', 'recovered:1']);
    expect(manager.get(1)).toMatchObject({
      status: 'resolved',
      openedAt: 1_000,
      resolvedAt: 30_000,
      resolvedBy: 'auto',
      notified: 4,
    });
    manager.tick(100_000);
    expect(notices).toHaveLength(4);
  });

  it('counts only notices that reached someone: no recipients, notified 0 and no recovery', () => {
    const silences = new Silences(db);
    const manager = new IncidentManager({
      db,
      silences,
      host: (id) => hosts.get(id),
      policy: () => policy,
      notify: (notice) => {
        notices.push(notice);
        return 0;
      },
    });
    manager.apply([down(web1, 1_000)], 1_000);
    manager.tick(11_000);
    expect(manager.get(1)).toMatchObject({ status: 'open', notified: 0 });
    manager.apply([down(web1, 12_000, false)], 12_000);
    expect(manager.get(1)).toMatchObject({ status: 'resolved', notified: 0 });
    expect(types()).toEqual(['opened:1', 'reminder:1']);
  });

  it('backs off reminders up to the maximum', () => {
    policy = { ...DEFAULT_POLICY, repeatMs: 10_000, backoff: 2, maxRepeatMs: 30_000 };
    const { manager } = open();
    manager.apply([down(web1, 0)], 0);
    const at: number[] = [];
    for (let t = 0; t <= 120_000; t += 1_000) {
      const before = notices.length;
      manager.tick(t);
      if (notices.length > before) at.push(t);
    }
    expect(at).toEqual([10_000, 30_000, 60_000, 90_000, 120_000]);
  });

  it('stops reminders when acknowledged, tells everyone who took it, still sends recovery', () => {
    const { manager } = open();
    manager.apply([down(web1, 0)], 0);
    const incident = manager.acknowledge(1, 'alice', 5_000);
    expect(incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'alice',
      acknowledgedAt: 5_000,
    });
    expect(manager.acknowledge(1, 'bob', 6_000).acknowledgedBy).toBe('alice');
    manager.tick(60_000);
    manager.apply([down(web1, 70_000, false)], 70_000);
    expect(types()).toEqual(['opened:1', 'acknowledged:1', 'recovered:1']);
    expect(() => manager.acknowledge(1, 'bob', 80_000)).toThrow(/already resolved/);
    expect(() => manager.acknowledge(99, 'bob', 80_000)).toThrow(/not found/);
  });

  it('keeps problems apart: one incident per key', () => {
    const { manager } = open();
    manager.apply([down(web1, 0), down(db1, 0)], 0);
    expect(manager.list({ status: 'active' }).map((i) => i.hostId)).toEqual([2, 1]);
    manager.apply([down(db1, 5, false)], 5);
    expect(manager.list({ status: 'open' }).map((i) => i.hostId)).toEqual([1]);
    expect(manager.list({ status: 'resolved', hostId: 2 })).toHaveLength(1);
  });

  it('resumes after a restart: no second "opened", reminders go on', () => {
    const first = open();
    first.manager.apply([down(web1, 0)], 0);
    db.close();
    db = new Database(file);
    const second = open(db);
    expect(second.manager.unresolved().map((i) => i.key)).toEqual(['host:1']);
    second.manager.apply([down(web1, 0)], 12_000);
    second.manager.tick(12_000);
    expect(types()).toEqual(['opened:1', 'reminder:1']);
  });

  it('silences and maintenance hold back notifications but not detection, and count what they held', () => {
    const { manager, silences } = open();
    const maintenance = silences.create(
      {
        kind: 'maintenance',
        label: { key: 'role', value: 'web' },
        startsAt: 0,
        endsAt: 20_000,
        createdBy: 'admin',
        reason: 'kernel update',
      },
      0,
    );
    manager.apply([down(web1, 1_000), down(db1, 1_000)], 1_000);
    manager.tick(11_000);
    expect(types()).toEqual(['opened:2', 'reminder:2']);
    expect(manager.get(1)).toMatchObject({ status: 'open', notified: 0, suppressed: 2 });
    expect(silences.get(maintenance.id)?.suppressed).toBe(2);
    expect(manager.events(1).filter((e) => e.type === 'suppressed')).toHaveLength(2);
    manager.tick(21_000);
    expect(types()).toContain('reminder:1');
  });

  it('tells whoever heard of a problem that it recovered, even when it was silenced since', () => {
    const { manager, silences } = open();
    manager.apply([down(web1, 0)], 0);
    manager.tick(10_000);
    manager.tick(20_000);
    silences.create(
      { kind: 'silence', incidentId: 1, startsAt: 21_000, endsAt: 3_621_000, createdBy: 'admin' },
      21_000,
    );
    manager.tick(30_000);
    manager.apply([down(web1, 35_000, false)], 35_000);
    expect(types()).toEqual(['opened:1', 'reminder:1', 'reminder:1', 'recovered:1']);
    expect(manager.events(1).map((e) => e.type)).toContain('notified:recovered');
  });

  it('a problem that was never told recovers silently', () => {
    const { manager, silences } = open();
    silences.create({ kind: 'silence', hostId: 1, startsAt: 0, endsAt: 3_600_000, createdBy: 'admin' }, 0);
    manager.apply([down(web1, 0)], 0);
    manager.apply([down(web1, 5_000, false)], 5_000);
    expect(notices).toEqual([]);
    expect(manager.get(1)?.status).toBe('resolved');
  });

  it('damps flapping: one incident that resolves whenever the problem clears and reopens quietly', () => {
    policy = { ...DEFAULT_POLICY, flapOpenings: 3, flapWindowMs: 60_000 };
    const { manager } = open();
    const bounce = (at: number) => {
      manager.apply([down(web1, at)], at);
      manager.apply([down(web1, at + 1_000, false)], at + 1_000);
    };
    bounce(0);
    bounce(2_000);
    bounce(4_000);
    expect(types()).toEqual([
      'opened:1',
      'recovered:1',
      'opened:2',
      'recovered:2',
      'opened:3',
      'recovered:3',
    ]);
    expect(manager.get(3)).toMatchObject({ status: 'resolved', flappingSince: 5_000 });

    // Back within the window: the same incident, reopened without a message, resolved with the host.
    manager.apply([down(web1, 6_000)], 6_000);
    expect(manager.list({ status: 'active' }).map((i) => i.id)).toEqual([3]);
    manager.apply([down(web1, 7_000, false)], 7_000);
    expect(manager.list({ status: 'active' })).toEqual([]);
    expect(types()).toHaveLength(6);

    // Down for longer than a repeat: a reminder, then the recovery it owes.
    manager.apply([down(web1, 8_000)], 8_000);
    manager.tick(18_000);
    manager.apply([down(web1, 19_000, false)], 19_000);
    expect(types().slice(6)).toEqual(['reminder:3', 'recovered:3']);
    expect(manager.events(3).map((e) => e.type)).toContain('flapped');

    // After the window a failure is a new incident again.
    manager.apply([down(web1, 80_000)], 80_000);
    expect(types().at(-1)).toBe('opened:4');
  });

  it('records change events as resolved incidents and tells them once', () => {
    const { manager } = open();
    manager.apply(
      [
        {
          type: 'change',
          key: 'change:1:reboot:1',
          kind: 'reboot',
          hostId: 1,
          severity: 'warning',
          title: 'web-1 rebooted',
          detail: '',
          at: 1,
        },
      ],
      2,
    );
    expect(types()).toEqual(['change:1']);
    expect(manager.get(1)).toMatchObject({ kind: 'change', status: 'resolved' });
    manager.tick(100_000);
    expect(notices).toHaveLength(1);
  });

  it('manual resolve sends recovery and refuses twice', () => {
    const { manager } = open();
    manager.apply([down(web1, 0)], 0);
    expect(manager.resolve(1, 'alice', 1_000)).toMatchObject({ status: 'resolved', resolvedBy: 'alice' });
    expect(() => manager.resolve(1, 'alice', 1_000)).toThrow(/already resolved/);
    expect(types()).toEqual(['opened:1', 'recovered:1']);
  });

  it('paginates newest first', () => {
    const { manager } = open();
    for (let i = 0; i < 5; i++) manager.apply([{ ...down(web1, i), key: `k${i}` }], i);
    const page1 = manager.list({ limit: 2 });
    const page2 = manager.list({ limit: 2, before: page1.at(-1)!.id });
    expect(page1.map((i) => i.id)).toEqual([5, 4]);
    expect(page2.map((i) => i.id)).toEqual([3, 2]);
  });
});
