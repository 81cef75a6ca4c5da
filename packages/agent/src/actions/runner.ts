import { type ChildProcess, spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { monotonicMs, type Timers } from '../clock.ts';

export interface RunOptions {
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL, ms. */
  killGraceMs: number;
  /** Output kept, bytes over both streams. */
  outputCapBytes: number;
  /** Each piece of output as it is read, in the order the streams delivered it. */
  onOutput(stream: 'stdout' | 'stderr', data: string): void;
  /**
   * The timeout and kill-grace timers. They should not keep the process up: the child does while
   * it runs, and a SIGKILL still due after it ended must not hold the agent's exit.
   */
  timers: Timers;
  /** Monotonic clock, ms; default the real one. */
  monotonic?: () => number;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  truncated: boolean;
  /** Output bytes read past the cap and discarded. */
  droppedBytes: number;
  timedOut: boolean;
  cancelled: boolean;
  error?: string;
}

export interface RunHandle {
  /** Process id of the job's leader, which is also its process group id. */
  readonly pid: number | undefined;
  cancel(): void;
  /** Stops reading the job's output (it blocks once its pipes fill): back-pressure. */
  pause(): void;
  resume(): void;
  readonly done: Promise<RunResult>;
}

/** The environment a job sees: never the agent's own (it holds the token). */
export function jobEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME || '/root',
    LANG: 'C.UTF-8',
    ...extra,
  };
}

/**
 * Runs argv without a shell in a process group of its own, so a timeout or cancel can signal
 * everything it started (SIGTERM, then SIGKILL after the grace period). Output is decoded as
 * UTF-8, capped (what is past the cap is counted and discarded) and handed out as it is read.
 */
export function runCommand(options: RunOptions): RunHandle {
  const { timers, monotonic = monotonicMs } = options;
  const started = monotonic();
  const [command, ...args] = options.argv;
  let truncated = false;
  let timedOut = false;
  let cancelled = false;
  let kept = 0;
  let spawnError: string | undefined;
  let killArmed = false;

  let child: ChildProcess;
  try {
    child = spawn(command ?? '', args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
      cwd: '/',
    });
  } catch (err) {
    // Node refuses some argv outright (a NUL byte) by throwing, not with an 'error' event: the
    // run ends failed with the reason instead of the exception taking the agent down.
    const error = `cannot run ${command}: ${(err as Error).message}`;
    const result = {
      exitCode: null,
      signal: null,
      durationMs: 0,
      truncated: false,
      droppedBytes: 0,
      timedOut: false,
      cancelled: false,
      error,
    };
    return { pid: undefined, cancel() {}, pause() {}, resume() {}, done: Promise.resolve(result) };
  }

  let droppedBytes = 0;
  const capture = (stream: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    child[stream]?.on('data', (chunk: Buffer) => {
      let piece = chunk;
      if (kept + piece.length > options.outputCapBytes) {
        // Keep draining so the child never blocks on a full pipe; count what is discarded.
        piece = piece.subarray(0, Math.max(0, options.outputCapBytes - kept));
        droppedBytes += chunk.length - piece.length;
        truncated = true;
      }
      kept += piece.length;
      const text = decoder.write(piece);
      if (text !== '') options.onOutput(stream, text);
    });
    child[stream]?.on('end', () => {
      const text = decoder.end();
      if (text !== '') options.onOutput(stream, text);
    });
  };
  capture('stdout');
  capture('stderr');

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the whole group is gone already.
    }
  };
  const stop = () => {
    killGroup('SIGTERM');
    if (killArmed) return;
    killArmed = true;
    timers.setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
  };

  const timeout = timers.setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);

  const done = new Promise<RunResult>((resolve) => {
    let finished = false;
    const finish = (exitCode: number | null, signal: string | null) => {
      if (finished) return;
      finished = true;
      timers.clearTimeout(timeout);
      // A member that ignored SIGTERM still gets its SIGKILL (its timer stays armed); then nothing more is sent.
      resolve({
        exitCode,
        signal,
        durationMs: Math.round(monotonic() - started),
        truncated,
        droppedBytes,
        timedOut,
        cancelled,
        ...(spawnError === undefined ? {} : { error: spawnError }),
      });
    };
    child.on('error', (err) => {
      spawnError = `cannot run ${command}: ${err.message}`;
      if (child.pid === undefined) finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });

  return {
    pid: child.pid,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      stop();
    },
    pause() {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resume() {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    done,
  };
}
