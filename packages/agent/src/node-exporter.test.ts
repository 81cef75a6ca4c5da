import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/support/until.ts';
import { CpuCollector } from './collectors/cpu.ts';
import { collectDisks } from './collectors/disks.ts';
import { collectLoad } from './collectors/load.ts';
import { collectMemory } from './collectors/memory.ts';
import { PortCollector } from './collectors/ports.ts';
import { collectUptime } from './collectors/uptime.ts';

const EXPORTER = 'prometheus-node-exporter';
const installed = (() => {
  try {
    execFileSync(EXPORTER, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Samples of one metric from a Prometheus text exposition: labels → value. */
function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const space = line.lastIndexOf(' ');
    out.push({ labels: line.slice(name.length, space), value: Number(line.slice(space + 1)) });
  }
  return out;
}

// The same host read by Debian's node_exporter (apt-get install prometheus-node-exporter), the
// agent the fleet compares Pantau with: the figures must agree.
describe.skipIf(!installed)('agreement with prometheus-node-exporter on this host', () => {
  let exporter: ChildProcess;
  let port = 0;
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return res.text();
  };

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await until('node_exporter answers', () => scrape().catch(() => undefined));
  });

  afterAll(() => {
    exporter?.kill();
  });

  it('memory and swap totals are the same, available memory within 2 %', async () => {
    const text = await scrape();
    const { memory, swap } = collectMemory();
    expect(memory.total).toBe(samples(text, 'node_memory_MemTotal_bytes')[0]?.value);
    expect(swap.total).toBe(samples(text, 'node_memory_SwapTotal_bytes')[0]?.value);
    const available = samples(text, 'node_memory_MemAvailable_bytes')[0]?.value ?? 0;
    expect(Math.abs(memory.available - available) / memory.total).toBeLessThan(0.02);
  });

  it('the same cores, load within 0.5 and boot time within 2 s', async () => {
    const text = await scrape();
    const cpu = new CpuCollector();
    const cores = new Set(
      samples(text, 'node_cpu_seconds_total').map((s) => /cpu="(\d+)"/.exec(s.labels)?.[1]),
    );
    expect(cpu.collect().cores.length).toBe(cores.size);
    expect(Math.abs(collectLoad().l1 - (samples(text, 'node_load1')[0]?.value ?? -9))).toBeLessThanOrEqual(
      0.5,
    );
    const boot = samples(text, 'node_boot_time_seconds')[0]?.value ?? 0;
    expect(Math.abs(Date.now() / 1000 - collectUptime() - boot)).toBeLessThan(2);
  });

  it("the root filesystem's size and free space agree", async () => {
    const text = await scrape();
    const { disks } = await collectDisks();
    const root = disks.find((d) => d.mount === '/');
    const label = (s: { labels: string }) => s.labels.includes('mountpoint="/"');
    const size = samples(text, 'node_filesystem_size_bytes').find(label)?.value;
    const avail = samples(text, 'node_filesystem_avail_bytes').find(label)?.value ?? 0;
    expect(root?.size).toBe(size);
    expect(Math.abs((root?.free ?? 0) - avail) / (size ?? 1)).toBeLessThan(0.01);
  });

  it("lists node_exporter's own port, owned by it", async () => {
    const ports = new PortCollector().collect();
    expect(ports.find((p) => p.port === port)).toMatchObject({
      proto: 'tcp',
      address: '127.0.0.1',
      pid: exporter.pid,
      process: EXPORTER, // comm is cut at 15 characters; the name comes from the command line
    });
  });
});
