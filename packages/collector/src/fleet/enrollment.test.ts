import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { CLI_ACTOR } from '../access/actor.ts';
import { loadConfig } from '../config/index.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** `host.added` events while `body` runs. */
function added(body: () => void): string[] {
  const seen: string[] = [];
  const off = t.app.pantau.events.on('host.added', (e) => seen.push(e.name));
  try {
    body();
  } finally {
    off();
  }
  return seen;
}

describe('enrollment redeems through Hosts', () => {
  it('a redeemed code adds its host once: one host.added, one host.enroll audit entry naming the code', () => {
    const { fleet, store } = t.app.pantau;
    const { code, enrollment } = fleet.enrollment.create(CLI_ACTOR, { labels: { env: 'lab' } });
    let host: { id: number; name: string; labels: Record<string, string> } | undefined;
    expect(added(() => ({ host } = fleet.enrollment.redeem({ code, name: 'enr-1' }, '10.0.0.9')))).toEqual([
      'enr-1',
    ]);
    expect(host).toMatchObject({ name: 'enr-1', labels: { env: 'lab' } });
    const entries = store.audit.find({ limit: 10, target: `host:${host!.id}` });
    expect(entries.map((e) => [e.action, e.actor, e.surface, e.details])).toEqual([
      [
        'host.enroll',
        `enrollment:${enrollment.id}`,
        'api',
        { name: 'enr-1', from: '10.0.0.9', createdBy: 'cli' },
      ],
    ]);
    expect(
      fleet.enrollment.list(Number.MAX_SAFE_INTEGER, 10).find((e) => e.id === enrollment.id),
    ).toMatchObject({
      usedFrom: '10.0.0.9',
      hostId: host!.id,
    });
  });

  it('a taken name is CONFLICT with the retry hint and leaves the code usable; a bad name is refused by the host rule', () => {
    const { fleet } = t.app.pantau;
    fleet.hosts.add(CLI_ACTOR, 'enr-taken');
    const { code } = fleet.enrollment.create(CLI_ACTOR, {});
    expect(
      added(() =>
        expect(() => fleet.enrollment.redeem({ code, name: 'enr-taken' }, '10.0.0.9')).toThrow(
          'a host named enr-taken exists already; enroll with --name OTHER',
        ),
      ),
    ).toEqual([]);
    expect(() => fleet.enrollment.redeem({ code, name: 'bad name' }, '10.0.0.9')).toThrow(
      /host name "bad name" must be 1-128 letters/,
    );
    expect(added(() => fleet.enrollment.redeem({ code, name: 'enr-other' }, '10.0.0.9'))).toEqual([
      'enr-other',
    ]);
  });

  it('a code used by another request meanwhile adds no host and announces nothing', () => {
    const { fleet, store } = t.app.pantau;
    const { code } = fleet.enrollment.create(CLI_ACTOR, {});
    const hosts = store.hosts.count();
    // The update that marks the code used finds it used (another request won the race).
    store.db.exec(
      'CREATE TEMP TRIGGER used_elsewhere BEFORE UPDATE ON enrollment_codes BEGIN SELECT RAISE(IGNORE); END',
    );
    try {
      expect(
        added(() =>
          expect(() => fleet.enrollment.redeem({ code, name: 'enr-race' }, '10.0.0.9')).toThrow(
            /it was used already/,
          ),
        ),
      ).toEqual([]);
    } finally {
      store.db.exec('DROP TRIGGER used_elsewhere');
    }
    expect(store.hosts.count()).toBe(hosts);
    expect(store.hosts.getByName('enr-race')).toBeUndefined();
  });

  it('checks a code when it is made: name, labels and lifetime, with the config bounds', async () => {
    const { fleet } = t.app.pantau;
    expect(() => fleet.enrollment.create(CLI_ACTOR, { name: 'bad name' })).toThrow(
      /host name "bad name" must be 1-128 letters/,
    );
    for (const ttl of [59_999, 7 * 86_400_000 + 1])
      expect(() => fleet.enrollment.create(CLI_ACTOR, { ttl })).toThrow('ttl must be from 1m to 7d');
    expect(fleet.enrollment.create(CLI_ACTOR, { ttl: 60_000 }).enrollment.expiresAt).toBeGreaterThan(0);
    // The same bounds for the configured default.
    expect(() => loadConfig({ env: { PANTAU_ENROLLMENT_CODE_TTL: '30s' } })).toThrow(/enrollment\.codeTtl/);
    // The API says what the command says.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/enrollments',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { ttl: '30s' },
    });
    expect(res.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'ttl must be from 1m to 7d' },
    });
  });
});
