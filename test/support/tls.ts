import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface TestPki {
  /** The CA certificate agents and clients trust. */
  ca: string;
  cert: string;
  key: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A test CA made now with openssl, and a server certificate it signs for `dns` (localhost) and
 * 127.0.0.1. Files are named with `name` inside `dir`.
 */
export function makePki(dir: string, name: string, dns = 'localhost'): TestPki {
  const f = (suffix: string) => join(dir, `${name}-${suffix}`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    `/CN=Pantau test CA ${name}`,
  ]);
  run(['req', ...EC, '-keyout', f('key.pem'), '-out', f('csr.pem'), '-subj', `/CN=${dns}`]);
  writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${dns},IP:127.0.0.1\n`);
  run([
    ...['x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial'],
    ...['-out', f('cert.pem'), '-days', '1', '-extfile', f('ext.cnf')],
  ]);
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

/** One HTTPS request trusting only `ca`; resolves with status and body, rejects on a TLS failure. */
export function httpsCall(
  url: string,
  ca: string | Buffer,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        // A new connection and handshake each time: no kept-alive socket, no resumed session.
        agent: false,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
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
