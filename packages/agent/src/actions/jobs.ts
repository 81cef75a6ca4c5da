import type {
  ActionSpec,
  JobCancelFrame,
  JobEndFrame,
  JobRejectedFrame,
  JobStartFrame,
} from '@pantau/shared/lite';
import { monotonicMs, type Timers, unrefTimers } from '../clock.ts';
import type { ActionsConfig } from '../config/types.ts';
import type { Log as Logger } from '../log.ts';
import { type ActionContext, type ActionDefinition, BUILTIN_ACTIONS } from './builtin.ts';
import { customAction } from './custom.ts';
import { OutputPacer, type PacerOptions, type PartsFrame } from './output-pacer.ts';
import { resolveParams } from './params.ts';
import { jobEnv, type RunHandle, runCommand } from './runner.ts';

/** Where job frames go; the connection sends them when a collector is connected. */
export type JobSink = (frame: PartsFrame | JobEndFrame | JobRejectedFrame) => void;

/** The actions this config allows, by name: built-ins named in `allow` plus allowed custom ones. */
export function allowedActions(config: ActionsConfig): Map<string, ActionDefinition> {
  const all = new Map<string, ActionDefinition>();
  for (const def of BUILTIN_ACTIONS) all.set(def.spec.name, def);
  for (const custom of config.custom) all.set(custom.name, customAction(custom));
  const allowed = new Map<string, ActionDefinition>();
  for (const name of config.allow) {
    const def = all.get(name);
    if (def) allowed.set(name, def);
  }
  return allowed;
}

/**
 * Starts allowed actions for job.start frames and cancels them on job.cancel. Whatever is not
 * allowed, has bad parameters or would exceed the concurrency limit is rejected before anything
 * runs. The agent's own config is the last word, whatever the collector asks.
 */
export class JobManager {
  readonly #config: ActionsConfig;
  readonly #allowed: Map<string, ActionDefinition>;
  readonly #send: JobSink;
  readonly #log: Logger;
  readonly #running = new Map<string, RunHandle>();
  readonly #pacer: OutputPacer;
  /** The pacer's and the runs' timers (timeouts, kill grace) and monotonic clock (durations). */
  readonly #timers: Timers;
  readonly #monotonic: () => number;
  readonly #context: ActionContext;

  /** `pacing` tunes how output frames go (the connection says when it is congested). */
  constructor(
    config: ActionsConfig,
    send: JobSink,
    log: Logger,
    pacing: Omit<PacerOptions, 'send'> = {},
    dockerSocket = '/var/run/docker.sock',
  ) {
    this.#config = config;
    this.#context = { dockerSocket, containers: config.containers };
    this.#allowed = allowedActions(config);
    this.#send = send;
    this.#log = log;
    this.#timers = pacing.timers ?? unrefTimers;
    this.#monotonic = pacing.now ?? monotonicMs;
    this.#pacer = new OutputPacer({ ...pacing, send });
  }

  /** What `hello` announces. */
  specs(): ActionSpec[] {
    return [...this.#allowed.values()].map((d) => d.spec);
  }

  /** The ids of the jobs still running, for `hello.jobs` (the collector reconciles with them). */
  ids(): string[] {
    return [...new Set([...this.#running.keys(), ...this.#pacer.jobIds()])].slice(0, 64);
  }

  get running(): number {
    return this.#running.size;
  }

  start(frame: JobStartFrame): void {
    const { jobId, action } = frame;
    const reject = (code: JobRejectedFrame['code'], reason: string) => {
      this.#log.warn({ jobId, action, code, reason }, 'job rejected');
      this.#send({ t: 'job.rejected', jobId, code, reason });
    };
    const def = this.#allowed.get(action);
    if (!def) {
      reject(
        'ACTION_NOT_ALLOWED',
        `action ${JSON.stringify(action)} is not allowed on this host; its owner can add it to actions.allow in the agent config`,
      );
      return;
    }
    if (this.#running.has(jobId)) {
      reject('INVALID_PARAMS', `job ${jobId} is already running`);
      return;
    }
    if (this.#running.size >= this.#config.maxConcurrent) {
      reject(
        'JOB_LIMIT',
        `${this.#running.size} jobs are running; this host allows ${this.#config.maxConcurrent} at once`,
      );
      return;
    }
    const params = resolveParams(def.spec.params, frame.params);
    if (!params.ok) {
      reject('INVALID_PARAMS', params.reason);
      return;
    }
    const problem = def.check?.(params.values, this.#context);
    if (problem) {
      reject('INVALID_PARAMS', problem);
      return;
    }
    const limit = def.timeoutMs ?? this.#config.timeoutMs;
    const timeoutMs = Math.min(frame.timeoutMs ?? limit, limit);
    const onOutput = (stream: 'stdout' | 'stderr', data: string) => this.#pacer.write(jobId, stream, data);
    let handle: RunHandle;
    if ('run' in def) {
      this.#log.info({ jobId, action, params: Object.fromEntries(params.values), timeoutMs }, 'job started');
      handle = def.run(params.values, this.#context, { timeoutMs, onOutput });
    } else {
      const argv = def.argv(params.values);
      this.#log.info({ jobId, action, argv, timeoutMs }, 'job started');
      handle = runCommand({
        argv,
        env: jobEnv(def.env),
        timeoutMs,
        killGraceMs: this.#config.killGraceMs,
        outputCapBytes: this.#config.outputCapBytes,
        onOutput,
        timers: this.#timers,
        monotonic: this.#monotonic,
      });
    }
    this.#pacer.open(jobId, handle);
    this.#running.set(jobId, handle);
    void handle.done.then((result) => {
      this.#running.delete(jobId);
      this.#log.info({ jobId, action, ...result }, 'job ended');
      this.#pacer.end({
        t: 'job.end',
        jobId,
        ...result,
        ...(result.error ? { error: result.error.slice(0, 1024) } : {}),
      });
    });
  }

  cancel(frame: JobCancelFrame): void {
    const handle = this.#running.get(frame.jobId);
    if (!handle) {
      this.#log.info({ jobId: frame.jobId }, 'job.cancel for a job that is not running');
      return;
    }
    this.#log.info({ jobId: frame.jobId }, 'job cancelled');
    handle.cancel();
  }

  /** Cancels every job, waits for them to end and sends what they left (agent shutdown). */
  async stopAll(): Promise<void> {
    const all = [...this.#running.values()];
    for (const h of all) h.cancel();
    await Promise.all(all.map((h) => h.done));
    this.#pacer.drain();
  }
}
