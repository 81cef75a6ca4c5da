import {
  CloseCodes,
  type CollectorFrame,
  decodeCollectorFrameLite,
  type ErrorCode,
  encodeFrame,
  errorFrame,
  FATAL_CLOSE_CODES,
  type HelloFrame,
  type JobCancelFrame,
  type JobStartFrame,
  Limits,
  type WelcomeFrame,
} from '@pantau/shared/lite';
import { type AgentTime, every, systemTime } from '../clock.ts';
import type { CollectorConfig } from '../config/types.ts';
import type { Log as Logger } from '../log.ts';
import { Backoff } from './backoff.ts';
import type { JobBacklog, JobFrame } from './job-backlog.ts';
import type { Outbox } from './outbox.ts';
import { explainTlsError } from './tls-advice.ts';
import { WebSocket } from './websocket.ts';

export interface ConnectionHandlers {
  /** Builds `hello` at each connect (system info may have changed). */
  hello(): HelloFrame;
  welcome(frame: WelcomeFrame): void;
  jobStart(frame: JobStartFrame): void;
  jobCancel(frame: JobCancelFrame): void;
  /** Told when the session becomes ready (welcomed) and when it ends. */
  state?(connected: boolean, url: string): void;
}

/** Why a session ended, for the reconnect decision. */
interface SessionEnd {
  welcomed: boolean;
  code: number;
  reason: string;
  lastedMs: number;
}

/** Stop sending while this much is queued in the socket; the outbox keeps the rest. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** A batch stays well below the 1 MiB frame limit. */
const BATCH_BYTES = 900 * 1024;
/** A welcomed session that lasted this long resets the backoff. */
const STABLE_MS = 10_000;
/** Close codes after which the agent waits `fatalDelayMs`: retrying sooner cannot help. */
const SLOW_RETRY_CODES: ReadonlySet<number> = new Set([...FATAL_CLOSE_CODES, CloseCodes.REPLACED]);

/**
 * The agent's side of the protocol: dials the collector URLs in order, says hello, resumes from
 * welcome.lastSeq, replays the outbox in batches, then streams live snapshots; reconnects with
 * backoff; pings and drops a socket that stays silent for three ping intervals.
 */
export class Connection {
  readonly #config: CollectorConfig;
  readonly #token: string;
  readonly #outbox: Outbox;
  readonly #jobBacklog: JobBacklog;
  readonly #handlers: ConnectionHandlers;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #time: AgentTime;
  #ws: WebSocket | undefined;
  #ready = false;
  #everWelcomed = false;
  #sentUpTo = 0;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    config: CollectorConfig,
    token: string,
    outbox: Outbox,
    jobBacklog: JobBacklog,
    handlers: ConnectionHandlers,
    log: Logger,
    /** Reconnect waits, the hello deadline, pings and silence; default the real clocks and timers. */
    time: AgentTime = systemTime,
  ) {
    this.#time = time;
    this.#config = config;
    this.#token = token;
    this.#outbox = outbox;
    this.#jobBacklog = jobBacklog;
    this.#handlers = handlers;
    this.#log = log;
    this.#backoff = new Backoff(config.minDelayMs, config.maxDelayMs);
  }

  /** Welcomed and able to send. */
  get ready(): boolean {
    return this.#ready;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000, 'agent stopping');
      const timer = this.#time.timers.setTimeout(() => ws.terminate(), 1_000);
      await closed;
      this.#time.timers.clearTimeout(timer);
    }
    await this.#loop;
  }

  /** Sends what the outbox holds beyond what this socket has sent; called after each new snapshot. */
  flush(): void {
    const ws = this.#ws;
    if (!this.#ready || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) return; // the next flush continues
    const entries = this.#outbox.after(this.#sentUpTo);
    if (entries.length === 0) return;
    if (entries.length === 1) {
      const [entry] = entries as [(typeof entries)[0]];
      ws.send(`{"t":"metrics","snapshot":${entry.json}}`);
      this.#sentUpTo = entry.seq;
      return;
    }
    let i = 0;
    while (i < entries.length && ws.bufferedAmount <= MAX_BUFFERED) {
      const parts: string[] = [];
      let bytes = 0;
      while (i < entries.length && parts.length < Limits.batchSnapshots) {
        const entry = entries[i] as (typeof entries)[0];
        if (parts.length > 0 && bytes + entry.json.length > BATCH_BYTES) break;
        parts.push(entry.json);
        bytes += entry.json.length + 1;
        i++;
      }
      ws.send(`{"t":"metrics.batch","snapshots":[${parts.join(',')}]}`);
      this.#sentUpTo = (entries[i - 1] as (typeof entries)[0]).seq;
    }
    this.#log.debug({ sentUpTo: this.#sentUpTo, backlog: entries.length }, 'replayed backlog');
  }

  /** True while the socket's send buffer is full: job output waits (and its process with it). */
  congested(): boolean {
    const ws = this.#ws;
    return this.#ready && ws !== undefined && ws !== null && ws.bufferedAmount > MAX_BUFFERED;
  }

  /** Sends a job frame when welcomed and nothing older waits; otherwise the backlog keeps it for the next welcome. */
  send(frame: JobFrame): void {
    const ws = this.#ws;
    if (!this.#ready || !ws || ws.readyState !== WebSocket.OPEN || this.#jobBacklog.size > 0) {
      this.#jobBacklog.push(frame);
      return;
    }
    ws.send(encodeFrame(frame));
  }

  /** Job frames held while disconnected go first after welcome, in the order they were made. */
  #sendJobBacklog(ws: WebSocket): void {
    if (this.#jobBacklog.size === 0) return;
    const dropped = this.#jobBacklog.dropped;
    const frames = this.#jobBacklog.drain();
    for (const frame of frames) ws.send(encodeFrame(frame));
    this.#log.info(
      { frames: frames.length, droppedSinceStart: dropped },
      'sent job frames held while disconnected',
    );
  }

  async #run(): Promise<void> {
    const urls = this.#config.urls;
    let index = 0;
    while (!this.#stopped) {
      const url = urls[index] as string;
      const end = await this.#session(url);
      if (this.#stopped) break;
      let delay: number;
      if (SLOW_RETRY_CODES.has(end.code)) {
        const what =
          end.code === CloseCodes.REPLACED
            ? 'another connection with this host token replaced this one; is a second agent running with the same token?'
            : end.code === CloseCodes.UNAUTHORIZED
              ? 'the collector refused the token; check token / PANTAU_TOKEN against the host in the collector'
              : 'the collector does not speak this protocol version; upgrade the agent or the collector';
        this.#log.error(
          { url, code: end.code, reason: end.reason, retryInMs: this.#config.fatalDelayMs },
          `collector closed the connection: ${what}`,
        );
        index = (index + 1) % urls.length;
        delay = this.#config.fatalDelayMs;
      } else if (end.welcomed) {
        if (end.lastedMs >= STABLE_MS) this.#backoff.reset();
        index = 0;
        delay = this.#backoff.next();
      } else if (index + 1 < urls.length) {
        index++;
        continue; // failover: the next URL right away
      } else {
        index = 0;
        delay = this.#backoff.next();
      }
      this.#log.info({ delayMs: delay, next: urls[index] }, 'reconnecting');
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timers = this.#time.timers;
      const timer = timers.setTimeout(done, ms);
      function done() {
        timers.clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #session(url: string): Promise<SessionEnd> {
    const started = this.#time.monotonic();
    let welcomed = false;
    let lastHeard = this.#time.monotonic();
    let code = 0;
    let reason = '';
    let refusing = false;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.#token}` },
      handshakeTimeout: this.#config.helloTimeoutMs,
      maxPayload: Limits.frameBytes,
      ...(this.#config.ca === undefined ? {} : { ca: this.#config.ca }),
      timers: this.#time.timers,
    });
    this.#ws = ws;
    this.#ready = false;
    this.#sentUpTo = 0;

    const protocolError = (errorCode: ErrorCode, message: string, closeCode: number) => {
      this.#log.warn({ url, code: errorCode, message }, 'refusing a frame from the collector');
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(encodeFrame(errorFrame(errorCode, message)));
        ws.close(closeCode, message.slice(0, 120));
      }
    };

    let helloTimer: unknown;
    let stopPings: (() => void) | undefined;

    ws.on('upgrade', () => {
      lastHeard = this.#time.monotonic();
    });
    ws.on('open', () => {
      this.#log.debug({ url }, 'connected; sending hello');
      ws.send(encodeFrame(this.#handlers.hello()));
      helloTimer = this.#time.timers.setTimeout(() => {
        this.#log.warn(
          { url, timeoutMs: this.#config.helloTimeoutMs },
          'no welcome from the collector in time',
        );
        ws.terminate();
      }, this.#config.helloTimeoutMs);
      stopPings = every(this.#time.timers, this.#config.pingIntervalMs, () => {
        if (this.#time.monotonic() - lastHeard > 3 * this.#config.pingIntervalMs) {
          this.#log.warn(
            { url, silentMs: Math.round(this.#time.monotonic() - lastHeard) },
            'collector silent for 3 ping intervals; dropping the socket',
          );
          ws.terminate();
          return;
        }
        ws.ping();
        this.flush(); // picks up a backlog held back by a full send buffer
      });
    });
    ws.on('pong', () => {
      lastHeard = this.#time.monotonic();
    });
    ws.on('ping', () => {
      lastHeard = this.#time.monotonic();
    });
    ws.on('message', (data, isBinary) => {
      lastHeard = this.#time.monotonic();
      if (isBinary) {
        protocolError(
          'INVALID_FRAME',
          'binary frames are not part of the protocol',
          CloseCodes.INVALID_FRAME,
        );
        return;
      }
      if (refusing) return; // the socket is closing over an invalid frame
      const decoded = decodeCollectorFrameLite(data);
      if (!decoded.ok) {
        refusing = true;
        protocolError(decoded.error.code, decoded.error.message, CloseCodes.INVALID_FRAME);
        return;
      }
      const frame = decoded.frame;
      if (!welcomed && frame.t !== 'welcome' && frame.t !== 'error') {
        protocolError('UNEXPECTED_FRAME', `${frame.t} before welcome`, CloseCodes.PROTOCOL_VIOLATION);
        return;
      }
      if (welcomed && frame.t === 'welcome') {
        protocolError(
          'UNEXPECTED_FRAME',
          'a second welcome on one connection',
          CloseCodes.PROTOCOL_VIOLATION,
        );
        return;
      }
      if (frame.t === 'welcome') {
        welcomed = true;
        this.#time.timers.clearTimeout(helloTimer);
      }
      this.#dispatch(frame, url);
    });
    ws.on('unexpected-response', (statusCode) => {
      // The collector answers a bad token with HTTP 401 instead of upgrading.
      code = statusCode === 401 ? CloseCodes.UNAUTHORIZED : 0;
      reason = `HTTP ${statusCode} on upgrade`;
    });
    ws.on('error', (err) => {
      reason ||= explainTlsError(err);
      this.#log.debug({ url, err: err.message }, 'socket error');
    });

    return new Promise((resolve) => {
      ws.on('close', (closeCode, closeReason) => {
        this.#time.timers.clearTimeout(helloTimer);
        stopPings?.();
        this.#ready = false;
        if (welcomed) this.#handlers.state?.(false, url);
        if (this.#ws === ws) this.#ws = undefined;
        if (code === 0 && closeCode !== 1006) code = closeCode;
        reason = closeReason.toString() || reason;
        const lastedMs = Math.round(this.#time.monotonic() - started);
        if (welcomed) this.#log.warn({ url, code: closeCode, reason }, 'disconnected from the collector');
        else this.#log.warn({ url, code, reason }, 'could not connect to the collector');
        resolve({ welcomed, code, reason, lastedMs });
      });
    });
  }

  #dispatch(frame: CollectorFrame, url: string): void {
    switch (frame.t) {
      case 'welcome': {
        const first = !this.#everWelcomed;
        this.#everWelcomed = true;
        const { renumbered, acked } = this.#outbox.welcome(frame.lastSeq, first);
        this.#log.info(
          {
            url,
            hostId: frame.hostId,
            hostName: frame.hostName,
            lastSeq: frame.lastSeq,
            renumbered,
            acked,
            backlog: this.#outbox.size,
          },
          'welcomed by the collector',
        );
        this.#handlers.welcome(frame);
        if (this.#ws) this.#sendJobBacklog(this.#ws);
        this.#ready = true;
        this.#handlers.state?.(true, url);
        this.flush();
        return;
      }
      case 'ack':
        this.#outbox.ack(frame.seq);
        return;
      case 'job.start':
        this.#handlers.jobStart(frame);
        return;
      case 'job.cancel':
        this.#handlers.jobCancel(frame);
        return;
      case 'error':
        this.#log.warn({ url, code: frame.code, message: frame.message }, 'collector reported an error');
        return;
    }
  }
}
