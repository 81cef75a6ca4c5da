import { builtinAction, PantauError } from '@pantau/shared';
import { type Actor, demand, personOf, SYSTEM_ACTOR } from '../access/actor.ts';
import { type Clock, systemClock, type Timers, unrefTimers } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { HostRepo } from '../store/hosts.ts';
import type { Activities } from './activities.ts';
import type { Dispatcher } from './dispatcher.ts';
import { outputTail, type ReportRow, reportRow } from './export.ts';
import type { JobFilter, JobRepo } from './job-repo.ts';
import {
  type CreateJobInput,
  type Plan,
  type PlanDeps,
  type Preview,
  type PreviewInput,
  planJob,
} from './plan.ts';
import { isJobFinal, isRunFinal, type Job, type JobEvent, type Run } from './types.ts';

export type { CreateJobInput, Preview, PreviewInput };

export interface JobsSettings {
  maxTargets: number;
  fourEyes: boolean;
  confirmTimeout: number;
  defaultTimeout: number;
}

export interface JobServiceDeps {
  repo: JobRepo;
  hosts: HostRepo;
  activities: Activities;
  dispatcher: Dispatcher;
  audit: AuditLog;
  isOnline(hostId: number): boolean;
  settings: JobsSettings;
  /** Clock, epoch ms. Default the system clock. */
  now?: Clock;
  /** Timer functions (confirmation and approval deadlines). Default the global ones, unref'd. */
  timers?: Timers;
}

/**
 * The job commands every surface calls: preview, create, confirm, approve, cancel, read. Each
 * checks the actor's permission and validates; a refusal is audited on its own, and a command
 * that passes writes the job, its audit row and its event in one transaction, then hands
 * running to the dispatcher.
 */
export class JobService {
  readonly #d: JobServiceDeps;
  readonly #now: Clock;
  readonly #timers: Timers;
  readonly #decide = new Map<number, unknown>();
  readonly #planDeps: PlanDeps;

  constructor(deps: JobServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
    this.#timers = deps.timers ?? unrefTimers;
    this.#planDeps = {
      activities: deps.activities,
      hosts: deps.hosts,
      isOnline: deps.isOnline,
      maxTargets: deps.settings.maxTargets,
    };
  }

  preview(actor: Actor, input: PreviewInput): Preview {
    const { hosts, skipped } = planJob(this.#planDeps, actor, input);
    return { hosts, skipped };
  }

  create(actor: Actor, input: CreateJobInput, now = this.#now()): Job {
    let plan: Plan;
    try {
      plan = planJob(this.#planDeps, actor, input);
    } catch (err) {
      if (err instanceof PantauError && err.code === 'FORBIDDEN') {
        this.#d.audit.record(
          actor,
          'job.denied',
          null,
          { activity: input.activity, reason: err.message },
          now,
        );
      }
      throw err;
    }
    if (plan.hosts.length === 0) {
      const why = plan.skipped
        .slice(0, 5)
        .map((s) => `${s.name}: ${s.message}`)
        .join('; ');
      throw new PantauError('VALIDATION_FAILED', `no target host can run ${plan.activity.id} now (${why})`);
    }
    const { activity } = plan;
    const timeoutMs =
      input.timeoutMs ?? builtinAction(activity.action)?.timeoutMs ?? this.#d.settings.defaultTimeout;
    const dangerous = activity.dangerous;
    const id = this.#d.dispatcher.atomically(() => {
      const id = this.#d.repo.insert(
        {
          activity: activity.id,
          action: activity.action,
          params: input.params ?? {},
          sentParams: plan.sentParams,
          targets: input.targets,
          actor: actor.id,
          actorName: actor.name,
          surface: actor.surface,
          person: personOf(actor),
          dangerous,
          state: dangerous ? 'awaiting_confirmation' : 'running',
          createdAt: now,
          decideBy: dangerous ? now + this.#d.settings.confirmTimeout : null,
          batch: input.batch ?? null,
          stopAfterFailures: input.stopAfterFailures ?? null,
          timeoutMs,
        },
        plan.targetHosts,
      );
      this.#d.audit.record(
        actor,
        'job.create',
        `job:${id}`,
        {
          activity: activity.id,
          params: input.params ?? {},
          targets: input.targets,
          hosts: plan.targetHosts.map((h) => h.name),
          dangerous,
        },
        now,
      );
      if (dangerous) this.#d.dispatcher.jobChanged(id, now);
      else this.#d.dispatcher.start(id, now);
      return id;
    });
    if (dangerous) this.#armDecide(id, this.#d.settings.confirmTimeout);
    return this.#d.repo.get(id)!;
  }

  confirm(actor: Actor, id: number, now = this.#now()): Job {
    const job = this.#pending(id, 'awaiting_confirmation', 'confirmation', now);
    demand(actor, 'job.run.dangerous');
    if (job.actor !== actor.id) {
      throw new PantauError(
        'FORBIDDEN',
        `job ${id} was created by ${job.actorName}; only they can confirm it`,
      );
    }
    const fourEyes = this.#d.settings.fourEyes;
    this.#d.dispatcher.atomically(() => {
      this.#d.repo.update(id, { confirmedBy: actor.id });
      this.#d.audit.record(actor, 'job.confirm', `job:${id}`, undefined, now);
      if (fourEyes) {
        this.#d.repo.update(id, {
          state: 'awaiting_approval',
          decideBy: now + this.#d.settings.confirmTimeout,
        });
        this.#d.dispatcher.jobChanged(id, now);
      } else {
        this.#d.dispatcher.start(id, now);
      }
    });
    if (fourEyes) this.#armDecide(id, this.#d.settings.confirmTimeout);
    else this.#clearDecide(id);
    return this.#d.repo.get(id)!;
  }

  approve(actor: Actor, id: number, now = this.#now()): Job {
    this.#pending(id, 'awaiting_approval', 'approval', now);
    demand(actor, 'job.approve');
    // Four eyes are two persons: a token counts as the user who owns or minted it.
    const person = personOf(actor);
    const refusal =
      person === null
        ? `${actor.name} belongs to no person and cannot approve; approve as a user or with a token they own`
        : person === this.#d.repo.person(id)
          ? `nobody approves their own job; job ${id} needs another admin`
          : null;
    if (refusal !== null) {
      this.#d.audit.record(actor, 'job.denied', `job:${id}`, { reason: refusal }, now);
      throw new PantauError('FORBIDDEN', refusal);
    }
    this.#d.dispatcher.atomically(() => {
      this.#d.repo.update(id, { approvedBy: actor.id });
      this.#d.audit.record(actor, 'job.approve', `job:${id}`, undefined, now);
      this.#d.dispatcher.start(id, now);
    });
    this.#clearDecide(id);
    return this.#d.repo.get(id)!;
  }

  cancel(actor: Actor, id: number, now = this.#now()): Job {
    // Frames already received count first: a run that has ended is not cancelled.
    this.#d.dispatcher.flush();
    const job = this.#job(id);
    this.#mayCancel(actor, job, now);
    if (isJobFinal(job.state))
      throw new PantauError('CONFLICT', `job ${id} has ended already (${job.state})`);
    if (job.cancelledBy !== null) throw new PantauError('CONFLICT', `job ${id} is being cancelled already`);
    this.#d.dispatcher.atomically(() => {
      this.#d.audit.record(actor, 'job.cancel', `job:${id}`, undefined, now);
      if (job.state === 'running') {
        this.#d.repo.update(id, { cancelledBy: actor.id });
      } else {
        this.#d.repo.update(id, { state: 'cancelled', cancelledBy: actor.id, endedAt: now, decideBy: null });
        this.#d.dispatcher.dropQueued(id, `job cancelled by ${actor.name} before it started`);
        this.#d.dispatcher.jobChanged(id, now);
      }
    });
    // Asking the agents to stop comes after the commit: a rolled-back cancel asks nobody.
    if (job.state === 'running') this.#d.dispatcher.cancel(job, actor);
    else this.#clearDecide(id);
    return this.#d.repo.get(id)!;
  }

  cancelRun(actor: Actor, id: number, hostId: number, now = this.#now()): Run {
    this.#d.dispatcher.flush();
    const job = this.#job(id);
    this.#mayCancel(actor, job, now);
    const run = this.#d.repo.run(id, hostId);
    if (!run) throw new PantauError('NOT_FOUND', `job ${id} has no run on host ${hostId}`);
    if (job.state !== 'running') throw new PantauError('CONFLICT', `job ${id} is ${job.state}, not running`);
    if (isRunFinal(run.state))
      throw new PantauError('CONFLICT', `the run on ${run.host} has ended already (${run.state})`);
    this.#d.audit.record(actor, 'job.run.cancel', `job:${id}`, { hostId, host: run.host }, now);
    this.#d.dispatcher.cancelRun(run, actor.name);
    const { outputBytes: _, ...after } = this.#d.repo.run(id, hostId)!;
    return after;
  }

  list(actor: Actor, filter: JobFilter): Job[] {
    demand(actor, 'jobs.read');
    return this.#d.repo.list(filter);
  }

  get(actor: Actor, id: number): Job & { runs: Run[] } {
    demand(actor, 'jobs.read');
    return { ...this.#job(id), runs: this.#d.repo.runs(id) };
  }

  output(actor: Actor, id: number, hostId: number): JobEvent[] {
    demand(actor, 'jobs.read');
    this.#job(id);
    if (!this.#d.repo.run(id, hostId))
      throw new PantauError('NOT_FOUND', `job ${id} has no run on host ${hostId}`);
    return this.#d.repo.output(id, hostId);
  }

  /** A job's stored history after an event id (SSE replay), with the job as it is now. */
  history(actor: Actor, id: number, afterSeq: number): { job: Job; events: JobEvent[] } {
    demand(actor, 'jobs.read');
    return { job: this.#job(id), events: this.#d.repo.events(id, afterSeq) };
  }

  /** One row per host run of a job, for CSV and JSON export. */
  report(actor: Actor, id: number): ReportRow[] {
    demand(actor, 'jobs.read');
    const job = this.#job(id);
    return this.#d.repo.runs(id).map((r) => reportRow(job, r, outputTail(this.#d.repo.output(id, r.hostId))));
  }

  /** One row per host run of the jobs created in [from, to), at most `limit` rows. */
  reportRange(actor: Actor, from: number, to: number, limit = 100_000): ReportRow[] {
    demand(actor, 'jobs.read');
    if (to <= from) throw new PantauError('VALIDATION_FAILED', 'query.to must be after query.from');
    return this.#d.repo
      .exportRange(from, to, limit)
      .map((r) =>
        reportRow(
          { id: r.jobId, activity: r.activity, actor: r.actor, actorName: r.actorName },
          r,
          outputTail(this.#d.repo.output(r.jobId, r.hostId)),
        ),
      );
  }

  /** After a start: re-arm the confirmation deadlines and let the dispatcher recover running jobs. */
  start(now = this.#now()): void {
    const unfinished = this.#d.repo.unfinished();
    for (const job of unfinished) {
      if (job.state !== 'running') this.#armDecide(job.id, (job.decideBy ?? now) - now);
    }
    this.#d.dispatcher.recover(unfinished);
  }

  stop(): void {
    for (const t of this.#decide.values()) this.#timers.clearTimeout(t);
    this.#decide.clear();
    this.#d.dispatcher.stop();
  }

  #job(id: number): Job {
    const job = this.#d.repo.get(id);
    if (!job) throw new PantauError('NOT_FOUND', `no job with id ${id}`);
    return job;
  }

  /** The job in the given awaiting state, expiring it first when its deadline has passed. */
  #pending(id: number, state: Job['state'], what: string, now: number): Job {
    let job = this.#job(id);
    if (job.state === state && job.decideBy !== null && now >= job.decideBy) {
      this.#expire(id, now);
      job = this.#job(id);
    }
    if (job.state === 'expired') {
      throw new PantauError(
        'CONFLICT',
        `job ${id} expired: it was not decided within ${this.#d.settings.confirmTimeout} ms`,
      );
    }
    if (job.state !== state)
      throw new PantauError('CONFLICT', `job ${id} is ${job.state}, not awaiting ${what}`);
    return job;
  }

  #mayCancel(actor: Actor, job: Job, now: number): void {
    demand(actor, 'job.run');
    if (job.actor !== actor.id) {
      try {
        demand(actor, 'job.cancel.any');
      } catch (err) {
        this.#d.audit.record(
          actor,
          'job.denied',
          `job:${job.id}`,
          { reason: "cancel of another actor's job" },
          now,
        );
        throw new PantauError(
          'FORBIDDEN',
          `job ${job.id} belongs to ${job.actorName}; ${(err as Error).message}`,
        );
      }
    }
  }

  #armDecide(id: number, ms: number): void {
    this.#clearDecide(id);
    const timer = this.#timers.setTimeout(
      () => {
        this.#decide.delete(id);
        this.#expire(id, this.#now());
      },
      Math.max(0, ms),
    );
    this.#decide.set(id, timer);
  }

  #clearDecide(id: number): void {
    const timer = this.#decide.get(id);
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    this.#decide.delete(id);
  }

  #expire(id: number, now: number): void {
    const job = this.#d.repo.get(id);
    if (!job || (job.state !== 'awaiting_confirmation' && job.state !== 'awaiting_approval')) return;
    this.#clearDecide(id);
    this.#d.dispatcher.atomically(() => {
      this.#d.repo.update(id, { state: 'expired', endedAt: now, decideBy: null });
      this.#d.dispatcher.dropQueued(id, `job expired while ${job.state.replace('_', ' ')}`);
      this.#d.audit.record(SYSTEM_ACTOR, 'job.expire', `job:${id}`, { was: job.state }, now);
      this.#d.dispatcher.jobChanged(id, now);
    });
  }
}
