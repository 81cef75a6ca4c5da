// Silent host loss behind a real link: every packet of one agent's link dropped (a power cut: no
// FIN, no RST). CI runs three trials with a looser bound; bench/netfault measures twenty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.ts';
import { NetAgent, NetCollector, nextSnapshot, silentLossTrial } from './support/fleet.ts';
import { Link, netnsUnavailable } from './support/netns.ts';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`network fault suite skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('network faults: silent host loss', () => {
  let hub: Link;
  let links: Link[];
  let collector: NetCollector;
  const agents: NetAgent[] = [];

  beforeAll(async () => {
    hub = Link.create(0);
    links = [1, 2, 3].map((i) => Link.create(i, [hub.hostAddr]));
    collector = await NetCollector.start(hub.hostAddr);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await collector?.proc.stop('SIGTERM');
    for (const link of [hub, ...(links ?? [])]) link?.destroy();
  });

  it('raises host down after a silent cut at default settings, and no false alarm after the link is back', async () => {
    const hosts = await Promise.all(
      links.map(async (link, i) => {
        const { id, token } = await collector.addHost(`silent-${i + 1}`);
        agents.push(new NetAgent(link, [collector.wsUrl], token));
        return { id, link };
      }),
    );
    for (const { id } of hosts)
      await until(`host ${id} online`, async () => (await collector.host(id)).status === 'online', 30_000);

    // Each agent's link is cut just after a snapshot arrived: the longest silence before anything
    // is missed, so the slowest detection (bench/netfault cuts at random moments).
    const times = await Promise.all(
      hosts.map(({ id, link }) => silentLossTrial(collector, link, id, () => nextSnapshot(collector, id))),
    );
    console.info(`silent host loss, ms to host down: ${times.join(', ')}`);
    // The target is 11 s (bench/netfault measures it); here a bound that still tells detection by
    // the missing heartbeat from none at all, with room for a busy machine.
    for (const ms of times) expect(ms).toBeLessThan(20_000);

    // Links are back: each host reconnects, its incident resolves, and quiet stays quiet.
    for (const { id } of hosts) {
      await until(
        `host ${id} back online`,
        async () => (await collector.host(id)).status === 'online',
        60_000,
      );
      await until(
        `host ${id} recovered`,
        async () => (await collector.incidents(id)).every((x) => x.status === 'resolved'),
        15_000,
      );
    }
    const counts = await Promise.all(hosts.map(async ({ id }) => (await collector.incidents(id)).length));
    // Three more snapshots from each (15 s at 5 s), longer than host down takes, and nothing new.
    for (const { id } of hosts) for (let i = 0; i < 3; i++) await nextSnapshot(collector, id);
    expect(await Promise.all(hosts.map(async ({ id }) => (await collector.incidents(id)).length))).toEqual(
      counts,
    );
  }, 150_000);
});
