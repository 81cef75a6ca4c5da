import { connect as netConnect, type Socket } from 'node:net';
import { systemTimers, type Timers } from '../clock.ts';

/**
 * One HTTP/1.1 GET over the agent's own socket code. node:http costs an agent about 12 MB of
 * memory once loaded (measured, docs/benchmarks.md), fetch needs WebAssembly that --lite-mode
 * turns off; a check needs only the status line and the first bytes of the body.
 */
export interface GetOptions {
  timeoutMs: number;
  /** Accept any TLS certificate. */
  insecure: boolean;
  /** Read the body up to this many bytes; 0 stops after the status line and headers. */
  bodyLimit: number;
  /** The deadline's timers; default the global ones. */
  timers?: Timers;
}

export interface GetResult {
  status: number;
  body: Buffer;
}

const MAX_HEAD = 64 * 1024;

export async function httpGet(url: URL, options: GetOptions): Promise<GetResult> {
  const secure = url.protocol === 'https:';
  const timers = options.timers ?? systemTimers;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 443 : 80);
  let socket: Socket;
  if (secure) {
    // Only HTTPS checks pay for TLS (wss:// loads it anyway).
    const { connect } = await import('node:tls');
    socket = connect({
      host,
      port,
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
      rejectUnauthorized: !options.insecure,
      ALPNProtocols: ['http/1.1'],
    });
  } else {
    socket = netConnect({ host, port });
  }
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    let status = 0;
    let headers = '';
    const raw: Buffer[] = [];
    let rawLength = 0;
    let settled = false;
    const finish = (err: Error | null, result?: GetResult) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result as GetResult);
    };
    const timer = timers.setTimeout(
      () => finish(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const body = (complete: boolean) => {
      const all = Buffer.concat(raw, rawLength);
      if (/^transfer-encoding:[^\r\n]*chunked/im.test(headers)) {
        const decoded = dechunk(all);
        if (decoded.done || complete || decoded.data.length >= options.bodyLimit)
          finish(null, { status, body: decoded.data.subarray(0, options.bodyLimit) });
        return;
      }
      const length = /^content-length:\s*(\d+)/im.exec(headers);
      const want = Math.min(options.bodyLimit, length ? Number(length[1]) : Number.POSITIVE_INFINITY);
      if (all.length >= want || complete) finish(null, { status, body: all.subarray(0, want) });
    };
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: pantau-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (status === 0) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD) finish(new Error('response headers larger than 64 KiB'));
          return;
        }
        headers = head.subarray(0, end).toString('latin1');
        const line = /^HTTP\/1\.[01] (\d{3})/.exec(headers);
        if (!line)
          return finish(new Error(`not an HTTP/1.1 response: ${JSON.stringify(headers.slice(0, 40))}`));
        status = Number(line[1]);
        if (options.bodyLimit === 0) return finish(null, { status, body: Buffer.alloc(0) });
        chunk = head.subarray(end + 4);
        head = Buffer.alloc(0);
      }
      raw.push(chunk);
      rawLength += chunk.length;
      body(false);
    });
    socket.on('end', () => {
      if (status === 0) finish(new Error('the server closed the connection without an answer'));
      else body(true);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => {
      if (status === 0) finish(new Error('the server closed the connection without an answer'));
      else body(true);
    });
  });
}

/** Decodes as much of a chunked body as has arrived; done after the last (zero) chunk. */
export function dechunk(raw: Buffer): { data: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) break;
    if (size === 0) return { data: Buffer.concat(parts), done: true };
    const start = eol + 2;
    if (raw.length < start + size) {
      parts.push(raw.subarray(start));
      break;
    }
    parts.push(raw.subarray(start, start + size));
    at = start + size + 2;
  }
  return { data: Buffer.concat(parts), done: false };
}
