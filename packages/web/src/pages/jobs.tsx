import type { JobBody, JobDetailBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, can, errorText } from '../api.ts';
import { Choice } from '../components/choice.tsx';
import { DataTable } from '../components/data-table.tsx';
import { RunOutput } from '../components/run-output.tsx';
import { duration, runProblem, time } from '../format.ts';
import { jobChanges } from '../live.ts';

const STATES = [
  '',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'expired',
  'awaiting_confirmation',
  'awaiting_approval',
];

/** Saves an export through fetch, so it works with a session cookie and with an API token alike. */
async function download(path: string, name: string): Promise<void> {
  const url = URL.createObjectURL(await api<Blob>(path, { file: true }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** Job history as a report: filters, per-host results and durations, CSV export. */
export function JobsPage() {
  const jobs = useSignal<JobBody[]>([]);
  // A link from an approval request opens the jobs waiting for one.
  const state = useSignal(new URLSearchParams(location.search).get('state') ?? '');
  const activity = useSignal('');
  const open = useSignal<JobDetailBody | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (state.value) q.set('state', state.value);
    if (activity.value.trim()) q.set('activity', activity.value.trim());
    api<{ items: JobBody[] }>(`/jobs?${q}`)
      .then((r) => {
        jobs.value = r.items;
        error.value = null;
      })
      .catch((err: unknown) => (error.value = errorText(err)));
  }, [state.value, activity.value, jobChanges.value]);
  // Live: a job created or changed anywhere reloads the list above and, if open, its detail.
  useEffect(() => {
    if (open.value && jobChanges.value.ids.includes(open.value.id)) void show(open.value.id);
  }, [jobChanges.value]);
  const show = (id: number) =>
    api<JobDetailBody>(`/jobs/${id}`)
      .then((d) => (open.value = d))
      .catch((err: unknown) => (error.value = errorText(err)));
  const fail = (err: unknown) => (error.value = errorText(err));
  const approve = (id: number) =>
    api<JobBody>(`/jobs/${id}/approve`, { method: 'POST' })
      .then((j) => {
        jobs.value = jobs.value.map((x) => (x.id === id ? j : x));
        return show(id);
      })
      .catch(fail);
  return (
    <div class="page jobs">
      <header class="page-head">
        <h1>Jobs</h1>
      </header>
      <div class="toolbar">
        <Choice
          ariaLabel="State"
          value={state.value}
          options={STATES.map((s) => [s, s || 'every state'] as const)}
          onChange={(v) => (state.value = v)}
        />
        <input
          aria-label="Activity"
          placeholder="activity"
          value={activity.value}
          onChange={(e) => (activity.value = e.currentTarget.value)}
        />
        <button
          type="button"
          onClick={() =>
            download(`/jobs/export?from=${Date.now() - 30 * 86_400_000}&format=csv`, 'jobs-30d.csv').catch(
              fail,
            )
          }
        >
          export 30 days (CSV)
        </button>
      </div>
      {error.value && <p class="error">{error.value}</p>}
      <DataTable
        testid="jobs"
        rows={jobs.value}
        rowKey={(j) => j.id}
        rowProps={(j) => ({ 'data-job': j.id })}
        columns={[
          {
            head: '#',
            cell: (j) => (
              <button type="button" class="link" onClick={() => void show(j.id)}>
                #{j.id}
              </button>
            ),
          },
          { head: 'activity', cell: (j) => j.activity },
          {
            head: 'by',
            cell: (j) => (
              <>
                {j.actorName} <span class="muted">via {j.surface}</span>
              </>
            ),
          },
          { head: 'state', cell: (j) => <span class={`badge job-${j.state}`}>{j.state}</span> },
          {
            head: 'hosts',
            cell: (j) =>
              Object.entries(j.counts)
                .map(([state, n]) => `${n} ${state}`)
                .join(', '),
          },
          { head: 'created', cell: (j) => time(j.createdAt) },
          { head: 'took', cell: (j) => (j.startedAt && j.endedAt ? duration(j.endedAt - j.startedAt) : '–') },
        ]}
      />
      {open.value && (
        <section class="card" data-testid="job-detail">
          <h2>
            Job #{open.value.id}: {open.value.activity}{' '}
            <button
              type="button"
              onClick={() =>
                download(`/jobs/${open.value!.id}/export?format=csv`, `job-${open.value!.id}.csv`).catch(fail)
              }
            >
              export CSV
            </button>
          </h2>
          {open.value.state === 'awaiting_approval' && can('job.approve') && (
            <p class="card confirm" data-testid="approve">
              {open.value.actorName} confirmed this job; it runs once another admin approves it.{' '}
              <button type="button" onClick={() => void approve(open.value!.id)}>
                Approve
              </button>
            </p>
          )}
          <DataTable
            rows={open.value.runs}
            rowKey={(r) => r.hostId}
            rowProps={(r) => ({ 'data-host': r.host })}
            columns={[
              { head: 'host', cell: (r) => r.host },
              { head: 'result', cell: (r) => <span class={`badge run-${r.state}`}>{r.state}</span> },
              { head: 'exit', cell: (r) => r.exitCode ?? r.signal ?? '–' },
              { head: 'took', cell: (r) => (r.durationMs === null ? '–' : `${r.durationMs} ms`) },
              { head: 'why', cell: (r) => runProblem(r.error, r.host) },
            ]}
          />
          {open.value.runs.map((r) => (
            <section key={r.hostId} data-host={r.host}>
              <h3>{r.host}</h3>
              <RunOutput jobId={open.value!.id} hostId={r.hostId} state={r.state} />
            </section>
          ))}
        </section>
      )}
    </div>
  );
}
