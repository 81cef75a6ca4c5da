import type { JobBody, JobDetailBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, authHeaders, errorText } from '../api.ts';
import { duration, time } from '../format.ts';

const STATES = ['', 'running', 'succeeded', 'failed', 'cancelled', 'expired', 'awaiting_confirmation'];

/** Saves an export through fetch, so it works with a session cookie and with an API token alike. */
async function download(path: string, name: string): Promise<void> {
  const res = await fetch(`/api/v1${path}`, { headers: authHeaders(), credentials: 'same-origin' });
  if (!res.ok) throw new Error(`export answered ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** Job history as a report: filters, per-host results and durations, CSV export. */
export function JobsPage() {
  const jobs = useSignal<JobBody[]>([]);
  const state = useSignal('');
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
  }, [state.value, activity.value]);
  const show = (id: number) =>
    api<JobDetailBody>(`/jobs/${id}`)
      .then((d) => (open.value = d))
      .catch((err: unknown) => (error.value = errorText(err)));
  const fail = (err: unknown) => (error.value = errorText(err));
  return (
    <div class="page jobs">
      <header class="page-head">
        <h1>Jobs</h1>
      </header>
      <div class="toolbar">
        <select
          aria-label="State"
          value={state.value}
          onChange={(e) => (state.value = e.currentTarget.value)}
        >
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s || 'every state'}
            </option>
          ))}
        </select>
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
      <div class="scroll-x">
        <table data-testid="jobs">
          <thead>
            <tr>
              <th>#</th>
              <th>activity</th>
              <th>by</th>
              <th>state</th>
              <th>hosts</th>
              <th>created</th>
              <th>took</th>
            </tr>
          </thead>
          <tbody>
            {jobs.value.map((j) => (
              <tr key={j.id} data-job={j.id}>
                <td>
                  <button type="button" class="link" onClick={() => void show(j.id)}>
                    #{j.id}
                  </button>
                </td>
                <td>{j.activity}</td>
                <td>
                  {j.actorName} <span class="muted">via {j.surface}</span>
                </td>
                <td>
                  <span class={`badge job-${j.state}`}>{j.state}</span>
                </td>
                <td>
                  {Object.entries(j.counts)
                    .map(([s, n]) => `${n} ${s}`)
                    .join(', ')}
                </td>
                <td>{time(j.createdAt)}</td>
                <td>{j.startedAt && j.endedAt ? duration(j.endedAt - j.startedAt) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
          <table>
            <thead>
              <tr>
                <th>host</th>
                <th>result</th>
                <th>exit</th>
                <th>took</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {open.value.runs.map((r) => (
                <tr key={r.hostId} data-host={r.host}>
                  <td>{r.host}</td>
                  <td>
                    <span class={`badge run-${r.state}`}>{r.state}</span>
                  </td>
                  <td>{r.exitCode ?? r.signal ?? '–'}</td>
                  <td>{r.durationMs === null ? '–' : `${r.durationMs} ms`}</td>
                  <td>{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
