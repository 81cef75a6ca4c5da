import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullSnapshot } from '../../../../test/fixtures/samples.ts';
import { EventBus } from '../events.ts';
import { Store } from '../store/index.ts';
import { RemoteQueueRepo } from './queue-repo.ts';
import { hostLabels, snapshotSamples } from './series.ts';
import { RemoteQueueSink } from './sink.ts';

describe('series', () => {
  it("makes a host's labels Prometheus labels beside host, without clashing with a series' own", () => {
    expect(
      hostLabels('web-1', {
        env: 'prod',
        'team.name': 'ops',
        mount: 'x',
        '9lives': 'y',
        __x: 'z',
        host: 'h',
      }),
    ).toEqual({
      host: 'web-1',
      env: 'prod',
      team_name: 'ops',
      label_mount: 'x',
      label_9lives: 'y',
      label___x: 'z',
      label_host: 'h',
    });
  });

  it('gives every core number, filesystem, interface and container of a snapshot in base units', () => {
    const samples = snapshotSamples({
      ...fullSnapshot(1),
      containers: [{ id: 'c', name: 'web', image: 'nginx', state: 'running', cpu: 50, memory: 10 }],
    });
    const byName = (name: string) => samples.filter(([n]) => n === name);
    expect(byName('pantau_host_cpu_busy_ratio')).toEqual([['pantau_host_cpu_busy_ratio', 0.125]]);
    expect(byName('pantau_host_memory_total_bytes')[0]![1]).toBe(Math.round(4_102_012_928 / 1024) * 1024);
    expect(byName('pantau_host_filesystem_used_bytes')).toEqual([
      ['pantau_host_filesystem_used_bytes', 20_000_000_000, { mount: '/' }],
    ]);
    expect(byName('pantau_host_network_interface_receive_bytes_per_second')).toEqual([
      ['pantau_host_network_interface_receive_bytes_per_second', 2_048, { interface: 'eth0' }],
    ]);
    expect(byName('pantau_container_cpu_ratio')).toEqual([
      ['pantau_container_cpu_ratio', 0.5, { container: 'web', image: 'nginx' }],
    ]);
  });
});

describe('RemoteQueueSink', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantau-sink-'));
    store = new Store({
      dataDir: dir,
      busyTimeout: 1000,
      retention: { raw: 3_600_000, minute: 3_600_000, hour: 3_600_000, chunkRows: 100 },
    });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("labels rows with the host's current labels, re-read after they change", () => {
    const events = new EventBus(() => {});
    const queue = new RemoteQueueRepo(store.db);
    queue.syncEndpoints(['x']);
    const sink = new RemoteQueueSink(queue, store.hosts, events);
    const { host } = store.hosts.add('web-1', { env: 'prod' });
    sink.append(host.id, fullSnapshot(1));
    store.hosts.setLabels(host.id, { env: 'staging' });
    sink.append(host.id, fullSnapshot(2));
    events.emit('host.labels', { hostId: host.id, name: 'web-1', labels: { env: 'staging' }, at: 0 });
    sink.append(host.id, fullSnapshot(3));
    // Cached until the labels event, as the fleet command emits it after its commit.
    expect(queue.after(0, 10).map((r) => r.labels.env)).toEqual(['prod', 'prod', 'staging']);
  });
});
