// A collector on the host end of a veth and agents inside namespaces, driven over the REST API.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BIN } from '../../support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from '../../support/collector-process.ts';
import { until } from '../../support/until.ts';
import type { Link } from './netns.ts';

export interface Incident {
  id: number;
  kind: string;
  hostId: number;
  status: string;
  openedAt: number;
}

/** The collector as a child process listening on one veth address only (not 0.0.0.0). */
export class NetCollector {
  readonly proc: CollectorProcess;
  readonly address: string;

  private constructor(proc: CollectorProcess, address: string) {
    this.proc = proc;
    this.address = address;
  }

  static async start(
    address: string,
    options: { dataDir?: string; adminToken?: string; port?: number; env?: Record<string, string> } = {},
  ): Promise<NetCollector> {
    const proc = await startCollectorProcess({
      ...options,
      env: { ...options.env, PANTAU_HOST: address },
    });
    return new NetCollector(proc, address);
  }

  get url(): string {
    return `http://${this.address}:${this.proc.port}`;
  }

  get wsUrl(): string {
    return `ws://${this.address}:${this.proc.port}/agent`;
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.proc.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async addHost(name: string): Promise<{ id: number; token: string }> {
    const { host, token } = await this.api<{ host: { id: number }; token: string }>('POST', '/hosts', {
      name,
    });
    return { id: host.id, token };
  }

  async host(id: number): Promise<{ status: string; lastSeq: number; latest: { ts: number } | null }> {
    return this.api('GET', `/hosts/${id}`);
  }

  async incidents(hostId: number, kind = 'host_down'): Promise<Incident[]> {
    return (
      await this.api<{ items: Incident[] }>('GET', `/incidents?hostId=${hostId}&kind=${kind}&limit=500`)
    ).items;
  }
}

/** A real agent process inside a namespace, at default settings but for the collector URLs. */
export class NetAgent {
  readonly child: ChildProcess;
  readonly dir: string;
  stderr = '';
  readonly #exit: Promise<void>;

  constructor(link: Link, urls: string[], token: string, extra: Record<string, unknown> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'pantau-netns-agent-'));
    const file = join(this.dir, 'agent.yaml');
    // The link is a private test veth, so plain ws:// to its address must be allowed explicitly.
    writeFileSync(file, JSON.stringify({ collector: { urls, insecure: true }, token, ...extra }));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
    this.child = link.spawn(process.execPath, [AGENT_BIN, 'run', '--config', file], {
      env: { ...clean, PANTAU_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    this.#exit = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.#exit;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once the collector has stored a snapshot of the host newer than the one it has now. */
export async function nextSnapshot(collector: NetCollector, hostId: number): Promise<void> {
  const seq = (await collector.host(hostId)).lastSeq;
  await until(
    `a new snapshot of host ${hostId}`,
    async () => (await collector.host(hostId)).lastSeq > seq,
    30_000,
    50,
  );
}

/**
 * One silent-host-loss trial: waits for `moment` (where in the snapshot cycle to cut), cuts the
 * link and returns the ms until the host-down incident is open (polled every 100 ms); then
 * restores it.
 */
export async function silentLossTrial(
  collector: NetCollector,
  link: Link,
  hostId: number,
  moment: () => Promise<unknown>,
): Promise<number> {
  await moment();
  const before = new Set((await collector.incidents(hostId)).map((i) => i.id));
  const cutAt = Date.now();
  link.cut();
  try {
    await until(
      'the host-down incident',
      async () => (await collector.incidents(hostId)).find((i) => !before.has(i.id) && i.status === 'open'),
      60_000,
    );
    return Date.now() - cutAt;
  } finally {
    link.restore();
  }
}

export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
