import type { CheckResult, Disk, Snapshot } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import { ContainerHistory } from './container-history.ts';
import { AREAS, type Area, type LatestState } from './latest.ts';
import { encodeCore, metricDefs, metricNames } from './metric-catalog.ts';
import { emptyRowBatch, METRIC_ROW, type RowBatch, RowWriter } from './row-batch.ts';

export interface IncomingSnapshot {
  hostId: number;
  snapshot: Snapshot;
  /** When the frame arrived (ms), for last-seen and ingest latency. */
  receivedAt: number;
}

export interface WriteResult {
  /** Snapshots stored by this flush, in arrival order. */
  stored: IncomingSnapshot[];
  /** Snapshots skipped because (host, seq) was already committed. */
  duplicates: number;
  /** Highest committed seq per host touched by this flush (stored or duplicate). */
  committed: Map<number, number>;
  /** Snapshots whose seq jumped further than the agent could have counted; not stored. */
  refused: { item: IncomingSnapshot; reason: string }[];
}

/** A batch decided but not yet committed (see SnapshotWriter.plan). */
export interface WritePlan extends Omit<WriteResult, 'committed'> {
  /** Every host the batch touched. */
  hosts: number[];
  rows: RowBatch;
}

/** Receives every stored snapshot inside the ingest transaction, so it commits (or not) with it. */
export interface SnapshotSink {
  append(hostId: number, snapshot: Snapshot): void;
}

export interface WriterOptions {
  /** Keep metric rows (raw and rollups) in SQLite; false when a time-series database holds them. Default true. */
  metricRows?: boolean;
  /** Also hands each stored snapshot to this sink (the remote-write queue). Default none. */
  sink?: SnapshotSink | null;
  /** Where running containers' CPU and memory go; default one on the same database. */
  containers?: ContainerHistory;
}
/** The shortest interval an agent may have (hello.intervalMs minimum): one snapshot per second. */
const MIN_INTERVAL_MS = 1_000;
/** Room for an agent clock a little ahead of the collector's, and rounding. */
const SEQ_SLACK = 60;

const MINUTE = 60_000;
/** Net and per-core state change every snapshot; persisting them this often is plenty. */
const STATE_EVERY = 60_000;
const DISK_HISTORY_EVERY = 5 * MINUTE;

/**
 * Writes batches of snapshots in one transaction each: core numbers, both rollup tiers, area
 * state and history, and the host's committed sequence. Deduplicates by (host, seq).
 */
export class SnapshotWriter {
  readonly #db: Database;
  readonly #s: Record<'renumber' | 'resetSeq' | 'lastSeq' | 'bootId' | 'lastRaw' | 'states', Statement>;
  readonly #rows: RowWriter;
  readonly #lastSeq = new Map<number, number>();
  /** When the last stored snapshot of each host arrived (collector clock). */
  readonly #storedAt = new Map<number, number>();
  readonly #latest = new Map<number, LatestState>();
  readonly #stateWrittenAt = new Map<number, number>();
  readonly #diskWrittenAt = new Map<string, number>();
  readonly #checkOk = new Map<string, boolean>();
  readonly #metricRows: boolean;
  #sink: SnapshotSink | null;
  readonly #containers: ContainerHistory;
  /** The plan awaiting committed() or abandon(), and the hosts renumbered meanwhile. */
  #planned: WritePlan | null = null;
  readonly #renumberedInFlight = new Set<number>();

  constructor(db: Database, options: WriterOptions = {}) {
    this.#db = db;
    this.#metricRows = options.metricRows ?? true;
    this.#sink = options.sink ?? null;
    this.#containers = options.containers ?? new ContainerHistory(db);
    this.#rows = new RowWriter(db);
    const cols = metricDefs.map((d) => d.column);
    this.#s = {
      lastSeq: db.prepare('SELECT last_seq FROM hosts WHERE id = ?'),
      bootId: db.prepare('SELECT boot_id FROM hosts WHERE id = ?'),
      renumber: db.prepare('UPDATE hosts SET last_seq = 0, boot_id = ? WHERE id = ?'),
      resetSeq: db.prepare('UPDATE hosts SET last_seq = 0 WHERE id = ?'),
      lastRaw: db.prepare(
        `SELECT ts, ${cols.join(', ')} FROM metrics_raw WHERE host = ? ORDER BY ts DESC LIMIT 1`,
      ),
      states: db.prepare('SELECT kind, ts, data FROM host_state WHERE host = ?'),
    };
  }

  /** Highest committed seq for a host (0 when none). */
  lastSeq(hostId: number): number {
    let seq = this.#lastSeq.get(hostId);
    if (seq === undefined) {
      seq = (this.#s.lastSeq.get(hostId) as { last_seq: number } | undefined)?.last_seq ?? 0;
      this.#lastSeq.set(hostId, seq);
    }
    return seq;
  }

  /**
   * A new numbering for the host: its next snapshot may carry any seq, and the ones after count
   * on from it. For a token rotation (`bootId` null) and for a new agent process.
   */
  restartNumbering(hostId: number, bootId: string | null): void {
    this.#s.renumber.run(bootId, hostId);
    this.#lastSeq.set(hostId, 0);
    if (this.#planned?.hosts.includes(hostId)) this.#renumberedInFlight.add(hostId);
  }

  /**
   * A batch planned before a renumbering commits after it (on the writer thread) and raises the
   * stored seq again: put it back to 0, or the new numbering's first seqs would count as
   * duplicates after a restart.
   */
  #renumberAgain(): void {
    for (const hostId of this.#renumberedInFlight) {
      this.#s.resetSeq.run(hostId);
      this.#lastSeq.set(hostId, 0);
    }
    this.#renumberedInFlight.clear();
    this.#planned = null;
  }

  /**
   * Called at each hello: a boot id other than the stored one is a new agent process, whose
   * outbox started empty, so it starts a new numbering (true). Older agents send none.
   */
  agentBooted(hostId: number, bootId: string | undefined): boolean {
    if (bootId === undefined) return false;
    const row = this.#s.bootId.get(hostId) as { boot_id: string | null } | undefined;
    if (row === undefined || row.boot_id === bootId) return false;
    this.restartNumbering(hostId, bootId);
    return true;
  }

  /**
   * The most the seq can have grown since the last stored snapshot: one per second since that
   * snapshot was taken (so an agent whose outbox dropped old entries while it was away still
   * fits), plus slack. Taken is the earlier of its own time and its arrival, so an agent clock
   * running ahead shrinks nothing. A forged seq of 2^53 - 1 would otherwise make every later
   * snapshot of the host a duplicate.
   */
  #plausibleJump(hostId: number, receivedAt: number): number {
    const since = Math.min(
      this.latest(hostId)?.ts ?? 0,
      this.#storedAt.get(hostId) ?? Number.POSITIVE_INFINITY,
    );
    return Math.floor(Math.max(0, receivedAt - since) / MIN_INTERVAL_MS) + SEQ_SLACK;
  }

  /**
   * Decides what a batch stores (dedup by (host, seq), forged seqs refused) and builds its rows,
   * without writing them. The hosts' seqs move on at once, so the caller must follow with
   * committed() once the rows are committed or abandon() if they are not, before planning again.
   */
  plan(batch: readonly IncomingSnapshot[]): WritePlan {
    const stored: IncomingSnapshot[] = [];
    const refused: WriteResult['refused'] = [];
    const touched = new Map<number, { seq: number; seen: number }>();
    const rows = emptyRowBatch(this.#metricRows ? batch.length : 0);
    let duplicates = 0;
    try {
      for (const item of batch) {
        const { hostId, snapshot: s } = item;
        const last = this.lastSeq(hostId);
        const t = touched.get(hostId);
        touched.set(hostId, {
          seq: Math.max(last, t?.seq ?? 0),
          seen: Math.max(item.receivedAt, t?.seen ?? 0),
        });
        if (s.seq <= last) {
          duplicates++;
          continue;
        }
        const most = last === 0 ? Number.POSITIVE_INFINITY : this.#plausibleJump(hostId, item.receivedAt);
        if (s.seq - last > most) {
          refused.push({
            item,
            reason: `snapshot seq ${s.seq} jumps ${s.seq - last} past the last stored (${last}); at most ${most} snapshots can have been taken since`,
          });
          continue;
        }
        this.#lastSeq.set(hostId, s.seq);
        touched.get(hostId)!.seq = s.seq;
        this.#rowsOf(hostId, s, rows);
        stored.push(item);
      }
    } catch (err) {
      this.#forgetSeqs(touched.keys());
      throw err;
    }
    for (const [hostId, t] of touched) rows.touch.push(hostId, t.seq, t.seen);
    const plan = { stored, duplicates, refused, hosts: [...touched.keys()], rows };
    this.#planned = plan;
    return plan;
  }

  /** The plan's rows are committed: remember what they stored. */
  committed(plan: WritePlan): WriteResult {
    this.#renumberAgain();
    for (const item of plan.stored) {
      this.#remember(item.hostId, item.snapshot);
      this.#storedAt.set(item.hostId, item.receivedAt);
    }
    const committed = new Map<number, number>();
    for (const hostId of plan.hosts) committed.set(hostId, this.lastSeq(hostId));
    return { stored: plan.stored, duplicates: plan.duplicates, committed, refused: plan.refused };
  }

  /**
   * The plan's rows were not committed (or it is not known: a writer thread that died). The
   * hosts' seqs are read again from the database, where they moved only with their rows.
   */
  abandon(plan: WritePlan): void {
    this.#forgetSeqs(plan.hosts);
    this.#renumberAgain();
  }

  #forgetSeqs(hosts: Iterable<number>): void {
    for (const hostId of hosts) this.#lastSeq.delete(hostId);
  }

  /** Whether another connection may commit the rows: not with a sink, which joins the transaction. */
  get threadable(): boolean {
    return this.#sink === null;
  }

  /** Writes a batch in one transaction on this connection (with the sink's part, if any). */
  write(batch: readonly IncomingSnapshot[]): WriteResult {
    const plan = this.plan(batch);
    try {
      this.#db.transaction(() => {
        this.#rows.apply(plan.rows);
        if (this.#sink) for (const item of plan.stored) this.#sink.append(item.hostId, item.snapshot);
      })();
    } catch (err) {
      // The transaction rolled back: forget what it would have committed.
      this.abandon(plan);
      throw err;
    }
    return this.committed(plan);
  }

  /** Sets the sink (built after the store, as it needs the store's tables). */
  setSink(sink: SnapshotSink | null): void {
    this.#sink = sink;
  }

  #rowsOf(hostId: number, s: Snapshot, rows: RowBatch): void {
    if (this.#metricRows) {
      const at = rows.metricCount++ * METRIC_ROW;
      rows.metrics[at] = hostId;
      rows.metrics[at + 1] = s.ts;
      encodeCore(s, rows.metrics, at + 2);
    }
    const due = s.ts - (this.#stateWrittenAt.get(hostId) ?? 0) >= STATE_EVERY;
    if (due) {
      this.#stateWrittenAt.set(hostId, s.ts);
      rows.states.push(hostId, 'net', s.ts, JSON.stringify(s.net));
      rows.states.push(hostId, 'core', s.ts, JSON.stringify({ uptime: s.uptime, cores: s.cpu.cores }));
    }
    for (const area of AREAS) {
      if (area === 'net' || s[area] === undefined) continue;
      rows.states.push(hostId, area, s.ts, JSON.stringify(s[area]));
    }
    if (s.disks) this.#diskHistory(hostId, s.ts, s.disks, rows);
    if (s.checks) this.#checkHistory(hostId, s.ts, s.checks, rows);
    if (s.containers) this.#containers.due(hostId, s.ts, s.containers, rows.containers);
  }

  #diskHistory(hostId: number, ts: number, disks: Disk[], rows: RowBatch): void {
    for (const d of disks) {
      const key = `${hostId}\0${d.mount}`;
      if (ts - (this.#diskWrittenAt.get(key) ?? 0) < DISK_HISTORY_EVERY) continue;
      this.#diskWrittenAt.set(key, ts);
      rows.disks.push(hostId, d.mount, ts, d.size, d.used);
    }
  }

  #checkHistory(hostId: number, ts: number, checks: CheckResult[], rows: RowBatch): void {
    for (const c of checks) {
      const key = `${hostId}\0${c.name}`;
      if (this.#checkOk.get(key) === c.ok) continue;
      this.#checkOk.set(key, c.ok);
      rows.checks.push(hostId, c.name, ts, c.ok ? 1 : 0, c.latencyMs, c.error ?? null);
    }
  }

  #remember(hostId: number, s: Snapshot): void {
    const prev = this.#latest.get(hostId);
    const metrics: Record<string, number> = {};
    metricNames.forEach((name, i) => {
      metrics[name] = metricDefs[i]!.read(s);
    });
    const areas = { ...(prev?.areas ?? {}) };
    for (const area of AREAS) if (s[area] !== undefined) areas[area] = { ts: s.ts, data: s[area] };
    this.#latest.set(hostId, {
      seq: s.seq,
      ts: s.ts,
      metrics,
      uptime: s.uptime,
      cpuCores: s.cpu.cores,
      areas,
    });
  }

  /** The latest state: from memory, or rebuilt from the database after a restart. */
  latest(hostId: number): LatestState | undefined {
    const cached = this.#latest.get(hostId);
    if (cached) return cached;
    const row = this.#s.lastRaw.get(hostId) as Record<string, number> | undefined;
    const states = this.#s.states.all(hostId) as { kind: string; ts: number; data: string }[];
    if (!row && states.length === 0) return undefined;
    const metrics: Record<string, number> = {};
    if (row) {
      metricNames.forEach((name, i) => {
        metrics[name] = row[metricDefs[i]!.column]! / metricDefs[i]!.scale;
      });
    }
    const areas: LatestState['areas'] = {};
    let uptime: number | null = null;
    let cpuCores: number[] | null = null;
    for (const st of states) {
      const data = JSON.parse(st.data) as unknown;
      if (st.kind === 'core') {
        const core = data as { uptime: number; cores: number[] };
        uptime = core.uptime;
        cpuCores = core.cores;
      } else if ((AREAS as readonly string[]).includes(st.kind)) {
        areas[st.kind as Area] = { ts: st.ts, data };
      }
    }
    const state = { seq: null, ts: row?.ts ?? 0, metrics, uptime, cpuCores, areas };
    this.#latest.set(hostId, state);
    return state;
  }

  /** Drops caches for a deleted host. */
  forget(hostId: number): void {
    this.#lastSeq.delete(hostId);
    this.#storedAt.delete(hostId);
    this.#latest.delete(hostId);
    this.#stateWrittenAt.delete(hostId);
    for (const map of [this.#diskWrittenAt, this.#checkOk]) {
      for (const key of map.keys()) if (key.startsWith(`${hostId}\0`)) map.delete(key);
    }
  }
}
