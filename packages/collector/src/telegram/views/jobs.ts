import type { Preview } from '../../jobs/plan.ts';
import type { Job, Run, RunState } from '../../jobs/types.ts';
import { ago } from '../format.ts';
import { bold, escapeHtml, MAX_MESSAGE, text } from '../html.ts';

const RUN_MARK: Record<RunState, string> = {
  queued: '⏸',
  running: '⏳',
  succeeded: '✅',
  failed: '❌',
  timed_out: '⏱',
  cancelled: '🚫',
  rejected: '⛔',
  unreachable: '📴',
  lost: '❓',
};

const JOB_MARK: Record<Job['state'], string> = {
  awaiting_confirmation: '❔',
  awaiting_approval: '👥',
  running: '⏳',
  succeeded: '✅',
  failed: '❌',
  cancelled: '🚫',
  expired: '⌛',
};

/** The preview before Confirm: what, how many hosts, which are skipped and why. */
export function previewView(
  activity: string,
  dangerous: boolean,
  preview: Preview,
  params: Record<string, unknown>,
): string {
  const names = preview.hosts.map((h) => h.name);
  const shown = names
    .slice(0, 30)
    .map((n) => text(n, 40))
    .join(', ');
  const lines = [
    bold(`▶️ Run ${text(activity, 40)} on ${names.length} host${names.length === 1 ? '' : 's'}`),
    names.length === 0
      ? 'No host can run it now.'
      : `${shown}${names.length > 30 ? ` … and ${names.length - 30} more` : ''}`,
  ];
  const paramText = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`);
  if (paramText.length > 0) lines.push(`Parameters: <code>${text(paramText.join(' '), 200)}</code>`);
  if (preview.skipped.length > 0) {
    lines.push(`Skipped ${preview.skipped.length}:`);
    for (const s of preview.skipped.slice(0, 15))
      lines.push(`• ${text(s.name, 40)}: ${text(s.message, 100)}`);
    if (preview.skipped.length > 15) lines.push(`… and ${preview.skipped.length - 15} more`);
  }
  if (dangerous) lines.push('', '⚠️ <b>Dangerous</b>: only an admin may run it, and only after confirming.');
  return lines.join('\n');
}

function duration(run: Run): string {
  return run.durationMs === null ? '' : ` (${(run.durationMs / 1000).toFixed(1)} s)`;
}

/** One line per host: its state, exit code, how long. */
export function runLines(runs: readonly Run[], max = 40): string[] {
  const lines = runs.slice(0, max).map((r) => {
    const exit = r.exitCode !== null && r.state !== 'succeeded' ? ` exit ${r.exitCode}` : '';
    const why = r.error !== null ? `: ${text(r.error, 80)}` : '';
    return `${RUN_MARK[r.state]} ${text(r.host, 40)} ${r.state.replace('_', ' ')}${exit}${duration(r)}${why}`;
  });
  if (runs.length > max) lines.push(`… and ${runs.length - max} more hosts`);
  return lines;
}

/** Counts by state, e.g. "3 succeeded, 1 failed". */
export function counts(runs: readonly Run[]): string {
  const by = new Map<string, number>();
  for (const r of runs) by.set(r.state, (by.get(r.state) ?? 0) + 1);
  return [...by].map(([state, n]) => `${n} ${state.replace('_', ' ')}`).join(', ');
}

/** The live message of a running job: heading, a line per host, the tail of the output. */
export function liveView(job: Job, runs: readonly Run[], tail: string): string {
  const head = bold(
    `${JOB_MARK[job.state]} Job #${job.id} · ${text(job.activity, 40)} · ${job.state.replace(/_/g, ' ')}`,
  );
  const status = runLines(runs).join('\n');
  const body = `${head}\n${status}`;
  const room = MAX_MESSAGE - body.length - 40;
  if (tail === '' || room < 100) return body;
  const clipped = tail.length > room ? `…${tail.slice(tail.length - room + 1)}` : tail;
  return `${body}\n<pre>${escapeHtml(clipped)}</pre>`;
}

/** /jobs: the newest jobs, one line each. */
export function jobsView(jobs: readonly Job[], now: number): string {
  if (jobs.length === 0) return 'No jobs yet. Start one with /run ACTIVITY TARGETS.';
  const lines = jobs.map(
    (j) =>
      `${JOB_MARK[j.state]} #${j.id} ${text(j.activity, 30)} by ${text(j.actorName, 30)} · ${j.state.replace(/_/g, ' ')} · ${ago(j.createdAt, now)}`,
  );
  return `${bold('Recent jobs')}\n${lines.join('\n')}\nDetails: /job ID`;
}
