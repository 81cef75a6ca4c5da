import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess, testConfig } from './agent-process.ts';

/** A small API client for one collector and one token. */
export class Api {
  readonly base: string;
  readonly token: string;

  constructor(url: string, token: string) {
    this.base = `${url}/api/v1`;
    this.token = token;
  }

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async get<T = unknown>(path: string): Promise<T> {
    const { status, body } = await this.call<T>('GET', path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Adds a host through the API; returns its id and the agent token shown once. */
  async addHost(name: string): Promise<{ id: number; token: string }> {
    const { status, body } = await this.call<{ host: { id: number }; token: string }>('POST', '/hosts', {
      name,
    });
    if (status !== 201) throw new Error(`POST /hosts: ${status} ${JSON.stringify(body)}`);
    return { id: body.host.id, token: body.token };
  }

  host(id: number): Promise<HostDetail> {
    return this.get<HostDetail>(`/hosts/${id}`);
  }
}

export interface HostDetail {
  id: number;
  name: string;
  status: 'new' | 'online' | 'offline';
  statusSince: number | null;
  lastSeen: number | null;
  lastSeq: number;
  agentVersion: string | null;
  latest: { ts: number; metrics: Record<string, number> } | null;
  system: { arch: string; cores: number } | null;
}

/**
 * A real `pantau-agent run` against `wsUrl` with its token in a file (0600, via PANTAU_TOKEN_FILE),
 * 1 s interval and every heavy collector on a 1–2 s cadence. `stop()` also removes the token file.
 */
export function startAgent(wsUrl: string, token: string, extra: Record<string, unknown> = {}): AgentProcess {
  const config = testConfig([wsUrl], {
    cadences: { processes: '1s', ports: '1s', disks: '2s', checks: '1s', system: '1h' },
    ...extra,
  });
  delete config.token;
  const dir = mkdtempSync(join(tmpdir(), 'pantau-e2e-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const agent = new AgentProcess(config, { PANTAU_TOKEN_FILE: file });
  const stop = agent.stop.bind(agent);
  agent.stop = async () => {
    try {
      return await stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return agent;
}
