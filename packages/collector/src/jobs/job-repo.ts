import type { Database, Statement } from 'better-sqlite3';
import type { Surface } from '../store/audit.ts';
import type { Amount, Job, JobEvent, JobEventType, JobState, Run, RunState, Targets } from './types.ts';

/** A jobs row: the Job's own columns, with JSON, flags and amounts as SQLite stores them. */
type JobRow = Omit<Job, 'params' | 'targets' | 'dangerous' | 'batch' | 'stopAfterFailures' | 'counts'> & {
  params: string;
  sentParams: string;
  targets: string;
  dangerous: number;
  batch: string | null;
  stopAfter: string | null;
};

type HeadRow = Pick<
  JobRow,
  'id' | 'activity' | 'action' | 'state' | 'cancelledBy' | 'batch' | 'stopAfter' | 'timeoutMs'
>;

/** The fields of a job that fan-out decisions read. */
export type JobHead = Pick<
  Job,
  | 'id'
  | 'activity'
  | 'action'
  | 'state'
  | 'cancelledBy'
  | 'batch'
  | 'stopAfterFailures'
  | 'timeoutMs'
  | 'counts'
>;

interface RunRow extends Omit<Run, 'truncated'> {
  truncated: number;
  outputBytes: number;
}

interface EventRow {
  jobId: number;
  seq: number;
  at: number;
  type: JobEventType;
  hostId: number | null;
  data: string;
}

const JOB_COLUMNS = `id, activity, action, params, sent_params AS sentParams, targets, actor, actor_name AS actorName,
  surface, dangerous, state, created_at AS createdAt, decide_by AS decideBy, confirmed_by AS confirmedBy,
  approved_by AS approvedBy, cancelled_by AS cancelledBy, started_at AS startedAt, ended_at AS endedAt, batch,
  stop_after AS stopAfter, timeout_ms AS timeoutMs`;

const RUN_COLUMNS = `job_id AS jobId, host_id AS hostId, host_name AS host, state, exit_code AS exitCode, signal,
  started_at AS startedAt, ended_at AS endedAt, duration_ms AS durationMs, truncated, dropped_bytes AS droppedBytes,
  error, output_bytes AS outputBytes`;

export interface NewJob {
  activity: string;
  action: string;
  params: Record<string, unknown>;
  sentParams: Record<string, string | number>;
  targets: Targets;
  actor: string;
  actorName: string;
  surface: Surface;
  /** The person behind the creator (personOf), whom four-eyes keeps from approving. */
  person: number | null;
  dangerous: boolean;
  state: JobState;
  createdAt: number;
  decideBy: number | null;
  batch: Amount | null;
  stopAfterFailures: Amount | null;
  timeoutMs: number;
}

export interface JobFilter {
  actor?: string | undefined;
  activity?: string | undefined;
  hostId?: number | undefined;
  state?: JobState | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /** Only jobs with an id below this one (newest first). */
  before?: number | undefined;
  limit: number;
}

export type JobPatch = Partial<
  Pick<Job, 'state' | 'decideBy' | 'confirmedBy' | 'approvedBy' | 'cancelledBy' | 'startedAt' | 'endedAt'>
>;

export type RunPatch = Partial<
  Pick<
    Run,
    | 'state'
    | 'exitCode'
    | 'signal'
    | 'startedAt'
    | 'endedAt'
    | 'durationMs'
    | 'truncated'
    | 'droppedBytes'
    | 'error'
  >
>;

/** One report row: a host run with its job's facts. */
export interface ExportRow extends Run {
  activity: string;
  actor: string;
  actorName: string;
}

const FINAL_JOB_STATES = "('succeeded', 'failed', 'cancelled', 'expired')";

/** Jobs, their per-host runs and their numbered event history. */
export class JobRepo {
  readonly #db: Database;
  readonly #patches = new Map<string, Statement>();
  /** Each job's next event seq, read from the database once per job: saves a max(seq) per event. */
  readonly #nextSeq = new Map<number, number>();
  readonly #sql: {
    insertJob: Statement;
    job: Statement<[number], JobRow>;
    head: Statement<[number], HeadRow>;
    person: Statement<[number], { person: number | null }>;
    list: Statement<Record<string, unknown>, JobRow>;
    pending: Statement<[], JobRow>;
    counts: Statement<[number], { state: RunState; n: number }>;
    insertRun: Statement;
    run: Statement<[number, number], RunRow>;
    runs: Statement<[number], RunRow>;
    runningOnHost: Statement<[number], RunRow>;
    nextQueued: Statement<[number, number], RunRow>;
    addOutput: Statement<[number, number, number]>;
    lastSeq: Statement<[number], { seq: number }>;
    appendEvent: Statement<[EventRow]>;
    events: Statement<[number, number], EventRow>;
    output: Statement<[number, number], EventRow>;
    exportRange: Statement<
      [number, number, number],
      RunRow & { activity: string; actor: string; actorName: string }
    >;
    expired: Statement<[number, number], { id: number }>;
    deleteJob: Statement<[number]>;
  };

  constructor(db: Database) {
    this.#db = db;
    this.#sql = {
      insertJob: db.prepare(
        `INSERT INTO jobs (activity, action, params, sent_params, targets, actor, actor_name, surface, person, dangerous,
           state, created_at, decide_by, batch, stop_after, timeout_ms)
         VALUES (@activity, @action, @params, @sentParams, @targets, @actor, @actorName, @surface, @person, @dangerous,
           @state, @createdAt, @decideBy, @batch, @stopAfter, @timeoutMs)`,
      ),
      job: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
      head: db.prepare(
        `SELECT id, activity, action, state, cancelled_by AS cancelledBy, batch, stop_after AS stopAfter,
           timeout_ms AS timeoutMs FROM jobs WHERE id = ?`,
      ),
      person: db.prepare('SELECT person FROM jobs WHERE id = ?'),
      list: db.prepare(
        `SELECT ${JOB_COLUMNS} FROM jobs
         WHERE id < @before
           AND (@actor IS NULL OR actor = @actor)
           AND (@activity IS NULL OR activity = @activity)
           AND (@state IS NULL OR state = @state)
           AND (@from IS NULL OR created_at >= @from)
           AND (@to IS NULL OR created_at < @to)
           AND (@hostId IS NULL OR id IN (SELECT job_id FROM job_runs WHERE host_id = @hostId))
         ORDER BY id DESC LIMIT @limit`,
      ),
      pending: db.prepare(
        `SELECT ${JOB_COLUMNS} FROM jobs WHERE state IN ('awaiting_confirmation', 'awaiting_approval', 'running') ORDER BY id`,
      ),
      counts: db.prepare('SELECT state, count(*) AS n FROM job_runs WHERE job_id = ? GROUP BY state'),
      insertRun: db.prepare(
        "INSERT INTO job_runs (job_id, host_id, host_name, position, state) VALUES (?, ?, ?, ?, 'queued')",
      ),
      run: db.prepare(`SELECT ${RUN_COLUMNS} FROM job_runs WHERE job_id = ? AND host_id = ?`),
      runs: db.prepare(`SELECT ${RUN_COLUMNS} FROM job_runs WHERE job_id = ? ORDER BY position`),
      runningOnHost: db.prepare(
        `SELECT ${RUN_COLUMNS} FROM job_runs WHERE host_id = ? AND state = 'running' ORDER BY job_id`,
      ),
      nextQueued: db.prepare(
        `SELECT ${RUN_COLUMNS} FROM job_runs WHERE job_id = ? AND state = 'queued' ORDER BY position LIMIT ?`,
      ),
      addOutput: db.prepare(
        'UPDATE job_runs SET output_bytes = output_bytes + ? WHERE job_id = ? AND host_id = ?',
      ),
      lastSeq: db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM job_events WHERE job_id = ?'),
      appendEvent: db.prepare(
        `INSERT INTO job_events (job_id, seq, at, type, host_id, data)
         VALUES (@jobId, @seq, @at, @type, @hostId, @data)`,
      ),
      events: db.prepare(
        'SELECT job_id AS jobId, seq, at, type, host_id AS hostId, data FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq',
      ),
      output: db.prepare(
        `SELECT job_id AS jobId, seq, at, type, host_id AS hostId, data FROM job_events
         WHERE job_id = ? AND host_id = ? AND type = 'output' ORDER BY seq`,
      ),
      exportRange: db.prepare(
        `SELECT r.job_id AS jobId, r.host_id AS hostId, r.host_name AS host, r.state AS state, r.exit_code AS exitCode,
           r.signal AS signal, r.started_at AS startedAt, r.ended_at AS endedAt, r.duration_ms AS durationMs,
           r.truncated AS truncated, r.dropped_bytes AS droppedBytes, r.error AS error, r.output_bytes AS outputBytes, j.activity AS activity, j.actor AS actor,
           j.actor_name AS actorName
         FROM jobs j JOIN job_runs r ON r.job_id = j.id
         WHERE j.created_at >= ? AND j.created_at < ? ORDER BY j.id, r.position LIMIT ?`,
      ),
      expired: db.prepare(
        `SELECT id FROM jobs WHERE created_at < ? AND state IN ${FINAL_JOB_STATES} ORDER BY id LIMIT ?`,
      ),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.#db.transaction(fn)();
    } catch (err) {
      // A rolled-back event must not leave its seq taken: reread every job's last seq.
      this.#nextSeq.clear();
      throw err;
    }
  }

  /** Inserts a job and a queued run per host, in target order. */
  insert(job: NewJob, hosts: readonly { id: number; name: string }[]): number {
    return this.transaction(() => {
      const info = this.#sql.insertJob.run({
        ...job,
        params: JSON.stringify(job.params),
        sentParams: JSON.stringify(job.sentParams),
        targets: JSON.stringify(job.targets),
        dangerous: job.dangerous ? 1 : 0,
        batch: job.batch === null ? null : JSON.stringify(job.batch),
        stopAfter: job.stopAfterFailures === null ? null : JSON.stringify(job.stopAfterFailures),
      });
      const id = Number(info.lastInsertRowid);
      hosts.forEach((h, i) => {
        this.#sql.insertRun.run(id, h.id, h.name, i);
      });
      return id;
    });
  }

  get(id: number): Job | undefined {
    const row = this.#sql.job.get(id);
    return row && this.#toJob(row);
  }

  /** What the dispatcher's pump needs of a job, without parsing its parameters and targets. */
  head(id: number): JobHead | undefined {
    const row = this.#sql.head.get(id);
    if (!row) return undefined;
    return {
      id: row.id,
      activity: row.activity,
      action: row.action,
      state: row.state,
      cancelledBy: row.cancelledBy,
      batch: row.batch === null ? null : (JSON.parse(row.batch) as Amount),
      stopAfterFailures: row.stopAfter === null ? null : (JSON.parse(row.stopAfter) as Amount),
      timeoutMs: row.timeoutMs,
      counts: this.#counts(id),
    };
  }

  /** The person behind the job's creator; null when nobody is. */
  person(id: number): number | null {
    return this.#sql.person.get(id)?.person ?? null;
  }

  /** What the dispatcher sends: the checked parameters merged with the activity's fixed ones. */
  sentParams(id: number): Record<string, string | number> {
    const row = this.#sql.job.get(id);
    return row ? (JSON.parse(row.sentParams) as Record<string, string | number>) : {};
  }

  list(filter: JobFilter): Job[] {
    return this.#sql.list
      .all({
        before: filter.before ?? Number.MAX_SAFE_INTEGER,
        actor: filter.actor ?? null,
        activity: filter.activity ?? null,
        state: filter.state ?? null,
        from: filter.from ?? null,
        to: filter.to ?? null,
        hostId: filter.hostId ?? null,
        limit: filter.limit,
      })
      .map((r) => this.#toJob(r));
  }

  /** Jobs still waiting for a decision or running (for timers and recovery after a restart). */
  unfinished(): Job[] {
    return this.#sql.pending.all().map((r) => this.#toJob(r));
  }

  update(id: number, patch: JobPatch): void {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    this.#patch(
      'jobs',
      'id = @id',
      entries.map(([k]) => k),
    ).run({ ...Object.fromEntries(entries), id });
  }

  /** One UPDATE per set of columns, prepared once (patches come in a handful of shapes). */
  #patch(table: 'jobs' | 'job_runs', where: string, keys: string[]): Statement {
    const cacheKey = `${table}:${keys.join(',')}`;
    let statement = this.#patches.get(cacheKey);
    if (!statement) {
      const column = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      statement = this.#db.prepare(
        `UPDATE ${table} SET ${keys.map((k) => `${column(k)} = @${k}`).join(', ')} WHERE ${where}`,
      );
      this.#patches.set(cacheKey, statement);
    }
    return statement;
  }

  run(jobId: number, hostId: number): (Run & { outputBytes: number }) | undefined {
    const row = this.#sql.run.get(jobId, hostId);
    return row && toRun(row);
  }

  runs(jobId: number): Run[] {
    return this.#sql.runs.all(jobId).map((r) => {
      const { outputBytes: _, ...run } = toRun(r);
      return run;
    });
  }

  runningOnHost(hostId: number): Run[] {
    return this.#sql.runningOnHost.all(hostId).map(toRun);
  }

  nextQueued(jobId: number, n: number): Run[] {
    return n <= 0 ? [] : this.#sql.nextQueued.all(jobId, n).map(toRun);
  }

  updateRun(jobId: number, hostId: number, patch: RunPatch): void {
    const entries = Object.entries(patch)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 1 : 0) : v] as const);
    if (entries.length === 0) return;
    this.#patch(
      'job_runs',
      'job_id = @jobId AND host_id = @hostId',
      entries.map(([k]) => k),
    ).run({ ...Object.fromEntries(entries), jobId, hostId });
  }

  addOutputBytes(jobId: number, hostId: number, bytes: number): void {
    this.#sql.addOutput.run(bytes, jobId, hostId);
  }

  appendEvent(jobId: number, type: JobEventType, hostId: number | null, data: unknown, at: number): number {
    const seq = this.#nextSeq.get(jobId) ?? this.#sql.lastSeq.get(jobId)!.seq + 1;
    this.#sql.appendEvent.run({ jobId, seq, at, type, hostId, data: JSON.stringify(data) });
    this.#nextSeq.set(jobId, seq + 1);
    return seq;
  }

  events(jobId: number, afterSeq = 0): JobEvent[] {
    return this.#sql.events.all(jobId, afterSeq).map(toEvent);
  }

  output(jobId: number, hostId: number): JobEvent[] {
    return this.#sql.output.all(jobId, hostId).map(toEvent);
  }

  exportRange(from: number, to: number, limit: number): ExportRow[] {
    return this.#sql.exportRange.all(from, to, limit).map((r) => {
      const { outputBytes: _, ...run } = toRun(r);
      return { ...run, activity: r.activity, actor: r.actor, actorName: r.actorName };
    });
  }

  /** Deletes up to `limit` ended jobs created before `cutoff`, with their runs and events. */
  deleteEnded(cutoff: number, limit: number): number {
    return this.transaction(() => {
      const ids = this.#sql.expired.all(cutoff, limit);
      for (const { id } of ids) {
        this.#sql.deleteJob.run(id);
        this.#nextSeq.delete(id);
      }
      return ids.length;
    });
  }

  #counts(jobId: number): Job['counts'] {
    const counts: Job['counts'] = {};
    for (const c of this.#sql.counts.all(jobId)) counts[c.state] = c.n;
    return counts;
  }

  #toJob(row: JobRow): Job {
    const counts = this.#counts(row.id);
    return {
      id: row.id,
      activity: row.activity,
      action: row.action,
      params: JSON.parse(row.params) as Job['params'],
      targets: JSON.parse(row.targets) as Targets,
      actor: row.actor,
      actorName: row.actorName,
      surface: row.surface,
      dangerous: row.dangerous === 1,
      state: row.state,
      createdAt: row.createdAt,
      decideBy: row.decideBy,
      confirmedBy: row.confirmedBy,
      approvedBy: row.approvedBy,
      cancelledBy: row.cancelledBy,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      batch: row.batch === null ? null : (JSON.parse(row.batch) as Amount),
      stopAfterFailures: row.stopAfter === null ? null : (JSON.parse(row.stopAfter) as Amount),
      timeoutMs: row.timeoutMs,
      counts,
    };
  }
}

function toRun(row: RunRow): Run & { outputBytes: number } {
  return { ...row, truncated: row.truncated === 1 };
}

function toEvent(row: EventRow): JobEvent {
  return { ...row, data: JSON.parse(row.data) as unknown };
}
