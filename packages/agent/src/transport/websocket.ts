import { isUtf8 } from 'node:buffer';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { systemTimers, type Timers } from '../clock.ts';

/**
 * A WebSocket client (RFC 6455) over node:net, or node:tls for wss://, with the part of the
 * `ws` client API the agent uses. `ws` needs node:http and node:https for the upgrade, which
 * cost the agent ~6 MB of memory; this client writes the upgrade request itself and only loads
 * TLS for wss://. No extensions (no permessage-deflate), no subprotocols, no redirects.
 */

export interface WebSocketOptions {
  headers?: Record<string, string>;
  /** The whole opening handshake (connect, TLS, upgrade) must finish within this. */
  handshakeTimeout?: number;
  /** Largest message accepted, in bytes; a larger one closes the socket with 1009. */
  maxPayload?: number;
  /** PEM CA certificates trusted for wss:// instead of the system's. */
  ca?: string;
  /** The handshake and closing deadlines' timers; default the global ones. */
  timers?: Timers;
}

interface Events {
  upgrade: [];
  open: [];
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** The server answered the upgrade with another HTTP status; the socket is then closed. */
  'unexpected-response': [statusCode: number];
  error: [err: Error];
  close: [code: number, reason: Buffer];
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HEADER_BYTES = 16 * 1024;
/** How long a close handshake may take before the socket is cut. */
const CLOSE_TIMEOUT_MS = 30_000;

const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;
const OPCODES: ReadonlySet<number> = new Set(Object.values(Op));

export class WebSocket extends EventEmitter<Events> {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readyState: number = WebSocket.CONNECTING;
  readonly url: string;
  readonly #maxPayload: number;
  #socket: Socket | undefined;
  #key = randomBytes(16).toString('base64');
  #buffered: Buffer = Buffer.alloc(0);
  #upgraded = false;
  #fragments: Buffer[] = [];
  #fragmentsBytes = 0;
  #fragmentsBinary = false;
  #closeSent = false;
  #closeCode = 1006;
  #closeReason: Buffer = Buffer.alloc(0);
  readonly #timers: Timers;
  #timer: unknown;
  #mask = Buffer.alloc(4);

  constructor(url: string, options: WebSocketOptions = {}) {
    super();
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
      throw new SyntaxError(`the URL's protocol must be ws: or wss:, not ${parsed.protocol}`);
    this.url = url;
    this.#maxPayload = options.maxPayload ?? 100 * 1024 * 1024;
    this.#timers = options.timers ?? systemTimers;
    const secure = parsed.protocol === 'wss:';
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(parsed.port) || (secure ? 443 : 80);
    const request = [
      `GET ${parsed.pathname}${parsed.search} HTTP/1.1`,
      `Host: ${parsed.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.#key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n');
    if (options.handshakeTimeout)
      this.#timer = this.#timers.setTimeout(
        () => this.#fail(new Error('Opening handshake has timed out')),
        options.handshakeTimeout,
      );
    void this.#connect(secure, host, port, options.ca)
      .then((socket) => {
        this.#socket = socket;
        if (this.readyState !== WebSocket.CONNECTING) {
          socket.destroy();
          return;
        }
        socket.on('data', (chunk: Buffer) => this.#onData(chunk));
        socket.on('error', (err) => this.#fail(err));
        socket.on('close', () => this.#onSocketClose());
        socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(request));
      })
      .catch((err: Error) => this.#fail(err));
  }

  /** Bytes queued in the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.#socket?.writableLength ?? 0;
  }

  send(data: string | Buffer): void {
    if (this.readyState !== WebSocket.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.#frame(typeof data === 'string' ? Op.Text : Op.Binary, payload);
  }

  ping(data: Buffer = Buffer.alloc(0)): void {
    if (this.readyState === WebSocket.OPEN) this.#frame(Op.Ping, data);
  }

  /** Starts the closing handshake; the socket is cut if the server does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === WebSocket.CLOSED) return;
    if (this.readyState === WebSocket.CONNECTING) {
      this.#fail(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.#sendClose(code, reason);
  }

  /** Cuts the connection at once. */
  terminate(): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSING;
    if (this.#socket) this.#socket.destroy();
    else this.#finish();
  }

  async #connect(secure: boolean, host: string, port: number, ca: string | undefined): Promise<Socket> {
    if (!secure) return netConnect({ host, port });
    // TLS only when needed: it is a few MB of memory the plain ws:// case does without.
    const { connect } = await import('node:tls');
    return connect({
      host,
      port,
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
      ...(ca === undefined ? {} : { ca }),
    });
  }

  #fail(err: Error): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSING;
    this.emit('error', err);
    if (this.#socket && !this.#socket.destroyed) this.#socket.destroy();
    else this.#finish();
  }

  #onSocketClose(): void {
    this.#finish();
  }

  #finish(): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.#timers.clearTimeout(this.#timer);
    this.readyState = WebSocket.CLOSED;
    this.emit('close', this.#closeCode, this.#closeReason);
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    if (!this.#upgraded && !this.#handshake()) return;
    this.#frames();
  }

  /** Parses the server's answer to the upgrade; true once upgraded. */
  #handshake(): boolean {
    const end = this.#buffered.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.#buffered.length > MAX_HEADER_BYTES) this.#fail(new Error('upgrade response too large'));
      return false;
    }
    const lines = this.#buffered.toString('latin1', 0, end).split('\r\n');
    this.#buffered = this.#buffered.subarray(end + 4);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (status !== 101) {
      this.emit('unexpected-response', status);
      this.terminate();
      return false;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const accept = createHash('sha1')
      .update(this.#key + GUID)
      .digest('base64');
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      this.#fail(new Error('Invalid Upgrade header'));
      return false;
    }
    if (headers.get('sec-websocket-accept') !== accept) {
      this.#fail(new Error('Invalid Sec-WebSocket-Accept header'));
      return false;
    }
    if (headers.has('sec-websocket-extensions') || headers.has('sec-websocket-protocol')) {
      this.#fail(new Error('Server sent an extension or subprotocol that was not requested'));
      return false;
    }
    this.#upgraded = true;
    this.#timers.clearTimeout(this.#timer);
    this.readyState = WebSocket.OPEN;
    this.emit('upgrade');
    this.emit('open');
    return true;
  }

  /** Takes every complete frame off the buffer. */
  #frames(): void {
    while (this.readyState === WebSocket.OPEN || this.readyState === WebSocket.CLOSING) {
      const b = this.#buffered;
      if (b.length < 2) return;
      const fin = (b[0] as number) & 0x80;
      const rsv = (b[0] as number) & 0x70;
      const op = (b[0] as number) & 0x0f;
      const masked = (b[1] as number) & 0x80;
      let length = (b[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.#maxPayload)) {
          this.#protocolError(1009, 'Max payload size exceeded');
          return;
        }
        length = Number(big);
        offset = 10;
      }
      if (rsv !== 0) {
        this.#protocolError(1002, 'RSV bits must be clear');
        return;
      }
      if (masked) {
        this.#protocolError(1002, 'a server must not mask its frames');
        return;
      }
      const control = op >= 0x8;
      if (control && (!fin || length > 125)) {
        this.#protocolError(1002, 'invalid control frame');
        return;
      }
      if (!OPCODES.has(op)) {
        this.#protocolError(1002, `invalid opcode ${op}`);
        return;
      }
      if (!control && this.#fragmentsBytes + length > this.#maxPayload) {
        this.#protocolError(1009, 'Max payload size exceeded');
        return;
      }
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      this.#buffered = b.subarray(offset + length);
      if (control) this.#control(op, Buffer.from(payload));
      else if (!this.#data(op, fin !== 0, payload)) return;
    }
  }

  /** A data frame; false when it ended the connection. */
  #data(op: number, fin: boolean, payload: Buffer): boolean {
    const continuing = this.#fragments.length > 0 || this.#fragmentsBytes > 0;
    if (op === Op.Continuation ? !continuing : continuing) {
      this.#protocolError(1002, op === Op.Continuation ? 'unexpected continuation' : 'expected continuation');
      return false;
    }
    if (op !== Op.Continuation) this.#fragmentsBinary = op === Op.Binary;
    this.#fragments.push(Buffer.from(payload));
    this.#fragmentsBytes += payload.length;
    if (!fin) return true;
    const message =
      this.#fragments.length === 1 ? (this.#fragments[0] as Buffer) : Buffer.concat(this.#fragments);
    const binary = this.#fragmentsBinary;
    this.#fragments = [];
    this.#fragmentsBytes = 0;
    if (!binary && !isUtf8(message)) {
      this.#protocolError(1007, 'invalid UTF-8 in a text message');
      return false;
    }
    if (this.readyState === WebSocket.OPEN) this.emit('message', message, binary);
    return true;
  }

  #control(op: number, payload: Buffer): void {
    if (op === Op.Ping) {
      if (this.readyState === WebSocket.OPEN) this.#frame(Op.Pong, payload);
      this.emit('ping', payload);
    } else if (op === Op.Pong) {
      this.emit('pong', payload);
    } else {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#closeCode = code;
      this.#closeReason = payload.subarray(2);
      if (!this.#closeSent) this.#sendClose(code === 1005 ? 1000 : code, '');
      this.#socket?.end();
    }
  }

  #protocolError(code: number, message: string): void {
    this.#buffered = Buffer.alloc(0);
    this.emit('error', new RangeError(message));
    this.#sendClose(code, '');
    this.#closeCode = 1006;
  }

  #sendClose(code: number, reason: string): void {
    if (this.#closeSent || !this.#socket) return;
    this.#closeSent = true;
    const text = Buffer.from(reason, 'utf8').subarray(0, 123);
    const payload = Buffer.alloc(2 + text.length);
    payload.writeUInt16BE(code, 0);
    text.copy(payload, 2);
    this.#frame(Op.Close, payload);
    this.readyState = WebSocket.CLOSING;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = this.#timers.setTimeout(() => this.#socket?.destroy(), CLOSE_TIMEOUT_MS);
  }

  /** Writes one final, masked frame (clients must mask). */
  #frame(op: number, payload: Buffer): void {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return;
    const n = payload.length;
    const head = n < 126 ? 6 : n < 65_536 ? 8 : 14;
    // The payload starts 4-byte aligned in its own memory, so it is masked a 32-bit word at a
    // time: under --lite-mode (no optimizing compiler) a loop over bytes costs ~0.5 ms per 10 KB.
    const pad = (4 - (head % 4)) % 4;
    const frame = Buffer.allocUnsafeSlow(pad + head + n).subarray(pad);
    frame[0] = 0x80 | op;
    if (n < 126) frame[1] = 0x80 | n;
    else if (n < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(n), 2);
    }
    const mask = randomFillSync(this.#mask);
    mask.copy(frame, head - 4);
    payload.copy(frame, head);
    const words = new Uint32Array(frame.buffer, frame.byteOffset + head, n >>> 2);
    const word = new Uint32Array(Uint8Array.from(mask).buffer)[0] as number; // the mask in this host's byte order
    for (let i = 0; i < words.length; i++) words[i] = (words[i] as number) ^ word;
    for (let i = n & ~3; i < n; i++) frame[head + i] = (frame[head + i] as number) ^ (mask[i & 3] as number);
    socket.write(frame);
  }
}
