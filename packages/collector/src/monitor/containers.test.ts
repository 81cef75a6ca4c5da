import type { Container } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { resolveContainerMonitor } from './container-config.ts';
import { ContainerWatch } from './containers.ts';
import type { ProblemSignal, Signal } from './signals.ts';

const host = { id: 7, name: 'lb-host', labels: {} };

function c(name: string, state: string, extra: Partial<Container> = {}): Container {
  return { id: `id-${name}`, name, image: 'node:24', state, cpu: 0, memory: 0, ...extra };
}

/** "rule firing|cleared" per signal, the short form the assertions read. */
const brief = (signals: Signal[]) =>
  (signals as ProblemSignal[]).map((s) => `${s.ruleId} ${s.firing ? 'firing' : 'cleared'}`);

describe('container rules', () => {
  it('a watched container that stops fires with its exit code, and clears when it runs again', () => {
    const watch = new ContainerWatch(resolveContainerMonitor());
    expect(watch.observe(host, [c('backend-1', 'running')], 0)).toEqual([]);
    const [stopped] = watch.observe(
      host,
      [c('backend-1', 'exited', { exitCode: 137 })],
      1_000,
    ) as ProblemSignal[];
    expect(stopped).toMatchObject({
      key: 'container:7:backend-1:stopped',
      kind: 'container',
      ruleId: 'container-stopped',
      firing: true,
      severity: 'critical',
      title: 'container backend-1 on lb-host exited with exit code 137',
      value: 'exit code 137',
    });
    expect(watch.observe(host, [c('backend-1', 'exited', { exitCode: 137 })], 2_000)).toEqual([]);
    expect(brief(watch.observe(host, [c('backend-1', 'running')], 3_000))).toEqual([
      'container-stopped cleared',
    ]);
  });

  it('by default watches only containers seen running; names and labels pick others', () => {
    const byDefault = new ContainerWatch(resolveContainerMonitor());
    expect(byDefault.observe(host, [c('job', 'exited', { exitCode: 0 })], 0)).toEqual([]);
    const picked = new ContainerWatch(
      resolveContainerMonitor({ names: ['db-*'], labels: { 'pantau.watch': 'true' } }),
    );
    const signals = picked.observe(
      host,
      [
        c('db-1', 'exited', { exitCode: 1 }),
        c('web', 'exited', { exitCode: 1, labels: { 'pantau.watch': 'true' } }),
        c('other', 'exited', { exitCode: 1 }),
        c('other-running', 'running'),
      ],
      0,
    ) as ProblemSignal[];
    expect(signals.map((s) => s.key)).toEqual(['container:7:db-1:stopped', 'container:7:web:stopped']);
    // pantau.watch=false opts a container out even of the default.
    const optOut = new ContainerWatch(resolveContainerMonitor());
    optOut.observe(host, [c('x', 'running', { labels: { 'pantau.watch': 'false' } })], 0);
    expect(optOut.observe(host, [c('x', 'exited', { exitCode: 1 })], 1)).toEqual([]);
  });

  it('a removal on purpose opens nothing and closes what was open; a crashed --rm container is gone', () => {
    const watch = new ContainerWatch(resolveContainerMonitor());
    watch.observe(host, [c('a', 'running'), c('b', 'running'), c('c', 'running')], 0);
    expect(
      watch.observe(
        host,
        [c('a', 'removed', { removed: 'deliberate' }), c('b', 'running'), c('c', 'running')],
        1,
      ),
    ).toEqual([]);
    expect(brief(watch.observe(host, [c('b', 'exited', { exitCode: 0 }), c('c', 'running')], 2))).toEqual([
      'container-stopped firing',
    ]);
    expect(
      brief(watch.observe(host, [c('b', 'removed', { removed: 'deliberate' }), c('c', 'running')], 3)),
    ).toEqual(['container-stopped cleared']);
    const gone = watch.observe(
      host,
      [c('c', 'removed', { removed: 'gone', exitCode: 1 })],
      4,
    ) as ProblemSignal[];
    expect(gone.map((s) => [s.ruleId, s.firing, s.title])).toEqual([
      ['container-gone', true, 'container c on lb-host is gone'],
    ]);
    // It comes back under the same name (compose up): gone clears.
    expect(brief(watch.observe(host, [c('c', 'running')], 5))).toEqual(['container-gone cleared']);
    // Vanished from the list while running, with no removal report (the agent was away): gone.
    expect(brief(watch.observe(host, [], 6))).toEqual(['container-gone firing']);
  });

  it('restart loop, unhealthy and OOM each fire on their own', () => {
    const watch = new ContainerWatch(resolveContainerMonitor({ restarts: 3, restartWindow: '1m' }));
    watch.observe(host, [c('w', 'running', { restarts: 0, health: 'starting' })], 0);
    expect(watch.observe(host, [c('w', 'running', { restarts: 2, health: 'healthy' })], 10_000)).toEqual([]);
    expect(brief(watch.observe(host, [c('w', 'restarting', { restarts: 3 })], 20_000))).toEqual([
      'container-restarting firing',
    ]);
    // Stays open while it keeps restarting, clears after a window without a restart.
    expect(watch.observe(host, [c('w', 'running', { restarts: 4 })], 50_000)).toEqual([]);
    expect(brief(watch.observe(host, [c('w', 'running', { restarts: 4 })], 120_000))).toEqual([
      'container-restarting cleared',
    ]);
    expect(
      brief(watch.observe(host, [c('w', 'running', { restarts: 4, health: 'unhealthy' })], 121_000)),
    ).toEqual(['container-unhealthy firing']);
    expect(
      brief(
        watch.observe(host, [c('w', 'exited', { restarts: 4, oomKilled: true, exitCode: 137 })], 122_000),
      ),
    ).toEqual(['container-oom firing', 'container-unhealthy cleared']);
  });

  it('CPU and memory limits fire after staying above for their duration', () => {
    const watch = new ContainerWatch(
      resolveContainerMonitor({ limits: [{ names: ['api-*'], cpu: 150, memoryMiB: 100, for: '10s' }] }),
    );
    const busy = (at: number, cpu: number) =>
      brief(watch.observe(host, [c('api-1', 'running', { cpu, memory: 50 * 1024 * 1024 })], at));
    expect(busy(0, 180)).toEqual([]);
    expect(busy(9_000, 190)).toEqual([]);
    expect(busy(10_000, 170)).toEqual(['container-cpu firing']);
    expect(busy(11_000, 20)).toEqual(['container-cpu cleared']);
    const heavy = watch.observe(host, [c('api-1', 'running', { memory: 200 * 1024 * 1024 })], 12_000);
    expect(heavy).toEqual([]);
    const [memory] = watch.observe(
      host,
      [c('api-1', 'running', { memory: 210 * 1024 * 1024 })],
      22_000,
    ) as ProblemSignal[];
    expect(memory).toMatchObject({ ruleId: 'container-memory', severity: 'warning', value: '210 MiB' });
  });

  it('resumes open incidents after a restart so the next good report clears them', () => {
    const watch = new ContainerWatch(resolveContainerMonitor());
    watch.resume('container:7:backend-1:stopped', 7);
    expect(brief(watch.observe(host, [c('backend-1', 'running')], 0))).toEqual(['container-stopped cleared']);
  });
});
