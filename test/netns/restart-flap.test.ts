// A collector killed and restarted while the agents' links flap (cut and restored at random):
// every sequence is stored exactly once, with no gap.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/collector-process.ts';
import { until } from '../support/until.ts';
import { NetAgent, NetCollector } from './support/fleet.ts';
import { Link, netnsUnavailable } from './support/netns.ts';

const unavailable = netnsUnavailable();
/** A random spell of the flapping link, 0.3–2.8 s: the world outside, not a wait for anything. */
const spell = () => new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 2_500));
if (unavailable) console.warn(`network fault suite skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('network faults: collector restart while links flap', () => {
  const links: Link[] = [];
  const agents: NetAgent[] = [];
  let collector: NetCollector | undefined;
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await collector?.proc.stop('SIGKILL');
    for (const link of links) link.destroy();
  });

  it('stores every sequence exactly once', async () => {
    const hub = Link.create(0);
    links.push(hub, ...[1, 2, 3].map((i) => Link.create(i, [hub.hostAddr])));
    const port = await freePort();
    const first = await NetCollector.start(hub.hostAddr, { port });
    collector = first;
    const hosts = await Promise.all(
      links.slice(1).map(async (link, i) => {
        const { id, token } = await first.addHost(`flap-${i + 1}`);
        agents.push(
          new NetAgent(link, [first.wsUrl], token, {
            interval: '1s',
            collector: {
              urls: [first.wsUrl],
              insecure: true,
              reconnect: { minDelay: '200ms', maxDelay: '2s' },
            },
          }),
        );
        return { id, link };
      }),
    );
    for (const { id } of hosts)
      await until(`host ${id} online`, async () => (await first.host(id)).status === 'online', 30_000);
    const started = Date.now();

    // The flapping outside world: each link down and up for random spells of 0.3–2.8 s.
    let flapping = true;
    const flapped = hosts.map(() => 0);
    const flaps = hosts.map(async ({ link }, i) => {
      while (flapping) {
        link.cut();
        await spell();
        link.restore();
        await spell();
        flapped[i]!++;
      }
    });
    /** Resolves once every link has gone down and up `n` more times. */
    const moreFlaps = (n: number, what: string) => {
      const target = flapped.map((f) => f + n);
      return until(what, () => flapped.every((f, i) => f >= target[i]!), 60_000);
    };
    await moreFlaps(3, 'three flaps of every link');
    await first.proc.stop('SIGKILL');
    await moreFlaps(1, 'a flap of every link while the collector is down');
    const second = await NetCollector.start(hub.hostAddr, {
      port,
      dataDir: first.proc.dataDir,
      adminToken: first.proc.adminToken,
    });
    collector = second;
    await moreFlaps(3, 'three flaps of every link with the collector back');
    flapping = false;
    await Promise.all(flaps);
    for (const { link } of hosts) link.restore();

    // Every agent samples each second; once the links hold, the backlog replays to the present.
    const expected = Math.floor((Date.now() - started) / 1_000) - 2;
    for (const { id } of hosts)
      await until(
        `host ${id} caught up`,
        async () => (await second.host(id)).lastSeq >= expected,
        60_000,
        250,
      );

    await Promise.all(agents.splice(0).map((a) => a.stop()));
    expect((await second.proc.stop('SIGTERM')).code).toBe(0);
    collector = undefined;
    const db = new Database(join(first.proc.dataDir, 'pantau.db'), { readonly: true, fileMustExist: true });
    try {
      for (const { id } of hosts) {
        const lastSeq = db.prepare('SELECT last_seq FROM hosts WHERE id = ?').pluck().get(id) as number;
        const rows = db
          .prepare('SELECT count(*) AS n, count(DISTINCT ts) AS distinctTs FROM metrics_raw WHERE host = ?')
          .get(id) as { n: number; distinctTs: number };
        const n1m = db.prepare('SELECT sum(n) FROM metrics_1m WHERE host = ?').pluck().get(id) as number;
        // Rows never exceed last_seq and a seq is stored at most once: as many rows as last_seq
        // means 1..last_seq are all there.
        expect(lastSeq).toBeGreaterThanOrEqual(expected);
        expect(rows).toEqual({ n: lastSeq, distinctTs: lastSeq });
        expect(n1m).toBe(lastSeq);
      }
    } finally {
      db.close();
    }
  }, 150_000);
});
