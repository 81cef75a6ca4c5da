import { existsSync } from 'node:fs';
import type { Container } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { round2 } from './procfs.ts';

/** The parts of Docker's GET /containers/json the agent uses. */
export interface DockerListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
}

/** The parts of Docker's GET /containers/{id}/stats the agent uses. */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: {
    usage?: number;
    stats?: { inactive_file?: number; total_inactive_file?: number; cache?: number };
  };
}

export interface CpuSample {
  container: number;
  system: number;
}

/**
 * One container's figures. CPU % (of one core) comes from the container's and the host's CPU
 * counters against the previous sample; memory leaves out the reclaimable page cache, as
 * `docker stats` does.
 */
export function containerFrom(
  entry: DockerListEntry,
  stats: DockerStats | undefined,
  previous: CpuSample | undefined,
): { container: Container; sample?: CpuSample } {
  const base = {
    id: entry.Id.slice(0, 128),
    name: (entry.Names?.[0] ?? entry.Id.slice(0, 12)).replace(/^\//, '').slice(0, Limits.name),
    image: (entry.Image ?? '').slice(0, Limits.text),
    state: (entry.State ?? 'unknown').slice(0, 64),
  };
  if (!stats) return { container: { ...base, cpu: 0, memory: 0 } };
  const sample = {
    container: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
    system: stats.cpu_stats?.system_cpu_usage ?? 0,
  };
  const cpus = stats.cpu_stats?.online_cpus ?? 1;
  let cpu = 0;
  if (previous) {
    const dc = sample.container - previous.container;
    const ds = sample.system - previous.system;
    if (dc > 0 && ds > 0) cpu = round2((dc / ds) * cpus * 100);
  }
  const mem = stats.memory_stats;
  const cache = mem?.stats?.inactive_file ?? mem?.stats?.total_inactive_file ?? mem?.stats?.cache ?? 0;
  const memory = Math.max(0, (mem?.usage ?? 0) - cache);
  return { container: { ...base, cpu, memory }, sample };
}

async function dockerGet<T>(socketPath: string, path: string, timeoutMs: number): Promise<T> {
  // Loaded on the first Docker request: hosts without Docker never need node:http.
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, timeout: timeoutMs, headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`docker ${path}: HTTP ${res.statusCode} ${body.slice(0, 200).trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(new Error(`docker ${path}: bad JSON: ${(err as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`docker ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Containers from the Docker Engine API on its unix socket. No socket means no Docker: the
 * collector returns undefined and reports nothing, so hosts without Docker see no errors.
 */
export class ContainerCollector {
  readonly #socket: string;
  #previous = new Map<string, CpuSample>();

  constructor(socketPath: string) {
    this.#socket = socketPath;
  }

  async collect(): Promise<Container[] | undefined> {
    if (!existsSync(this.#socket)) return undefined;
    const list = await dockerGet<DockerListEntry[]>(this.#socket, '/containers/json?all=1', 5_000);
    const next = new Map<string, CpuSample>();
    const out: Container[] = [];
    for (const entry of list.slice(0, Limits.items)) {
      const stats =
        entry.State === 'running'
          ? await dockerGet<DockerStats>(
              this.#socket,
              `/containers/${encodeURIComponent(entry.Id)}/stats?stream=false&one-shot=true`,
              5_000,
            ).catch(() => undefined)
          : undefined;
      const { container, sample } = containerFrom(entry, stats, this.#previous.get(entry.Id));
      if (sample) next.set(entry.Id, sample);
      out.push(container);
    }
    this.#previous = next;
    return out;
  }
}
