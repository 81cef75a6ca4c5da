import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { monotonicMs } from '../clock.ts';
import type { CheckConfig } from '../config/types.ts';
import { runChecks } from './checks.ts';

async function listen(
  server: ReturnType<typeof createServer> | ReturnType<typeof createHttpServer>,
): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('service checks (real sockets)', () => {
  it('checks two backends and a balancer: up, down, wrong status, body match', async () => {
    const tcp = createServer((s) => s.end());
    const http = createHttpServer((req, res) => {
      if (req.url === '/health') res.end('status: ok');
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 2_000);
      else {
        res.statusCode = 502;
        res.end('bad gateway');
      }
    });
    const tcpPort = await listen(tcp);
    const httpPort = await listen(http);
    const closed = createServer();
    const closedPort = await listen(closed);
    closed.close();
    try {
      const checks: CheckConfig[] = [
        { name: 'backend-a', type: 'tcp', host: '127.0.0.1', port: tcpPort, timeoutMs: 1_000 },
        { name: 'backend-b', type: 'tcp', host: '127.0.0.1', port: closedPort, timeoutMs: 1_000 },
        {
          name: 'health',
          type: 'http',
          url: `http://127.0.0.1:${httpPort}/health`,
          expectStatus: 200,
          bodyMatch: /ok$/,
          insecure: false,
          timeoutMs: 1_000,
        },
        {
          name: 'body',
          type: 'http',
          url: `http://127.0.0.1:${httpPort}/health`,
          expectStatus: 200,
          bodyMatch: /^ready/,
          insecure: false,
          timeoutMs: 1_000,
        },
        {
          name: 'lb',
          type: 'http',
          url: `http://127.0.0.1:${httpPort}/`,
          expectStatus: 200,
          insecure: false,
          timeoutMs: 1_000,
        },
        {
          name: 'slow',
          type: 'http',
          url: `http://127.0.0.1:${httpPort}/slow`,
          expectStatus: 200,
          insecure: false,
          timeoutMs: 300,
        },
      ];
      const started = monotonicMs();
      const results = Object.fromEntries((await runChecks(checks)).map((r) => [r.name, r]));
      const observed = monotonicMs() - started;
      expect(results['backend-a']).toMatchObject({ ok: true, kind: 'tcp', target: `127.0.0.1:${tcpPort}` });
      expect(results['backend-b']).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
      expect(results.health).toMatchObject({ ok: true, status: 200 });
      expect(results.body).toMatchObject({
        ok: false,
        status: 200,
        error: expect.stringMatching(/body does not match/),
      });
      expect(results.lb).toMatchObject({ ok: false, status: 502, error: 'expected status 200, got 502' });
      expect(results.slow).toMatchObject({ ok: false, error: 'no answer within 300 ms' });
      // The deadline ended the slow check (its answer comes at 2 s): its latency is the wait
      // (a timer may fire a fraction of a millisecond before the clock reads 300).
      expect(results.slow?.latencyMs).toBeGreaterThanOrEqual(299);
      // Each latency is measured, within the time the checks took as seen from here, and an
      // answered check's latency is within its own timeout.
      for (const check of checks) {
        const latency = results[check.name]?.latencyMs ?? -1;
        expect(latency).toBeGreaterThan(0);
        expect(latency).toBeLessThanOrEqual(observed);
        if (check.name !== 'slow') expect(latency).toBeLessThanOrEqual(check.timeoutMs);
      }
    } finally {
      tcp.close();
      http.closeAllConnections();
      http.close();
    }
  });
});
