import type { ActivityBody, JobBody, PreviewBody, RunBody } from '@pantau/collector/api-types';
import { useComputed, useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, authHeaders, can, errorText } from '../api.ts';
import { TextField } from '../components/text-field.tsx';
import { runProblem } from '../format.ts';
import { fleet, readSse } from '../live.ts';
import { query } from '../router.ts';

type Params = Record<string, string | number>;
/** A run of one stream's output, or a note from the collector about the run. */
interface Piece {
  stream: 'stdout' | 'stderr' | 'note';
  data: string;
}
interface Pane {
  host: string;
  state: string;
  /** Both streams interleaved in the order the job wrote them. */
  output: Piece[];
}

/** Appends a piece, merged into the last one when it is the same stream. */
function append(output: Piece[], piece: Piece): Piece[] {
  const last = output[output.length - 1];
  if (last?.stream === piece.stream)
    return [...output.slice(0, -1), { ...last, data: last.data + piece.data }];
  return [...output, piece];
}

/** Pick hosts, pick an activity, fill its parameters, run; every host's output arrives live. */
export function ActionsPage() {
  const activities = useSignal<ActivityBody[]>([]);
  const picked = useSignal<Set<number>>(
    new Set(query.value.get('host') ? [Number(query.value.get('host'))] : []),
  );
  const names = useSignal('');
  const selector = useSignal('');
  const activityId = useSignal('');
  const params = useSignal<Params>({});
  const preview = useSignal<PreviewBody | null>(null);
  const error = useSignal<string | null>(null);
  const job = useSignal<JobBody | null>(null);
  const typed = useSignal('');
  const panes = useSignal<Record<number, Pane>>({});
  const hosts = useComputed(() => [...fleet.value.values()].sort((a, b) => a.name.localeCompare(b.name)));
  const activity = activities.value.find((a) => a.id === activityId.value);
  // Required parameters without a value or a default: the run (and its preview) waits for them.
  const missing = (activity?.params ?? [])
    .filter((p) => p.required && p.default === undefined && (params.value[p.name] ?? '') === '')
    .map((p) => p.name);

  useEffect(() => {
    api<{ items: ActivityBody[] }>('/activities')
      .then((r) => {
        activities.value = r.items;
        activityId.value ||= r.items.find((a) => a.id === 'uptime')?.id ?? r.items[0]?.id ?? '';
      })
      .catch((err: unknown) => (error.value = errorText(err)));
  }, []);

  const targets = () => {
    const list: (number | string)[] = [...picked.value];
    for (const n of names.value.split(/[\s,]+/)) if (n) list.push(n);
    return {
      ...(list.length > 0 ? { hosts: list } : {}),
      ...(selector.value.trim() ? { selector: selector.value.trim() } : {}),
    };
  };
  const body = () => ({ activity: activityId.value, params: params.value, targets: targets() });

  // The live count: which hosts would run it and which are skipped, as the targets change.
  useEffect(() => {
    const t = targets();
    if (!activityId.value || Object.keys(t).length === 0 || missing.length > 0) {
      preview.value = null;
      return;
    }
    const timer = setTimeout(() => {
      api<PreviewBody>('/jobs/preview', { method: 'POST', body: body() })
        .then((p) => {
          preview.value = p;
          error.value = null;
        })
        .catch((err: unknown) => {
          preview.value = null;
          error.value = errorText(err);
        });
    }, 250);
    return () => clearTimeout(timer);
  }, [picked.value, names.value, selector.value, activityId.value, params.value]);

  const follow = async (id: number) => {
    const res = await fetch(`/api/v1/jobs/${id}/events`, {
      headers: authHeaders(),
      credentials: 'same-origin',
    });
    if (!res.ok || !res.body) throw new Error(`job events answered ${res.status}`);
    await readSse(res.body, {
      job: (data) => {
        job.value = JSON.parse(data) as JobBody;
      },
      run: (data) => {
        const run = JSON.parse(data) as RunBody;
        const before = panes.value[run.hostId]?.output ?? [];
        const problem = runProblem(run.error, run.host);
        const noted = before.some((p) => p.stream === 'note' && p.data === `${problem}\n`);
        panes.value = {
          ...panes.value,
          [run.hostId]: {
            host: run.host,
            state: run.state,
            output: problem && !noted ? append(before, { stream: 'note', data: `${problem}\n` }) : before,
          },
        };
      },
      output: (data) => {
        const o = JSON.parse(data) as { hostId: number; host: string; stream: Piece['stream']; data: string };
        const before = panes.value[o.hostId] ?? { host: o.host, state: 'running', output: [] };
        panes.value = {
          ...panes.value,
          [o.hostId]: { ...before, output: append(before.output, { stream: o.stream, data: o.data }) },
        };
      },
    });
  };

  const run = async () => {
    try {
      panes.value = {};
      typed.value = '';
      const created = await api<JobBody>('/jobs', { method: 'POST', body: body() });
      job.value = created;
      void follow(created.id).catch((err: unknown) => (error.value = errorText(err)));
    } catch (err) {
      error.value = errorText(err);
    }
  };
  const count = preview.value?.hosts.length ?? 0;
  const waiting = job.value?.state === 'awaiting_confirmation';

  return (
    <div class="page run-page">
      <header class="page-head">
        <h1>Actions</h1>
      </header>
      {!can('job.run') && <p class="error">Your role cannot run activities.</p>}
      <section class="pick">
        <h2>1. Hosts</h2>
        <div class="host-picks" data-testid="host-picks">
          {hosts.value.map((h) => (
            <label key={h.id} class={`pick-host status-${h.status}`}>
              <input
                type="checkbox"
                checked={picked.value.has(h.id)}
                onChange={(e) => {
                  const next = new Set(picked.value);
                  if (e.currentTarget.checked) next.add(h.id);
                  else next.delete(h.id);
                  picked.value = next;
                }}
              />
              {h.name}
            </label>
          ))}
        </div>
        <div class="inline-form">
          <TextField
            label="names or globs"
            placeholder="web-*, db-1"
            value={names.value}
            onValue={(v) => (names.value = v)}
          />
          <TextField
            label="labels"
            placeholder="env=prod,role=web"
            value={selector.value}
            onValue={(v) => (selector.value = v)}
          />
        </div>
        <p data-testid="preview-count">
          {missing.length > 0 && activity
            ? `${activity.name} needs ${missing.join(' and ')} (required): fill ${missing.length === 1 ? 'it' : 'them'} in below to see who runs it.`
            : preview.value
              ? `${count} host${count === 1 ? '' : 's'} will run it`
              : 'Pick hosts to see who runs it.'}
        </p>
        {preview.value && preview.value.skipped.length > 0 && (
          <ul class="plain skipped" data-testid="skipped">
            {preview.value.skipped.map((s) => (
              <li key={s.id}>
                skipped {s.name}: {s.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>2. Activity</h2>
        <select
          aria-label="Activity"
          value={activityId.value}
          onChange={(e) => {
            activityId.value = e.currentTarget.value;
            params.value = {};
          }}
        >
          {activities.value.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.dangerous ? ' (dangerous)' : ''}
            </option>
          ))}
        </select>
        {activity?.description && <p class="muted">{activity.description}</p>}
        {activity && activity.params.length > 0 && (
          <div class="inline-form" data-testid="params">
            {activity.params.map((p) => (
              <ParamField
                key={p.name}
                param={p}
                value={params.value[p.name] ?? p.default ?? ''}
                set={(v) => (params.value = { ...params.value, [p.name]: v })}
              />
            ))}
          </div>
        )}
      </section>
      <section>
        <h2>3. Run</h2>
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
        <button
          type="button"
          disabled={!can('job.run') || count === 0 || missing.length > 0}
          onClick={() => void run()}
        >
          {missing.length > 0
            ? `Run ${activity?.name ?? ''}: ${missing.join(' and ')} missing`
            : `Run ${activity?.name ?? ''} on ${count} host${count === 1 ? '' : 's'}`}
        </button>
        {waiting && job.value && (
          <div class="card confirm" data-testid="confirm">
            <p>
              <b>{job.value.activity}</b> is dangerous. Type the number of hosts (
              {job.value.counts.queued ?? count}) to run it.
            </p>
            <input
              aria-label="Number of hosts"
              inputMode="numeric"
              value={typed.value}
              onInput={(e) => (typed.value = e.currentTarget.value)}
            />
            <button
              type="button"
              disabled={typed.value.trim() !== String(job.value.counts.queued ?? count)}
              onClick={() =>
                api<JobBody>(`/jobs/${job.value!.id}/confirm`, { method: 'POST' })
                  .then((j) => {
                    // The event stream may already have said more (even "succeeded"); never go back.
                    if (job.value?.state === 'awaiting_confirmation') job.value = j;
                  })
                  .catch((err: unknown) => (error.value = errorText(err)))
              }
            >
              confirm
            </button>
          </div>
        )}
        {job.value && (
          <p>
            job #{job.value.id}:{' '}
            <span class={`badge job-${job.value.state}`} data-testid="job-state">
              {job.value.state}
            </span>{' '}
            {job.value.state === 'running' && (
              <button
                type="button"
                onClick={() => void api(`/jobs/${job.value!.id}/cancel`, { method: 'POST' }).catch(() => {})}
              >
                cancel
              </button>
            )}
          </p>
        )}
        <div class="panes">
          {Object.entries(panes.value).map(([id, p]) => (
            <div class="pane" key={id} data-testid="pane" data-host={p.host}>
              <div class="card-head">
                <b>{p.host}</b> <span class={`badge run-${p.state}`}>{p.state}</span>
              </div>
              <pre>
                {p.output.map((piece, i) => (
                  <span key={i} class={`out-${piece.stream}`} data-stream={piece.stream} title={piece.stream}>
                    {piece.data}
                  </span>
                ))}
              </pre>
            </div>
          ))}
        </div>
      </section>
    </div>
  );
}

type Param = ActivityBody['params'][number];

/** One parameter's input, from its schema: a list for enums, a number with bounds, or a pattern. */
function ParamField({
  param: p,
  value,
  set,
}: {
  param: Param;
  value: string | number;
  set: (v: string | number) => void;
}) {
  const label = `${p.name}${p.required ? ' *' : ''}`;
  if (p.kind === 'enum') {
    return (
      <label>
        {label}
        <select value={String(value)} onChange={(e) => set(e.currentTarget.value)}>
          <option value="" />
          {(p.values ?? []).map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
    );
  }
  if (p.kind === 'integer') {
    return (
      <label>
        {label}
        <input
          type="number"
          min={p.min}
          max={p.max}
          required={p.required}
          title={p.description}
          value={String(value)}
          onInput={(e) => set(e.currentTarget.value === '' ? '' : Number(e.currentTarget.value))}
        />
      </label>
    );
  }
  return (
    <label>
      {label}
      <input
        pattern={p.pattern}
        required={p.required}
        title={p.description}
        value={String(value)}
        onInput={(e) => set(e.currentTarget.value)}
      />
    </label>
  );
}
