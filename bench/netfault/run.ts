// Silent host loss: how long from a power cut on an agent's link (every packet dropped, no FIN,
// no RST) to the host-down incident, at default settings. Needs root (network namespaces).
//   node bench/netfault/run.ts [--trials 20] [--links 4]
// Each link is a namespace with a real agent; its trials run one after another, the links in
// parallel. Every trial cuts at a random moment in the 5 s snapshot cycle. Prints median and p95.
import { parseArgs } from 'node:util';
import { NetAgent, NetCollector, percentile, silentLossTrial } from '../../test/netns/support/fleet.ts';
import { Link, netnsUnavailable } from '../../test/netns/support/netns.ts';
import { until } from '../../test/support/until.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '20' }, links: { type: 'string', default: '4' } },
});
const trials = Number(values.trials);
const linkCount = Number(values.links);
const why = netnsUnavailable();
if (why) {
  console.error(`netfault: cannot run: ${why}`);
  process.exit(2);
}

const hub = Link.create(0);
const links = Array.from({ length: linkCount }, (_, i) => Link.create(i + 1, [hub.hostAddr]));
const collector = await NetCollector.start(hub.hostAddr);
const agents: NetAgent[] = [];
const results: number[] = [];
const falseAlarms: string[] = [];

/** A fresh host per trial, as a repeated outage of one host would be damped as flapping. */
async function runLink(link: Link, index: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `netfault-${index}-${i + 1}`;
    const { id, token } = await collector.addHost(name);
    const agent = new NetAgent(link, [collector.wsUrl], token);
    agents.push(agent);
    await until(`${name} online`, async () => (await collector.host(id)).status === 'online', 30_000);
    // A random moment in the 5 s snapshot cycle.
    results.push(await silentLossTrial(collector, link, id, () => sleep(Math.random() * 5_000)));
    process.stderr.write(
      `silent host loss: ${results.length}/${trials} (${(results.at(-1)! / 1000).toFixed(2)} s)\n`,
    );
    // Back online and recovered; then a quiet spell must stay quiet.
    await until(`${name} back`, async () => (await collector.host(id)).status === 'online', 90_000);
    await until(
      `${name} recovered`,
      async () => (await collector.incidents(id)).every((x) => x.status === 'resolved'),
      30_000,
    );
    await sleep(10_000);
    if ((await collector.incidents(id)).length !== 1) falseAlarms.push(name);
    await agent.stop();
  }
}

try {
  const per = Math.ceil(trials / linkCount);
  await Promise.all(links.map((link, i) => runLink(link, i + 1, Math.min(per, trials - i * per))));
  const s = (ms: number) => (ms / 1000).toFixed(2);
  console.log('\n| case | trials | median s | p95 s | max s | false alarms after | target p95 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| link cut, every packet dropped (host down) | ${results.length} | ${s(percentile(results, 50))} | ${s(percentile(results, 95))} | ${s(Math.max(...results))} | ${falseAlarms.length} | ≤ 10 s |`,
  );
  if (falseAlarms.length > 0) console.log(`false alarms: ${falseAlarms.join(', ')}`);
} finally {
  await Promise.all(agents.map((a) => a.stop()));
  await collector.proc.stop('SIGTERM');
  for (const link of [hub, ...links]) link.destroy();
}
