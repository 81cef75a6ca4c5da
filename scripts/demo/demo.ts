// Seed 1's scenario as processes on one machine: nginx load-balancing two backends, the
// collector, and an agent checking both backends and the balancer's front port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/collector/src/config/index.ts';
import { type RunningCollector, startCollector } from '../../packages/collector/src/main.ts';
import { AgentProcess } from '../../test/support/agent-process.ts';
import { Backend } from './backend.ts';
import { type Nginx, startNginx } from './nginx.ts';

export interface DemoOptions {
  /** The two backends' ports (seed 1: 8080 and 8081). */
  backendPorts: [number, number];
  /** The balancer's front port. */
  balancerPort: number;
  /** The collector's port. */
  collectorPort: number;
  /** Telegram: bot token, API root (a fake in tests) and the chat that gets the alerts. */
  telegram?: { token: string; apiRoot?: string; chat: string };
  /** Reminder interval while an incident stays open. Default 10s. */
  repeat?: string;
  /** Collector log level. Default warn. */
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

export interface Demo {
  backends: [Backend, Backend];
  balancerUrl: string;
  collector: RunningCollector;
  adminToken: string;
  hostId: number;
  agent: AgentProcess;
  stop(): Promise<void>;
}

/** The nginx load balancer: round robin over both backends, the next one on a refused connection. */
export function balancerConfig(port: number, backends: readonly number[]): string {
  return `
  upstream backends {
${backends.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backends;
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 1s;
    }
  }`;
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pantau-demo-'));
  const adminToken = `demo-admin-${Math.random().toString(36).slice(2)}-token`;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    while (stops.length > 0)
      await stops
        .pop()?.()
        .catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const backends = options.backendPorts.map((p, i) => new Backend(`backend ${i + 1}`, p)) as [
      Backend,
      Backend,
    ];
    for (const b of backends) {
      await b.start();
      stops.push(() => b.stop());
    }
    const nginx: Nginx = await startNginx(
      balancerConfig(options.balancerPort, options.backendPorts),
      options.balancerPort,
    );
    stops.push(() => nginx.stop());

    const t = options.telegram;
    const config = loadConfig({
      env: {},
      overrides: {
        host: '127.0.0.1',
        port: options.collectorPort,
        dataDir,
        logLevel: options.logLevel ?? 'warn',
        adminToken,
        ...(t ? { telegram: { token: t.token, apiRoot: t.apiRoot ?? null } } : {}),
        // A schema option: given as its input form, resolved by the loader.
        monitor: { policy: { repeat: options.repeat ?? '10s' } } as never,
        notify: t ? { recipients: [{ name: 'demo chat', channel: 'telegram', address: t.chat }] } : {},
      },
    });
    const collector = await startCollector(config, { warnNoToken: false });
    stops.push(() => collector.close());

    const { host, token } = collector.app.pantau.store.hosts.add('demo-host', { role: 'balancer' });
    const [a, b] = options.backendPorts;
    const agent = new AgentProcess(
      {
        collector: {
          urls: [`ws://127.0.0.1:${collector.port}/agent`],
          reconnect: { minDelay: '200ms', maxDelay: '2s' },
        },
        token,
        interval: '1s',
        cadences: { checks: '2s' },
        checks: [
          { name: `backend :${a}`, type: 'http', url: `http://127.0.0.1:${a}/`, timeout: '1s' },
          { name: `backend :${b}`, type: 'http', url: `http://127.0.0.1:${b}/`, timeout: '1s' },
          {
            name: `balancer :${options.balancerPort}`,
            type: 'http',
            url: `http://127.0.0.1:${options.balancerPort}/`,
            timeout: '2s',
          },
        ],
      },
      { PANTAU_LOG_LEVEL: 'warn' },
    );
    stops.push(() => agent.stop());
    return {
      backends,
      balancerUrl: `http://127.0.0.1:${options.balancerPort}/`,
      collector,
      adminToken,
      hostId: host.id,
      agent,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
