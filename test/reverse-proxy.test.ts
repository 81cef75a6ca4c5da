// nginx as a reverse proxy in front of the collector: the agents' WebSocket upgrade passes
// through, and X-Forwarded-* is believed from the proxy's address only (trustProxy).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX, type Nginx, startNginx } from '../scripts/demo/nginx.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { freePort } from './support/collector-process.ts';
import { Api } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

// Three loopback addresses: the proxy connects from .2 (trusted), clients come from .3.
const PROXY_FROM = '127.0.0.2';
const CLIENT = '127.0.0.3';

let collector: TestApp;
let nginx: Nginx;
let port: number;

function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        localAddress: CLIENT,
        agent: false,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

beforeAll(async () => {
  if (!NGINX) return;
  collector = await startTestApp({ trustProxy: PROXY_FROM });
  port = await freePort();
  const upstream = new URL(collector.url).host;
  nginx = await startNginx(
    `
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${upstream};
      proxy_bind ${PROXY_FROM};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }
  }`,
    port,
  );
}, 30_000);
afterAll(async () => {
  await nginx?.stop();
  await collector?.close();
});

describe.skipIf(!NGINX)('behind nginx', () => {
  it('an agent streams through the proxy (WebSocket upgrade)', async () => {
    const { id, token } = collector.addHost('behind-proxy');
    const agent = new AgentProcess({ ...testConfig([`ws://127.0.0.1:${port}/agent`]), token });
    try {
      const api = new Api(`http://127.0.0.1:${port}`, collector.adminToken);
      await until('the proxied agent online with snapshots', async () => {
        const h = await api.host(id);
        return h.status === 'online' && h.lastSeq >= 2;
      });
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });

  it('believes X-Forwarded-For from the proxy only', async () => {
    const admin = { authorization: `Bearer ${collector.adminToken}` };
    const enroll = async (base: string) => {
      const made = await call(`${base}/api/v1/enrollments`, { method: 'POST', headers: admin, body: {} });
      const { code } = JSON.parse(made.body) as { code: string };
      const name = `xff-${Math.random().toString(36).slice(2, 8)}`;
      const r = await call(`${base}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'x-forwarded-for': '203.0.113.9' },
        body: { code, name },
      });
      expect(r.status).toBe(201);
      const audit = await call(`${base}/api/v1/audit`, { headers: admin });
      const items = (
        JSON.parse(audit.body) as {
          items: Array<{ action: string; details: { name?: string; from?: string } }>;
        }
      ).items;
      return items.find((e) => e.action === 'host.enroll' && e.details.name === name)?.details.from;
    };
    // Through nginx: the client's real address, which nginx appended; the forged entry is ignored.
    expect(await enroll(`http://127.0.0.1:${port}`)).toBe(CLIENT);
    // Straight to the collector from an untrusted address: the header is not believed at all.
    expect(await enroll(collector.url)).toBe(CLIENT);
  });

  it('agent.sh names the address the client used, https only when the proxy says so', async () => {
    const proxied = await call(`http://127.0.0.1:${port}/install/agent.sh`, {
      headers: { host: 'pantau.example:8443' },
    });
    expect(proxied.body).toContain("AGENT_URL='ws://pantau.example:8443/agent'");
    const forged = await call(`${collector.url}/install/agent.sh`, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(forged.body).toContain(`AGENT_URL='${collector.wsUrl}'`);
  });
});
