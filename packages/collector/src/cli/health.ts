// `pantau-collector health`: asks this machine's collector whether it is ready, the way its
// config says it serves (HTTP or HTTPS, which port), for a container HEALTHCHECK or a script.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CollectorConfig } from '../config/index.ts';

export interface HealthResult {
  ok: boolean;
  /** One line for a person or a container runtime's health log. */
  line: string;
}

/** The address to ask: the configured one, or loopback when the collector listens on all. */
function probeHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * GET /readyz on the collector this config describes. A collector serving TLS is asked over
 * HTTPS without checking its certificate: this is a loopback self-check of a process whose
 * certificate names its public host, not 127.0.0.1, and it sends no secret.
 */
export function checkHealth(config: Readonly<CollectorConfig>, timeoutMs = 4_000): Promise<HealthResult> {
  const tls = config.tls.cert !== null;
  const host = probeHost(config.host);
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.port}/readyz`;
  return new Promise((resolve) => {
    const options = { method: 'GET', timeout: timeoutMs, ...(tls ? { rejectUnauthorized: false } : {}) };
    const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4_096) body += chunk;
      });
      res.on('end', () => {
        const ok = res.statusCode === 200;
        resolve({
          ok,
          line: `${ok ? 'ready' : 'not ready'}: ${url} answered ${res.statusCode} ${body.trim()}`,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, line: `not ready: ${url}: ${err.message}` }));
    req.end();
  });
}
