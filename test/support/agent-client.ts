import {
  type AgentFrame,
  type CollectorFrame,
  decodeCollectorFrame,
  encodeFrame,
  type HelloFrame,
  type WelcomeFrame,
} from '@pantau/shared';
import WebSocket from 'ws';
import { sampleHello } from '../fixtures/samples.ts';
import { until } from './until.ts';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A raw protocol client for tests and benchmarks: speaks the frames by hand, records what the
 * collector sends, and validates every frame it receives with the shared decoder.
 */
export class RawAgent {
  readonly ws: WebSocket;
  readonly frames: CollectorFrame[] = [];
  readonly closed: Promise<Closed>;
  highestAck = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const result = decodeCollectorFrame(data as Buffer);
      if (!result.ok) throw new Error(`collector sent an invalid frame: ${result.error.message}`);
      if (result.frame.t === 'ack') this.highestAck = Math.max(this.highestAck, result.frame.seq);
      this.frames.push(result.frame);
    });
  }

  /** Opens a socket; rejects with an error carrying `status` when the upgrade is refused. */
  static connect(
    url: string,
    token: string | null,
    options: { maxPayload?: number } = {},
  ): Promise<RawAgent> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
        maxPayload: options.maxPayload ?? 16 * 1024 * 1024,
      });
      const agent = new RawAgent(ws);
      ws.once('open', () => resolve(agent));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () =>
          reject(
            Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body }),
          ),
        );
      });
      ws.once('error', (err) => reject(err));
    });
  }

  send(frame: AgentFrame | string | Buffer, options: { binary?: boolean } = {}): void {
    const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : encodeFrame(frame);
    this.ws.send(data, { binary: options.binary ?? false });
  }

  async hello(overrides: Partial<HelloFrame> = {}): Promise<WelcomeFrame> {
    this.send(sampleHello(overrides));
    return (await this.next('welcome')) as WelcomeFrame;
  }

  /** The first frame of this kind received so far (or the next one to arrive). */
  async next<K extends CollectorFrame['t']>(
    kind: K,
    timeoutMs = 5_000,
  ): Promise<Extract<CollectorFrame, { t: K }>> {
    await this.until(() => this.frames.some((f) => f.t === kind), timeoutMs, `a ${kind} frame`);
    return this.frames.find((f) => f.t === kind) as Extract<CollectorFrame, { t: K }>;
  }

  waitAck(seq: number, timeoutMs = 5_000): Promise<void> {
    return this.until(() => this.highestAck >= seq, timeoutMs, `ack ≥ ${seq} (have ${this.highestAck})`);
  }

  /** The shared `until`, naming a closed socket as the reason when the wait fails. */
  async until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    await until(
      what,
      () => {
        if (test()) return true;
        if (this.ws.readyState === WebSocket.CLOSED) throw new Error('the socket is closed');
        return false;
      },
      timeoutMs,
    );
  }

  close(): void {
    this.ws.close();
  }
}

/** The HTTP status the collector answers an upgrade with (401, 429, ...). */
export async function upgradeStatus(url: string, token: string | null): Promise<number> {
  try {
    const agent = await RawAgent.connect(url, token);
    agent.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}
