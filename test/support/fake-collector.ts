import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AgentFrame,
  CloseCodes,
  type CollectorFrame,
  decodeAgentFrame,
  encodeFrame,
  errorFrame,
  type HelloFrame,
  PROTOCOL_VERSION,
  type Snapshot,
} from '@pantau/shared';
import { type WebSocket, WebSocketServer } from 'ws';
import { until } from './until.ts';

export interface FakeCollectorOptions {
  /** Bearer token the upgrade must carry; anything else gets HTTP 401. */
  token?: string;
  /** Highest committed sequence at the start, as if the database already held it. */
  lastSeq?: number;
  /** Send `ack` after each stored frame. Default true. */
  autoAck?: boolean;
  /** Answer WebSocket pings (a dead collector does not). Default true. */
  autoPong?: boolean;
  /** Settings sent in `welcome`. */
  settings?: { intervalMs?: number };
}

/**
 * A minimal collector that speaks protocol v1 over a real WebSocket server: it checks the token,
 * validates every agent frame with the shared decoder, answers hello with welcome (carrying the
 * committed sequence), stores snapshots deduplicated by seq and acks them. Its "database" (the
 * committed sequence and what was stored) survives stop() and start() on the same port, like a
 * collector process that is killed and comes back.
 */
export class FakeCollector extends EventEmitter {
  readonly options: FakeCollectorOptions;
  /** Sequence numbers as they arrived, duplicates included. */
  readonly arrivals: number[] = [];
  /** Snapshots stored, in commit order. */
  readonly stored: Snapshot[] = [];
  readonly hellos: HelloFrame[] = [];
  readonly frames: AgentFrame[] = [];
  /** Frames that failed validation; a correct agent never sends one. */
  readonly invalid: string[] = [];
  /** Close codes and reasons of agent sockets, as the server saw them. */
  readonly closes: Array<{ code: number; reason: string }> = [];
  batches = 0;
  connections = 0;
  unauthorized = 0;
  committed: number;
  #server: WebSocketServer | undefined;
  #socket: WebSocket | undefined;
  #port = 0;

  constructor(options: FakeCollectorOptions = {}) {
    super();
    this.options = options;
    this.committed = options.lastSeq ?? 0;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.#port}/agent`;
  }

  get socket(): WebSocket | undefined {
    return this.#socket;
  }

  /** Listens on port 0 the first time and on the same port after a stop. */
  async start(): Promise<void> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: this.#port,
      path: '/agent',
      autoPong: this.options.autoPong ?? true,
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
        const ok = !this.options.token || info.req.headers.authorization === `Bearer ${this.options.token}`;
        if (!ok) this.unauthorized++;
        done(ok, 401);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    server.on('connection', (ws) => this.#accept(ws));
  }

  /** Drops every socket without a close frame and stops listening, like a killed process. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#socket = undefined;
  }

  /** Sends a frame (or raw text, to test the agent's validation) to the current agent. */
  send(frame: CollectorFrame | string): void {
    this.#socket?.send(typeof frame === 'string' ? frame : encodeFrame(frame));
  }

  close(code: number, reason: string): void {
    this.#socket?.close(code, reason);
  }

  /** Resolves when `predicate` holds. */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    await until(what, predicate, timeoutMs);
  }

  /** Frames of one kind, in arrival order. */
  framesOf<K extends AgentFrame['t']>(t: K): Extract<AgentFrame, { t: K }>[] {
    return this.frames.filter((f): f is Extract<AgentFrame, { t: K }> => f.t === t);
  }

  #accept(ws: WebSocket): void {
    this.connections++;
    this.#socket = ws;
    let welcomed = false;
    ws.on('close', (code, reason) => {
      this.closes.push({ code, reason: reason.toString() });
      this.emit('close', code);
    });
    ws.on('message', (data, isBinary) => {
      const decoded = isBinary ? undefined : decodeAgentFrame(data as Buffer);
      if (!decoded?.ok) {
        const message = decoded ? decoded.error.message : 'binary frame';
        this.invalid.push(message);
        ws.send(encodeFrame(errorFrame(decoded ? decoded.error.code : 'INVALID_FRAME', message)));
        ws.close(CloseCodes.INVALID_FRAME, message.slice(0, 120));
        return;
      }
      const frame = decoded.frame;
      this.frames.push(frame);
      this.emit('frame', frame);
      if (frame.t === 'hello') {
        this.hellos.push(frame);
        welcomed = true;
        ws.send(
          encodeFrame({
            t: 'welcome',
            protocol: PROTOCOL_VERSION,
            hostId: 'host-1',
            hostName: frame.system.hostname,
            lastSeq: this.committed,
            serverTime: Date.now(),
            settings: this.options.settings ?? {},
          }),
        );
        return;
      }
      if (!welcomed) {
        this.invalid.push(`${frame.t} before hello`);
        ws.close(CloseCodes.PROTOCOL_VIOLATION, 'hello first');
        return;
      }
      if (frame.t === 'metrics' || frame.t === 'metrics.batch') {
        const snapshots = frame.t === 'metrics' ? [frame.snapshot] : frame.snapshots;
        if (frame.t === 'metrics.batch') this.batches++;
        for (const s of snapshots) {
          this.arrivals.push(s.seq);
          if (s.seq > this.committed) {
            this.stored.push(s);
            this.committed = s.seq;
          }
        }
        if (this.options.autoAck ?? true) ws.send(encodeFrame({ t: 'ack', seq: this.committed }));
      }
    });
  }
}
