import {
  type AgentFrame,
  closeCodeFor,
  decodeAgentFrame,
  type ErrorCode,
  encodeFrame,
  errorFrame,
  type HelloFrame,
  PROTOCOL_VERSION,
  type WelcomeFrame,
} from '@pantau/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Time } from '../clock.ts';
import type { OfflineReason } from '../events.ts';
import type { Host } from '../store/hosts.ts';
import type { AckTarget } from './ingest.ts';
import { TokenBucket } from './rate-limit.ts';

/** What a connection needs from the gateway around it. */
export interface ConnectionHost {
  readonly maxPayload: number;
  readonly frameRate: number;
  readonly frameBurst: number;
  readonly helloTimeout: number;
  readonly time: Time;
  countFrame(rejected: boolean): void;
  /** Claims the host for this connection (replacing an older one) and returns the welcome. */
  welcome(conn: AgentConnection, hello: HelloFrame): WelcomeFrame;
  ingest(
    conn: AgentConnection,
    frame: Extract<AgentFrame, { t: 'metrics' | 'metrics.batch' }>,
    at: number,
  ): void;
  jobFrame(conn: AgentConnection, frame: Extract<AgentFrame, { t: `job.${string}` }>): void;
  closed(conn: AgentConnection, reason: OfflineReason): void;
}

type Handler = (conn: AgentConnection, frame: AgentFrame, at: number) => void;

/** kind → handler; decodeAgentFrame already refused unknown kinds with their name. */
const handlers: Record<AgentFrame['t'], Handler> = {
  hello: (conn, frame) => conn.onHello(frame as HelloFrame),
  metrics: (conn, frame, at) => conn.gateway.ingest(conn, frame as Extract<AgentFrame, { t: 'metrics' }>, at),
  'metrics.batch': (conn, frame, at) =>
    conn.gateway.ingest(conn, frame as Extract<AgentFrame, { t: 'metrics.batch' }>, at),
  'job.output': (conn, frame) =>
    conn.gateway.jobFrame(conn, frame as Extract<AgentFrame, { t: 'job.output' }>),
  'job.end': (conn, frame) => conn.gateway.jobFrame(conn, frame as Extract<AgentFrame, { t: 'job.end' }>),
  'job.rejected': (conn, frame) =>
    conn.gateway.jobFrame(conn, frame as Extract<AgentFrame, { t: 'job.rejected' }>),
  error: (conn, frame) => {
    const f = frame as Extract<AgentFrame, { t: 'error' }>;
    conn.log.warn({ code: f.code, agentMessage: f.message }, 'agent reported an error');
  },
};

const unsupported = (version: unknown) =>
  `protocol ${version} is not supported; this collector speaks ${PROTOCOL_VERSION}`;

/**
 * A hello from a newer agent may not match the v1 schema at all; answer it with the version
 * problem rather than a schema error, so the agent's operator knows what to do.
 */
function futureProtocol(data: Buffer): number | null {
  if (data.length > 64 * 1024) return null;
  try {
    const value = JSON.parse(data.toString('utf8')) as { t?: unknown; protocol?: unknown };
    return value.t === 'hello' && typeof value.protocol === 'number' && value.protocol !== PROTOCOL_VERSION
      ? value.protocol
      : null;
  } catch {
    return null;
  }
}

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/** One agent's socket: validates every frame, enforces order and rate, and acks after commits. */
export class AgentConnection implements AckTarget {
  readonly hostId: number;
  readonly hostName: string;
  readonly gateway: ConnectionHost;
  readonly log: FastifyBaseLogger;
  readonly openedAt: number;
  state: 'awaiting-hello' | 'ready' | 'closing' = 'awaiting-hello';
  lastFrameAt: number;
  lastPongAt: number;
  /** The last sign of life from the agent: a frame or a pong. */
  get lastHeardAt(): number {
    return Math.max(this.lastFrameAt, this.lastPongAt);
  }
  intervalMs = 5_000;
  #offlineReason: OfflineReason = 'closed';
  readonly #ws: WebSocket;
  readonly #bucket: TokenBucket;
  readonly #helloTimer: unknown;

  constructor(ws: WebSocket, host: Host, gateway: ConnectionHost, log: FastifyBaseLogger) {
    this.#ws = ws;
    this.hostId = host.id;
    this.hostName = host.name;
    this.gateway = gateway;
    this.log = log;
    this.openedAt = gateway.time.now();
    this.lastFrameAt = this.openedAt;
    this.lastPongAt = this.openedAt;
    this.#bucket = new TokenBucket(gateway.frameRate, gateway.frameBurst, this.openedAt);
    this.#helloTimer = gateway.time.timers.setTimeout(() => {
      if (this.state === 'awaiting-hello') {
        this.fail('UNEXPECTED_FRAME', `no hello within ${gateway.helloTimeout} ms of connecting`);
      }
    }, gateway.helloTimeout);
    this.#answerOversizedFrames(ws);
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.lastPongAt = gateway.time.now();
    });
    ws.on('close', () => {
      gateway.time.timers.clearTimeout(this.#helloTimer);
      this.state = 'closing';
      gateway.closed(this, this.#offlineReason);
    });
  }

  /**
   * ws refuses a frame beyond its own limit (4 × ours) from the header alone and closes with
   * 1009; answer it like any oversized frame instead (error frame, 4003, one warning).
   */
  #answerOversizedFrames(ws: WebSocket): void {
    const close = ws.close.bind(ws);
    ws.close = (code?: number, reason?: string | Buffer) => {
      if (code !== 1009 || this.state === 'closing') return close(code, reason);
      this.gateway.countFrame(true);
      this.fail(
        'FRAME_TOO_LARGE',
        `frame exceeds ${this.gateway.maxPayload} bytes (announced far beyond it)`,
      );
    };
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closing') return;
    const at = this.gateway.time.now();
    this.lastFrameAt = at;
    if (!this.#bucket.take(at)) {
      this.gateway.countFrame(true);
      this.#offlineReason = 'rate-limited';
      this.fail(
        'RATE_LIMITED',
        `more than ${this.gateway.frameRate} frames/s (burst ${this.gateway.frameBurst})`,
      );
      return;
    }
    if (isBinary) {
      this.gateway.countFrame(true);
      this.fail('INVALID_FRAME', 'binary frames are not accepted; send JSON text frames');
      return;
    }
    const result = decodeAgentFrame(data, this.gateway.maxPayload);
    if (!result.ok) {
      this.gateway.countFrame(true);
      const future = this.state === 'awaiting-hello' ? futureProtocol(data) : null;
      if (future !== null) {
        this.fail('UNSUPPORTED_PROTOCOL', unsupported(future));
      } else {
        this.fail(result.error.code, result.error.message);
      }
      return;
    }
    const frame = result.frame;
    if ((this.state === 'awaiting-hello') !== (frame.t === 'hello')) {
      this.gateway.countFrame(true);
      this.fail(
        'UNEXPECTED_FRAME',
        this.state === 'awaiting-hello'
          ? `expected hello first, got ${frame.t}`
          : 'hello was already received',
      );
      return;
    }
    this.gateway.countFrame(false);
    handlers[frame.t](this, frame, at);
  }

  onHello(hello: HelloFrame): void {
    this.gateway.time.timers.clearTimeout(this.#helloTimer);
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.#offlineReason = 'protocol-error';
      this.fail('UNSUPPORTED_PROTOCOL', unsupported(hello.protocol));
      return;
    }
    this.intervalMs = hello.intervalMs;
    const welcome = this.gateway.welcome(this, hello);
    if (this.state === 'closing') return;
    this.state = 'ready';
    this.#send(encodeFrame(welcome));
  }

  ack(seq: number): void {
    if (this.state === 'ready') this.#send(`{"t":"ack","seq":${seq}}`);
  }

  refuse(reason: string): void {
    this.fail('INVALID_FRAME', reason);
  }

  /** Sends an error frame and a warn log, and keeps the connection (for a problem with one frame's content). */
  report(code: ErrorCode, message: string): void {
    this.log.warn({ host: this.hostName, code, reason: message }, 'refused an agent frame');
    this.#send(encodeFrame(errorFrame(code, message)));
  }

  /** Sends an encoded frame; false when the socket is not open. */
  sendText(text: string): boolean {
    if (this.#ws.readyState !== this.#ws.OPEN) return false;
    this.#ws.send(text);
    return true;
  }

  /** Sends an error frame, then closes with the matching 4xxx code. */
  fail(code: ErrorCode, message: string, reason: OfflineReason = 'protocol-error'): void {
    if (this.state === 'closing') return;
    if (this.#offlineReason === 'closed') this.#offlineReason = reason;
    this.log.warn({ host: this.hostName, code, reason: message }, 'closing agent connection');
    this.#send(encodeFrame(errorFrame(code, message)));
    this.close(closeCodeFor(code), message, this.#offlineReason);
  }

  close(code: number, reason: string, offline: OfflineReason): void {
    if (this.state === 'closing') return;
    this.#offlineReason = offline;
    this.state = 'closing';
    this.#ws.close(code, closeReason(reason));
    // A peer that never answers the close handshake is cut off.
    this.gateway.time.timers.setTimeout(() => this.#ws.terminate(), 2_000);
  }

  terminate(offline: OfflineReason): void {
    this.#offlineReason = offline;
    this.#ws.terminate();
  }

  ping(): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }

  #send(text: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(text);
  }
}
