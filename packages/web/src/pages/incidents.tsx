import type { IncidentBody, IncidentDetailBody, SilenceBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, can, errorText } from '../api.ts';
import { Choice } from '../components/choice.tsx';
import { IncidentMarks } from '../components/incident-marks.tsx';
import { Notice } from '../components/status.tsx';
import { duration, time } from '../format.ts';
import { incidentCounts } from '../live.ts';
import { Silences } from './silences.tsx';

/** Incidents with filters and their timelines; acknowledge, resolve, silence; maintenance windows. */
export function IncidentsPage() {
  const params = new URLSearchParams(location.search);
  const status = useSignal(params.get('status') ?? 'active');
  const kind = useSignal('');
  const hostId = params.get('hostId');
  const items = useSignal<IncidentBody[]>([]);
  const silences = useSignal<SilenceBody[]>([]);
  const open = useSignal<number | null>(null);
  const timeline = useSignal<IncidentDetailBody['events']>([]);
  const message = useSignal<string | null>(null);

  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (status.value !== 'all') q.set('status', status.value);
    if (kind.value) q.set('kind', kind.value);
    if (hostId) q.set('hostId', hostId);
    try {
      const [list, sil] = await Promise.all([
        api<{ items: IncidentBody[] }>(`/incidents?${q}`),
        api<{ items: SilenceBody[] }>('/silences'),
      ]);
      items.value = list.items;
      silences.value = sil.items;
    } catch (err) {
      message.value = errorText(err);
    }
  };
  // Reload when the filters change or any incident count moves on the live stream.
  useEffect(() => {
    void load();
  }, [status.value, kind.value, incidentCounts.value]);

  const act = async (label: string, run: () => Promise<unknown>) => {
    try {
      await run();
      message.value = label;
      await load();
      if (open.value !== null) await showTimeline(open.value);
    } catch (err) {
      message.value = errorText(err);
    }
  };
  const showTimeline = async (id: number) => {
    open.value = id;
    timeline.value = (await api<IncidentDetailBody>(`/incidents/${id}`)).events;
  };

  return (
    <div class="page incidents">
      <header class="page-head">
        <h1>Incidents</h1>
      </header>
      <div class="toolbar">
        <Choice
          ariaLabel="Status"
          value={status.value}
          options={['active', 'open', 'acknowledged', 'resolved', 'all']}
          onChange={(v) => (status.value = v)}
        />
        <Choice
          ariaLabel="Kind"
          value={kind.value}
          options={[
            ['', 'every kind'],
            ['host_down', 'host down'],
            ['service_down', 'service down'],
            ['threshold', 'threshold'],
            ['container', 'container'],
            ['change', 'change'],
          ]}
          onChange={(v) => (kind.value = v)}
        />
        {hostId && <a href="/incidents">all hosts</a>}
      </div>
      <Notice message={message.value} />
      {items.value.length === 0 ? (
        <p class="empty">No incidents match.</p>
      ) : (
        <ul class="cards">
          {items.value.map((i) => (
            <li key={i.id} class={`card sev-${i.severity}`} data-testid="incident">
              <div class="card-head">
                <span class={`badge inc-${i.status}`}>{i.status}</span>
                <b>{i.title}</b>
                <IncidentMarks incident={i} />
                <span class="muted">
                  {i.hostName ? <a href={`/hosts/${i.hostId}`}>{i.hostName}</a> : 'deleted host'} · opened{' '}
                  {time(i.openedAt)}
                  {i.durationMs !== null && ` · lasted ${duration(i.durationMs)}`}
                </span>
              </div>
              <p>{i.detail}</p>
              <div class="actions">
                <button
                  type="button"
                  onClick={() => {
                    if (open.value === i.id) open.value = null;
                    else void showTimeline(i.id);
                  }}
                >
                  timeline
                </button>
                {i.status === 'open' && can('incidents.ack') && (
                  <button
                    type="button"
                    onClick={() =>
                      act(`#${i.id} acknowledged`, () => api(`/incidents/${i.id}/ack`, { method: 'POST' }))
                    }
                  >
                    acknowledge
                  </button>
                )}
                {i.status !== 'resolved' && can('incidents.ack') && (
                  <>
                    <button
                      type="button"
                      onClick={() =>
                        act(`#${i.id} resolved`, () => api(`/incidents/${i.id}/resolve`, { method: 'POST' }))
                      }
                    >
                      resolve
                    </button>
                    {can('silences.manage') && (
                      <button
                        type="button"
                        onClick={() =>
                          act(`#${i.id} silenced for 1h`, () =>
                            api('/silences', {
                              method: 'POST',
                              body: { incidentId: i.id, duration: '1h', reason: 'silenced from the console' },
                            }),
                          )
                        }
                      >
                        silence 1h
                      </button>
                    )}
                  </>
                )}
              </div>
              {open.value === i.id && (
                <ol class="timeline">
                  {timeline.value.map((e) => (
                    <li key={`${e.at}${e.type}`}>
                      <span class="muted">{time(e.at)}</span> {e.type}
                      {e.actorName && ` by ${e.actorName}`}
                      {e.detail && <span class="muted"> · {e.detail}</span>}
                    </li>
                  ))}
                </ol>
              )}
            </li>
          ))}
        </ul>
      )}
      <Silences silences={silences.value} act={act} />
    </div>
  );
}
