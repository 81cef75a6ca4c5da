import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerCollector, containerFrom, type DockerListEntry, type DockerStats } from './containers.ts';

const json = <T>(name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8')) as T;

describe('containers', () => {
  const [redis, backup] = json<DockerListEntry[]>('docker-containers.json') as [
    DockerListEntry,
    DockerListEntry,
  ];

  it('reports CPU % of one core against the previous sample and memory without page cache', () => {
    const first = containerFrom(redis, json<DockerStats>('docker-stats-a.json'), undefined);
    expect(first.container).toMatchObject({
      name: 'redis',
      image: 'redis:7',
      state: 'running',
      cpu: 0,
      memory: 10_485_760,
    });
    const second = containerFrom(redis, json<DockerStats>('docker-stats-b.json'), first.sample);
    // 0.3 s of container CPU over 15 s × 2 CPUs of host CPU time → 2 % of one core.
    expect(second.container.cpu).toBe(2);
    expect(second.container.memory).toBe(13_631_488 - 2_097_152);
  });

  it('lists stopped containers with zero use', () => {
    expect(containerFrom(backup, undefined, undefined).container).toEqual({
      id: backup.Id,
      name: 'backup-job',
      image: 'alpine:3.20',
      state: 'exited',
      cpu: 0,
      memory: 0,
    });
  });

  it('reports nothing at all when there is no Docker socket', async () => {
    expect(await new ContainerCollector('/nonexistent/docker.sock').collect()).toBeUndefined();
  });
});
