import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { until } from '../../../../test/support/until.ts';
import { WebSocket } from './websocket.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A `ws` server on a free port; resolves the URL and the server-side socket of the next client. */
async function server(options: { maxPayload?: number } = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  const { port } = wss.address() as { port: number };
  const headers: Record<string, string | string[] | undefined>[] = [];
  wss.on('connection', (_s, req) => headers.push(req.headers));
  const next = () => once(wss, 'connection').then(([s]) => s as ServerSocket);
  return { url: `ws://127.0.0.1:${port}/agent?x=1`, next, headers };
}

function client(url: string, options: ConstructorParameters<typeof WebSocket>[1] = {}) {
  const ws = new WebSocket(url, options);
  const errors: Error[] = [];
  const messages: Array<{ data: Buffer; binary: boolean }> = [];
  ws.on('error', (err) => errors.push(err));
  ws.on('message', (data, binary) => messages.push({ data, binary }));
  // Not events.once: it rejects on 'error', and errors come before 'close' here.
  const closed = new Promise<[number, Buffer]>((resolve) => ws.on('close', (...args) => resolve(args)));
  cleanups.push(() => ws.terminate());
  return { ws, errors, messages, closed };
}

describe('WebSocket client', () => {
  it('upgrades with the given headers and exchanges messages of every length encoding', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url, { headers: { authorization: 'Bearer t0k' } });
    await once(c.ws, 'open');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    const peer = await serverSide;
    expect(s.headers[0]?.authorization).toBe('Bearer t0k');
    const received: string[] = [];
    peer.on('message', (data) => received.push(String(data)));
    const sent: string[] = [];
    for (const bytes of [0, 125, 126, 65_535, 65_536, 200_000]) {
      const text = 'é'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2); // 'é' is 2 bytes
      expect(Buffer.byteLength(text)).toBe(bytes);
      sent.push(text);
      c.ws.send(text);
      peer.send(text);
    }
    await until('six messages each way', () => received.length === 6 && c.messages.length === 6);
    expect(received).toEqual(sent);
    expect(c.messages.map((m) => m.data.toString('utf8'))).toEqual(sent);
    expect(c.messages.every((m) => !m.binary)).toBe(true);
    peer.send(Buffer.from([1, 2, 3]));
    await until('the seventh message', () => c.messages.length === 7);
    expect(c.messages[6]).toEqual({ data: Buffer.from([1, 2, 3]), binary: true });
  });

  it('reassembles fragmented messages and answers pings between fragments', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url);
    await once(c.ws, 'open');
    const peer = await serverSide;
    const pongs = once(peer, 'pong');
    peer.send('hel', { fin: false });
    peer.ping(Buffer.from('p'));
    peer.send('lo', { fin: true });
    const [payload] = await pongs;
    expect(String(payload)).toBe('p');
    await until('the first message', () => c.messages.length === 1);
    expect(String(c.messages[0]?.data)).toBe('hello');
  });

  it('sends pings and reports pongs', async () => {
    const s = await server();
    const c = client(s.url);
    await once(c.ws, 'open');
    const pong = once(c.ws, 'pong');
    c.ws.ping();
    await pong;
  });

  it('completes a close started by the server, with its code and reason', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url);
    await once(c.ws, 'open');
    (await serverSide).close(4003, 'bad frame');
    const [code, reason] = await c.closed;
    expect([code, String(reason)]).toEqual([4003, 'bad frame']);
    expect(c.ws.readyState).toBe(WebSocket.CLOSED);
    expect(c.errors).toEqual([]);
  });

  it('closes with a code the server sees', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url);
    await once(c.ws, 'open');
    const peer = await serverSide;
    const seen = once(peer, 'close');
    c.ws.close(1000, 'agent stopping');
    const [code, reason] = await seen;
    expect([code, String(reason)]).toEqual([1000, 'agent stopping']);
    expect((await c.closed)[0]).toBe(1000);
  });

  it('reports an HTTP answer to the upgrade and closes', async () => {
    const http: Server = createHttpServer((_req, res) => res.writeHead(401).end('no'));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    cleanups.push(() => new Promise((r) => http.close(r)));
    const c = client(`ws://127.0.0.1:${(http.address() as { port: number }).port}/agent`);
    const [status] = await once(c.ws, 'unexpected-response');
    expect(status).toBe(401);
    expect((await c.closed)[0]).toBe(1006);
  });

  it('refuses a message over maxPayload with 1009', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url, { maxPayload: 1000 });
    await once(c.ws, 'open');
    const peer = await serverSide;
    const seen = once(peer, 'close');
    peer.send('x'.repeat(1001));
    expect((await seen)[0]).toBe(1009);
    await c.closed;
    expect(c.errors[0]?.message).toMatch(/payload/i);
    expect(c.messages).toEqual([]);
  });

  it('refuses a text message that is not UTF-8 with 1007', async () => {
    const s = await server();
    const serverSide = s.next();
    const c = client(s.url);
    await once(c.ws, 'open');
    const peer = await serverSide;
    const seen = once(peer, 'close');
    peer.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect((await seen)[0]).toBe(1007);
    expect(c.messages).toEqual([]);
  });

  it('gives up when the handshake does not finish in time, and on a refused connection', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket)); // accepts, never answers
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const time = new FakeTime(0);
    const c = client(`ws://127.0.0.1:${(silent.address() as { port: number }).port}/`, {
      handshakeTimeout: 200,
      timers: time.timers,
    });
    let closed = false;
    void c.closed.then(() => (closed = true));
    await once(silent, 'connection');
    time.advance(199);
    expect(closed).toBe(false);
    time.advance(1);
    expect((await c.closed)[0]).toBe(1006);
    expect(c.errors[0]?.message).toMatch(/handshake has timed out/);

    const port = (silent.address() as { port: number }).port;
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    const refused = client(`ws://127.0.0.1:${port}/`);
    await refused.closed;
    expect(refused.errors[0]?.message).toMatch(/ECONNREFUSED/);
  });

  it('refuses URLs that are not ws: or wss:', () => {
    expect(() => new WebSocket('http://example.com/')).toThrow(/ws: or wss:/);
  });

  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!openssl)('speaks wss:// and verifies the certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantau-wss-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=DNS:localhost'],
      ],
      { stdio: 'ignore' },
    );
    const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${data}`)));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    cleanups.push(() => new Promise((r) => https.close(r)));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const url = `wss://localhost:${(https.address() as { port: number }).port}/agent`;

    // Not trusted: the handshake fails on the certificate.
    const untrusted = client(url);
    await untrusted.closed;
    expect(untrusted.errors[0]?.message).toMatch(/self[- ]signed/i);

    // Trusted through NODE_EXTRA_CA_CERTS (read at process start, hence a child process).
    const script = `
      import { WebSocket } from ${JSON.stringify(join(import.meta.dirname, 'websocket.ts'))};
      const ws = new WebSocket(${JSON.stringify(url)});
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (data) => { process.stdout.write(String(data)); ws.close(); });
      ws.on('error', (err) => { process.stdout.write('error ' + err.message); });
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, timeout: 10_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    expect(out).toBe('echo hi');

    // Trusted through the ca option (the agent's collector.caFile), in this process.
    const trusted = new WebSocket(url, { ca: readFileSync(cert, 'utf8') });
    const reply = new Promise<string>((resolve, reject) => {
      trusted.on('message', (data) => resolve(String(data)));
      trusted.on('error', reject);
    });
    trusted.on('open', () => trusted.send('ca'));
    expect(await reply).toBe('echo ca');
    trusted.close();
    await once(trusted, 'close');
  });
});
