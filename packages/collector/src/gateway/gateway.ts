import {
  type AgentFrame,
  type CollectorFrame,
  encodeFrame,
  type HelloFrame,
  PROTOCOL_VERSION,
  type WelcomeFrame,
} from '@pantau/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { every, systemTime, type Time } from '../clock.ts';
import type { EventBus, OfflineReason } from '../events.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import { AgentConnection, type ConnectionHost } from './connection.ts';
import { IngestQueue } from './ingest.ts';
import { GatewayStats } from './stats.ts';

export type AgentJobFrame = Extract<AgentFrame, { t: `job.${string}` }>;

/**
 * What the jobs dispatcher makes of a job frame: taken, late (the run ended already, e.g. lost
 * after a restart: dropped quietly), or unknown (never sent to this host: a protocol error).
 */
export type JobFrameVerdict = 'ok' | 'late' | 'unknown';

/** The `gateway` section of the collector's config (config/ composes it). */
export interface GatewayConfig {
  /** Largest WebSocket message in bytes. Default 1048576 (1 MiB). */
  maxPayload: number;
  /** Sustained frames per second allowed per agent connection. Default 20. */
  frameRate: number;
  /** Frames an agent may send in a burst above the sustained rate. Default 200. */
  frameBurst: number;
  /** Time an agent has to send hello after the upgrade, ms. Default 10 s. */
  helloTimeout: number;
  /** Interval between WebSocket pings, ms. Default 1 s. */
  pingInterval: number;
  /** A connection with nothing heard (pong or frame) for this long is cut: a silent host loss, ms. Default 8 s. */
  silentAfter: number;
  /** Agent token failures per client address per minute before answering 429. Default 30. */
  authFailuresPerMinute: number;
}

/**
 * Every agent connection, the one live connection per host, and the ingest queue behind them.
 * A connection's failure stays with that connection: nothing here throws into another's path.
 */
export class Gateway implements ConnectionHost {
  readonly stats = new GatewayStats();
  readonly ingestQueue: IngestQueue;
  readonly maxPayload: number;
  readonly frameRate: number;
  readonly frameBurst: number;
  readonly helloTimeout: number;
  /** Clock and timers of the heartbeat, the hello and close deadlines and the ingest flush. */
  readonly time: Time;
  /** hostId → the connection that got welcome. */
  readonly #live = new Map<number, AgentConnection>();
  readonly #all = new Set<AgentConnection>();
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #log: FastifyBaseLogger;
  readonly #pingInterval: number;
  readonly #silentAfter: number;
  #lastHeartbeat: number;
  #stopHeartbeat: (() => void) | null = null;
  #jobFrames: (hostId: number, frame: AgentJobFrame) => JobFrameVerdict = () => 'unknown';
  #closing = false;
  /** Set while shutdown waits for the last connection to close. */
  #drained: (() => void) | null = null;

  constructor(deps: {
    store: Store;
    events: EventBus;
    config: Readonly<GatewayConfig>;
    /** How the ingest queue batches: the `store` section's `flushInterval` (ms) and `flushRows`. */
    flush: { flushInterval: number; flushRows: number };
    log: FastifyBaseLogger;
    /** Default the real clock and timers, not keeping the process alive. */
    time?: Time | undefined;
  }) {
    const g = deps.config;
    this.time = deps.time ?? systemTime;
    this.#lastHeartbeat = this.time.now();
    this.#store = deps.store;
    this.#events = deps.events;
    this.#log = deps.log;
    this.maxPayload = g.maxPayload;
    this.frameRate = g.frameRate;
    this.frameBurst = g.frameBurst;
    this.helloTimeout = g.helloTimeout;
    this.#pingInterval = g.pingInterval;
    this.#silentAfter = g.silentAfter;
    this.ingestQueue = new IngestQueue({
      writer: deps.store.writer,
      thread: deps.store.writerThread,
      events: deps.events,
      stats: this.stats,
      log: deps.log,
      flushInterval: deps.flush.flushInterval,
      flushRows: deps.flush.flushRows,
      time: this.time,
    });
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Hosts with a live (welcomed) connection. */
  get connected(): number {
    return this.#live.size;
  }

  isOnline(hostId: number): boolean {
    return this.#live.has(hostId);
  }

  start(): void {
    this.#stopHeartbeat = every(this.time.timers, this.#pingInterval, () => this.#heartbeat());
  }

  accept(ws: WebSocket, host: Host): AgentConnection {
    const conn = new AgentConnection(ws, host, this, this.#log.child({ host: host.name }));
    this.#all.add(conn);
    // An upgrade that passed authentication just before shutdown began would otherwise stay
    // open, and the WebSocket server (so the collector) would never finish closing.
    if (this.#closing) conn.close(4006, 'collector shutting down', 'shutdown');
    return conn;
  }

  countFrame(rejected: boolean): void {
    this.stats.framesReceived++;
    if (rejected) this.stats.framesRejected++;
  }

  welcome(conn: AgentConnection, hello: HelloFrame): WelcomeFrame {
    const older = this.#live.get(conn.hostId);
    this.#live.set(conn.hostId, conn);
    if (older && older !== conn) {
      this.#log.info({ host: conn.hostName }, 'a newer connection replaced the live one');
      older.fail('REPLACED', `a newer connection for ${conn.hostName} took over`);
    }
    // Snapshots of the replaced connection may still wait for a flush: commit them first so
    // lastSeq is exact and the agent does not resend them.
    if (this.ingestQueue.hasPending(conn.hostId)) this.ingestQueue.flush();
    if (this.#store.writer.agentBooted(conn.hostId, hello.bootId)) {
      conn.log.info({ host: conn.hostName }, 'a new agent process; its snapshots are numbered afresh');
    }
    const now = this.time.now();
    const previousAgentVersion = this.#store.hosts.get(conn.hostId)?.agentVersion ?? null;
    this.#store.hosts.markOnline(conn.hostId, hello, now);
    this.#events.emit('host.online', {
      hostId: conn.hostId,
      name: conn.hostName,
      reason: 'connected',
      at: now,
      intervalMs: hello.intervalMs,
      agentVersion: hello.agentVersion,
      previousAgentVersion,
      jobs: hello.jobs ?? null,
    });
    return {
      t: 'welcome',
      protocol: PROTOCOL_VERSION,
      hostId: String(conn.hostId),
      hostName: conn.hostName,
      lastSeq: this.#store.writer.lastSeq(conn.hostId),
      serverTime: now,
      settings: {},
    };
  }

  ingest(
    conn: AgentConnection,
    frame: Extract<AgentFrame, { t: 'metrics' | 'metrics.batch' }>,
    at: number,
  ): void {
    this.ingestQueue.push(conn, frame.t === 'metrics' ? [frame.snapshot] : frame.snapshots, at);
  }

  /** Where job frames go (the jobs dispatcher); without one every job frame is unknown. */
  onJobFrame(handler: (hostId: number, frame: AgentJobFrame) => JobFrameVerdict): void {
    this.#jobFrames = handler;
  }

  jobFrame(conn: AgentConnection, frame: AgentJobFrame): void {
    const verdict = this.#jobFrames(conn.hostId, frame);
    if (verdict === 'late') {
      conn.log.info({ jobId: frame.jobId, kind: frame.t }, 'job frame for a run that has ended; dropped');
    } else if (verdict === 'unknown') {
      this.stats.framesRejected++;
      // Said, not closed: a good agent replaying results after a restore must not be cut off.
      conn.report(
        'UNKNOWN_JOB',
        `${frame.t} for job ${frame.jobId}, which this collector never sent to ${conn.hostName}`,
      );
    }
  }

  /** Sends a frame to the host's live connection; false when the host is offline. */
  send(hostId: number, frame: CollectorFrame): boolean {
    const conn = this.#live.get(hostId);
    if (conn?.state !== 'ready') return false;
    return conn.sendText(encodeFrame(frame));
  }

  closed(conn: AgentConnection, reason: OfflineReason): void {
    this.#all.delete(conn);
    if (this.#all.size === 0) this.#drained?.();
    if (this.#live.get(conn.hostId) !== conn) return;
    this.#live.delete(conn.hostId);
    const now = this.time.now();
    try {
      // On shutdown the host stays "online" in the database, so the next start expects it back.
      if (reason !== 'shutdown' && this.#store.db.open) this.#store.hosts.markOffline(conn.hostId, now);
    } catch (err) {
      this.#log.error({ err }, 'could not record host offline');
    }
    this.#events.emit('host.offline', {
      hostId: conn.hostId,
      name: conn.hostName,
      reason,
      at: now,
      lastHeardAt: conn.lastHeardAt,
    });
  }

  /** Closes every connection of a host whose token was revoked or which was deleted (4001). */
  disconnectHost(hostId: number, reason: 'revoked' | 'deleted'): number {
    let n = 0;
    for (const conn of this.#all) {
      if (conn.hostId !== hostId) continue;
      conn.fail('UNAUTHORIZED', reason === 'revoked' ? 'agent token revoked' : 'host deleted', reason);
      n++;
    }
    return n;
  }

  #heartbeat(): void {
    const now = this.time.now();
    // A late heartbeat means this process stalled, not the agents: their pongs may be unread.
    const stalled = now - this.#lastHeartbeat > 2 * this.#pingInterval;
    this.#lastHeartbeat = now;
    for (const conn of this.#all) {
      const verdict = heartbeatVerdict(conn, now, {
        stalled,
        pingInterval: this.#pingInterval,
        silentAfter: this.#silentAfter,
      });
      if (verdict === 'ping') conn.ping();
      else if (verdict === 'silent') {
        conn.log.warn({ silentMs: now - conn.lastHeardAt }, 'nothing heard (pong or frame); terminating');
        conn.terminate('silent');
      } else if (verdict === 'no-frames') {
        conn.log.warn({ silentMs: now - conn.lastFrameAt }, 'no frame for 3 intervals; terminating');
        conn.terminate('silent');
      }
    }
  }

  /** Stop accepting, commit and ack what is queued, then close every agent with 4006. */
  async shutdown(timeoutMs = 2_000): Promise<void> {
    this.#closing = true;
    this.#stopHeartbeat?.();
    this.ingestQueue.flush();
    this.ingestQueue.stop();
    const open = [...this.#all];
    for (const conn of open) conn.close(4006, 'collector shutting down', 'shutdown');
    if (this.#all.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.time.timers.setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          this.time.timers.clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const conn of this.#all) conn.terminate('shutdown');
  }
}

/** What one heartbeat does with one connection; `stalled`: this process missed heartbeats. */
export function heartbeatVerdict(
  conn: { state: string; lastHeardAt: number; lastFrameAt: number; intervalMs: number },
  now: number,
  o: { stalled: boolean; pingInterval: number; silentAfter: number },
): 'ping' | 'silent' | 'no-frames' | 'none' {
  // After a stall the agents' pongs may be unread: ask again rather than judge.
  if (o.stalled) return 'ping';
  if (now - conn.lastHeardAt > o.silentAfter) return 'silent';
  if (conn.state === 'ready' && now - conn.lastFrameAt > 3 * conn.intervalMs + o.pingInterval)
    return 'no-frames';
  // A frame proves life, so an agent sending at least every ping interval is not pinged, even
  // when a frame comes late (on a busy machine, a whole interval pinged thousands of 1 Hz agents
  // a second); an agent sending less often is pinged after two intervals without one.
  if (now - conn.lastFrameAt >= o.pingInterval + Math.min(conn.intervalMs, o.pingInterval)) return 'ping';
  return 'none';
}
