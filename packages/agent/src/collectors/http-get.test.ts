import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { dechunk, httpGet } from './http-get.ts';

const servers: Array<Server | NetServer> = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(server: Server | NetServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const options = { timeoutMs: 2_000, insecure: false, bodyLimit: 64 * 1024 };

describe('httpGet over the agent socket code', () => {
  it('reads status and body: content-length, chunked, until close; stops at the limit', async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('hello ');
          setTimeout(() => res.end('world'), 20);
        } else if (req.url === '/big') {
          res.end('x'.repeat(200_000));
        } else if (req.url === '/missing') {
          res.writeHead(404).end('nope');
        } else res.end(`path ${req.url} host ${req.headers.host}`);
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    const plain = await httpGet(new URL(`${base}/a?b=1`), options);
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe(`path /a?b=1 host 127.0.0.1:${port}`);
    expect((await httpGet(new URL(`${base}/chunked`), options)).body.toString()).toBe('hello world');
    expect((await httpGet(new URL(`${base}/big`), options)).body.length).toBe(64 * 1024);
    expect(await httpGet(new URL(`${base}/missing`), { ...options, bodyLimit: 0 })).toEqual({
      status: 404,
      body: Buffer.alloc(0),
    });
  });

  it('fails clearly on garbage, a silent server, a closed connection and a refused port', async () => {
    const garbage = await listen(createNetServer((s) => s.end('SSH-2.0-OpenSSH\r\n\r\n')));
    await expect(httpGet(new URL(`http://127.0.0.1:${garbage}/`), options)).rejects.toThrow(
      /not an HTTP\/1\.1 response/,
    );
    const silentServer = createNetServer(() => undefined);
    const silent = await listen(silentServer);
    const time = new FakeTime(0);
    const waiting = httpGet(new URL(`http://127.0.0.1:${silent}/`), {
      ...options,
      timeoutMs: 200,
      timers: time.timers,
    });
    await once(silentServer, 'connection');
    time.advance(200);
    await expect(waiting).rejects.toThrow(/no answer within 200 ms/);
    const closing = await listen(createNetServer((s) => s.end()));
    await expect(httpGet(new URL(`http://127.0.0.1:${closing}/`), options)).rejects.toThrow(
      /closed the connection/,
    );
    await expect(httpGet(new URL('http://127.0.0.1:1/'), options)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('speaks HTTPS, verifies the certificate unless insecure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantau-https-check-'));
    try {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
          ...[
            '-keyout',
            join(dir, 'k.pem'),
            '-out',
            join(dir, 'c.pem'),
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
          ],
        ],
        { stdio: 'ignore' },
      );
      const port = await listen(
        createHttpsServer(
          { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
          (_q, res) => res.end('secure'),
        ),
      );
      const url = new URL(`https://localhost:${port}/`);
      await expect(httpGet(url, options)).rejects.toThrow(/self[- ]signed/);
      expect((await httpGet(url, { ...options, insecure: true })).body.toString()).toBe('secure');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodes chunked bodies as far as they have arrived', () => {
    expect(dechunk(Buffer.from('5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n'))).toEqual({
      data: Buffer.from('hello world'),
      done: true,
    });
    expect(dechunk(Buffer.from('5\r\nhel'))).toEqual({ data: Buffer.from('hel'), done: false });
  });
});
