// The agent's container figures against `docker stats` on the same container at the same
// moment: CPU (% of one core, both) within 2 points on a steady load, memory within 1 %.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ContainerCollector } from '../packages/agent/src/collectors/containers.ts';
import { describeDocker, docker, engineSocket, removeContainers, uniqueName } from './support/docker.ts';
import { until } from './support/until.ts';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** `docker stats` for one container: CPU % and memory bytes, parsed from its own table. */
async function dockerStats(name: string): Promise<{ cpu: number; memory: number }> {
  const out = await docker(['stats', '--no-stream', '--format', '{{.CPUPerc}} {{.MemUsage}}', name]);
  const m = /^([\d.]+)% ([\d.]+)(B|KiB|MiB|GiB) \//.exec(out.trim());
  if (!m) throw new Error(`unexpected docker stats output: ${out}`);
  return { cpu: Number(m[1]), memory: Number(m[2]) * (UNITS[m[3] as string] ?? 1) };
}

describeDocker('container figures vs docker stats', () => {
  const name = uniqueName('steady');
  const collector = new ContainerCollector(engineSocket());

  beforeAll(async () => {
    // A fifth of a core, capped by the CFS quota so the load stays steady, and 64 MiB held.
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--cpus',
      '0.2',
      'node:24-bookworm-slim',
      'node',
      '-e',
      'globalThis.keep = Buffer.alloc(64 * 1024 * 1024, 1); for (;;) {}',
    ]);
    await until('the load running', async () => (await dockerStats(name)).cpu > 10, 30_000);
  }, 60_000);
  afterAll(() => removeContainers(name));

  it('CPU within 2 points and memory within 1 %', async () => {
    const figures = async () => (await collector.collect())?.find((c) => c.name === name);
    await figures(); // the CPU baseline
    const deltas: { cpu: number; memoryPct: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const [ours, theirs] = await Promise.all([
        new Promise((resolve) => setTimeout(resolve, 1_000)).then(figures),
        dockerStats(name),
      ]);
      if (!ours) throw new Error('the agent did not list the container');
      deltas.push({
        cpu: Math.abs(ours.cpu - theirs.cpu),
        memoryPct: (Math.abs(ours.memory - theirs.memory) / theirs.memory) * 100,
      });
    }
    console.log(`container figures vs docker stats: ${JSON.stringify(deltas)}`);
    // The median of three rounds: one round can straddle a scheduler hiccup on a busy machine.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
    expect(median(deltas.map((d) => d.cpu))).toBeLessThanOrEqual(2);
    expect(median(deltas.map((d) => d.memoryPct))).toBeLessThanOrEqual(1);
  }, 60_000);
});
