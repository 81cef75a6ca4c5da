import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { migration as incidentsMigration } from '../store/migrations/200-incidents.ts';
import { migration as numericHostIds } from '../store/migrations/201-numeric-host-ids.ts';
import { migration as incidentFlapping } from '../store/migrations/210-incident-flapping.ts';
import { migration as silenceHostPatterns } from '../store/migrations/215-silence-host-patterns.ts';
import { resolveMonitorConfig } from './config.ts';
import type { Notice } from './incidents.ts';
import { Monitor } from './service.ts';
import type { HostRef } from './signals.ts';

const web1: HostRef = { id: 1, name: 'web-1', labels: {} };

describe('Monitor', () => {
  let dir: string;
  let db: Database.Database;
  let now: number;
  let notices: Notice[];

  const monitor = (input = {}) =>
    new Monitor({
      db,
      config: resolveMonitorConfig(input),
      host: (id) => (id === web1.id ? web1 : undefined),
      notify: (n) => notices.push(n),
      now: () => now,
    });
  const said = () => notices.map((n) => `${n.type}:${n.incident.title}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantau-monitor-'));
    db = new Database(join(dir, 'pantau.db'));
    incidentsMigration.up(db);
    numericHostIds.up(db);
    incidentFlapping.up(db);
    silenceHostPatterns.up(db);
    now = 1_000_000;
    notices = [];
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('host down after the grace period, reminders, recovery', () => {
    const m = monitor({ policy: { repeat: '10s' } });
    m.hostConnected(web1, 5_000, '0.1.0');
    m.hostDisconnected(1);
    now += 4_999;
    m.tick();
    expect(notices).toEqual([]);
    now += 1;
    m.tick();
    now += 10_000;
    m.tick();
    now += 3_000;
    m.hostConnected(web1, 5_000, '0.1.0', '0.1.0');
    expect(said()).toEqual(['opened:web-1 is down', 'reminder:web-1 is down', 'recovered:web-1 is down']);
  });

  it('ignores replayed snapshots for checks and thresholds', () => {
    const m = monitor({ checkFailures: 1 });
    m.hostConnected(web1, 5_000);
    const failing = {
      checks: [
        { name: 'api', kind: 'tcp' as const, target: ':8080', ok: false, latencyMs: 1, error: 'refused' },
      ],
    };
    m.snapshot(web1, sampleSnapshot(1, { ts: now - 60_000, ...failing }));
    expect(notices).toEqual([]);
    m.snapshot(web1, sampleSnapshot(2, { ts: now, ...failing }));
    expect(said()).toEqual(['opened:api on web-1 is down']);
  });

  it('after a restart, resumes open incidents and gives online hosts the startup grace', () => {
    const first = monitor({ checkFailures: 1, policy: { repeat: '1h' } });
    first.hostConnected(web1, 5_000);
    const check = (ok: boolean) => ({
      checks: [{ name: 'api', kind: 'tcp' as const, target: ':8080', ok, latencyMs: 1 }],
    });
    first.snapshot(web1, sampleSnapshot(1, { ts: now, ...check(false) }));
    first.stop();

    const second = monitor({ checkFailures: 1, startupGrace: '20s', policy: { repeat: '1h' } });
    second.start([{ host: web1, intervalMs: 5_000, lastSeen: now }]);
    second.stop();
    now += 19_000;
    second.tick();
    expect(said()).toEqual(['opened:api on web-1 is down']);
    now += 1_000;
    second.tick();
    expect(said()).toEqual(['opened:api on web-1 is down', 'opened:web-1 is down']);
    second.hostConnected(web1, 5_000);
    second.snapshot(web1, sampleSnapshot(2, { ts: now, ...check(false) }));
    second.snapshot(web1, sampleSnapshot(3, { ts: now, ...check(true) }));
    expect(said().slice(2)).toEqual(['recovered:web-1 is down', 'recovered:api on web-1 is down']);
  });

  it('after a restart, a host resolved by hand while away stays quiet; any other absent host goes down', () => {
    const first = monitor({ policy: { repeat: '1h' } });
    first.hostConnected(web1, 5_000);
    const lastSeen = now;
    first.hostDisconnected(1);
    now += 5_000;
    first.tick();
    first.incidents.resolve(1, 'user:1', now);
    first.stop();

    const second = monitor({ startupGrace: '20s', policy: { repeat: '1h' } });
    second.start([{ host: web1, intervalMs: 5_000, lastSeen }]);
    second.stop();
    now += 60_000;
    second.tick();
    expect(said()).toEqual(['opened:web-1 is down', 'recovered:web-1 is down']);

    // Seen again after that resolve, then gone across a restart: down once more.
    const third = monitor({ startupGrace: '20s', policy: { repeat: '1h' } });
    third.start([{ host: web1, intervalMs: 5_000, lastSeen: now }]);
    third.stop();
    now += 20_000;
    third.tick();
    expect(said().at(-1)).toBe('opened:web-1 is down');
  });

  it('uses a rule policy, then a per-rule config policy, then the default', () => {
    const m = monitor({
      policy: { repeat: '30s' },
      policies: { 'host-down': { repeat: '5s' } },
      thresholds: [{ id: 'disk', metric: 'disk', above: 90, policy: { repeat: '1m' } }],
    });
    expect(m.policy('host-down').repeatMs).toBe(5_000);
    expect(m.policy('disk').repeatMs).toBe(60_000);
    expect(m.policy('service-down').repeatMs).toBe(30_000);
  });
});
