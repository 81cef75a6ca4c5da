import { createInterface } from 'node:readline/promises';
import type { ActivityBody, JobBody, JobDetailBody, PreviewBody } from '../api/types.ts';
import { sleep, systemClock, systemTimers, type Time } from '../clock.ts';
import { isRunFinal, type RunState } from '../jobs/types.ts';
import { ApiClient, ApiError } from './api-client.ts';
import { parseRunArgs, RUN_HELP, type RunOptions, UsageError } from './run-args.ts';
import { exitOf, formatDuration, HostPrinter, printable, type RunRow, summaryTable } from './run-output.ts';
import { SseParser } from './sse.ts';

/** Where `run` talks to the person at the terminal. */
export interface RunIo {
  out(text: string): void;
  err(text: string): void;
  /** A person can answer a question (stdin and stdout are terminals). */
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
  /** Called on Ctrl-C; returns a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
  /** Clock and timers of the stream's resume backoff; default the real ones (a wait keeps the process up). */
  time?: Time;
}

/** The real terminal: questions on stdin/stdout, Ctrl-C as SIGINT. */
export function terminalIo(print: Pick<RunIo, 'out' | 'err'>): RunIo {
  return {
    out: print.out,
    err: print.err,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

/** Give up following a job when the stream cannot be resumed for this long, ms. */
const RESUME_FOR_MS = 60_000;

/** `pantau-collector run …`: returns the exit code (0 all hosts succeeded, 1 some did not, 2 usage or API error). */
export async function runCommand(
  argv: readonly string[],
  io: RunIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`pantau-collector run: ${err.message}\n\n${RUN_HELP}`);
    return 2;
  }
  if (options.help) {
    io.out(RUN_HELP);
    return 0;
  }
  try {
    return await run(options, new ApiClient(options.url, options.token), io);
  } catch (err) {
    if (err instanceof ApiError) {
      io.err(`pantau-collector run: ${err.code}: ${err.message}${hint(err)}`);
      return 2;
    }
    if (err instanceof UsageError) {
      io.err(`pantau-collector run: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function hint(err: ApiError): string {
  if (err.status === 401) return '\ncheck --token / PANTAU_TOKEN: the collector does not know this token';
  if (err.status === 403) return "\nthis token's role may not do this; ask an admin";
  return '';
}

async function run(options: RunOptions, api: ApiClient, io: RunIo): Promise<number> {
  const activity = await findActivity(api, options.activity);
  const params = typedParams(activity, options.params);
  const preview = await api.call<PreviewBody>('POST', '/jobs/preview', {
    activity: activity.id,
    params,
    targets: options.targets,
  });
  printPreview(io, activity, preview);
  if (preview.hosts.length === 0) {
    io.err(
      preview.skipped.length === 0
        ? 'pantau-collector run: no host matches these targets; check --hosts, --selector or --all'
        : 'pantau-collector run: nothing to run: every matching host is skipped (see above)',
    );
    return preview.skipped.length === 0 ? 2 : 1;
  }

  if (activity.dangerous && !options.yes) {
    if (!io.interactive) {
      io.err(
        `pantau-collector run: ${activity.name} is a dangerous activity and there is no terminal to confirm it; pass --yes to run it anyway`,
      );
      return 2;
    }
    const answer = await io.ask(
      `${activity.name} is dangerous. Run it on ${preview.hosts.length} host${preview.hosts.length === 1 ? '' : 's'}? Type yes to go on: `,
    );
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.err('not confirmed; nothing was started');
      return 1;
    }
  }

  let job = await api.call<JobBody>('POST', '/jobs', {
    activity: activity.id,
    params,
    targets: options.targets,
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    ...(options.stopAfterFailures !== undefined ? { stopAfterFailures: options.stopAfterFailures } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (job.state === 'awaiting_confirmation') job = await api.call<JobBody>('POST', `/jobs/${job.id}/confirm`);
  io.out(`job ${job.id}: ${job.state}`);

  // Skipped hosts get a run too (unreachable or rejected), so they share the prefix width.
  const printer = new HostPrinter(
    io.out,
    [...preview.hosts, ...preview.skipped].map((h) => h.name),
  );
  const stopListening = io.onInterrupt(interrupter(api, io, job.id));
  try {
    await follow(api, io, job.id, printer, job.state);
  } finally {
    stopListening();
    printer.flushAll();
  }

  const final = await api.call<JobDetailBody>('GET', `/jobs/${job.id}`);
  const runs = final.runs ?? [];
  io.out('');
  for (const line of summaryTable(runs)) io.out(line);
  io.out(`job ${final.id}: ${final.state}`);
  return runs.length > 0 && runs.every((r) => r.state === 'succeeded') ? 0 : 1;
}

async function findActivity(api: ApiClient, wanted: string): Promise<ActivityBody> {
  const { items } = await api.call<{ items: ActivityBody[] }>('GET', '/activities');
  const found = items.find((a) => String(a.id) === wanted) ?? items.find((a) => a.name === wanted);
  if (!found) {
    const names = items.map((a) => a.name).join(', ');
    throw new UsageError(
      `unknown activity ${JSON.stringify(wanted)}; this collector has: ${names || 'none'}`,
    );
  }
  return found;
}

/** Integer parameters go as numbers; the collector checks every value against the activity's schema. */
function typedParams(activity: ActivityBody, given: Record<string, string>): Record<string, string | number> {
  const kinds = new Map((activity.params ?? []).map((p) => [p.name, p.kind]));
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(given)) {
    out[name] = kinds.get(name) === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

function printPreview(io: RunIo, activity: ActivityBody, preview: PreviewBody): void {
  const names = preview.hosts.map((h) => printable(h.name)).join(', ');
  io.out(
    `${activity.name} on ${preview.hosts.length} host${preview.hosts.length === 1 ? '' : 's'}${names ? `: ${names}` : ''}`,
  );
  for (const s of preview.skipped) {
    io.out(`  skipped ${printable(s.name)}: ${s.reason}${s.message ? ` (${printable(s.message)})` : ''}`);
  }
}

/** First Ctrl-C cancels the job and keeps following it; a second one leaves at once. */
function interrupter(api: ApiClient, io: RunIo, jobId: number | string): () => void {
  let asked = false;
  return () => {
    if (asked) {
      io.err(`leaving; job ${jobId} goes on without this terminal`);
      process.exit(130);
    }
    asked = true;
    io.err(`cancelling job ${jobId} (Ctrl-C again to leave without waiting)`);
    api.call('POST', `/jobs/${jobId}/cancel`).catch((err: Error) => io.err(`cancel failed: ${err.message}`));
  };
}

/** Prints the job's events until `end`, resuming with Last-Event-ID when the stream drops. */
async function follow(
  api: ApiClient,
  io: RunIo,
  jobId: number | string,
  printer: HostPrinter,
  state: string,
): Promise<void> {
  const said = new Set<string>();
  jobState(io, said, state);
  const parser = new SseParser();
  const controller = new AbortController();
  const { now, timers } = io.time ?? { now: systemClock, timers: systemTimers };
  let lastProgress = now();
  let delay = 250;
  for (;;) {
    try {
      for await (const event of api.events(`/jobs/${jobId}/events`, parser, controller.signal)) {
        lastProgress = now();
        delay = 250;
        if (event.event === 'end') return;
        render(io, printer, said, event.event, event.data);
      }
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 0) throw err;
    }
    // The stream closed without `end`: the connection dropped, or the collector restarted.
    if (now() - lastProgress > RESUME_FOR_MS) {
      throw new ApiError(
        0,
        'UNREACHABLE',
        `lost the event stream of job ${jobId} for ${RESUME_FOR_MS / 1000} s; follow it with GET /jobs/${jobId}`,
      );
    }
    io.err(`event stream dropped; resuming${parser.lastEventId ? ` after event ${parser.lastEventId}` : ''}`);
    await sleep(timers, parser.retryMs ?? delay);
    delay = Math.min(delay * 2, 5_000);
  }
}

/** Says what a waiting or expired job means, once per state (the stream replays earlier states). */
function jobState(io: RunIo, said: Set<string>, state: string): void {
  if (said.has(state)) return;
  said.add(state);
  if (state === 'awaiting_approval') io.out('waiting for another admin to approve the job');
  else if (state === 'expired') io.out('the job expired before it was confirmed or approved');
}

function render(io: RunIo, printer: HostPrinter, said: Set<string>, kind: string, data: string): void {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(data) as Record<string, unknown>;
  } catch {
    io.err(`ignored a ${kind} event that is not JSON`);
    return;
  }
  switch (kind) {
    case 'output': {
      const stream = body.stream === 'stderr' ? 'stderr' : 'stdout';
      printer.output(String(body.host), stream, String(body.data ?? ''));
      return;
    }
    case 'run': {
      const run = body as unknown as RunRow;
      if (!isRunFinal(run.state as RunState)) return;
      printer.flush(run.host);
      const details = [
        run.exitCode !== null && run.exitCode !== undefined ? `exit ${exitOf(run)}` : '',
        run.durationMs !== null && run.durationMs !== undefined ? formatDuration(run.durationMs) : '',
        run.error ? printable(run.error) : '',
      ].filter(Boolean);
      printer.note(run.host, `${run.state}${details.length ? ` (${details.join(', ')})` : ''}`);
      return;
    }
    case 'job':
      jobState(io, said, String(body.state));
      return;
  }
}
