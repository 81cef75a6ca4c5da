import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../../api.ts';
import { time } from '../../format.ts';

interface Entry {
  id: number;
  at: number;
  actor: string;
  surface: string;
  action: string;
  target: string | null;
  details: unknown;
}

/** The audit log, newest first, filtered by actor or action. */
export function AuditAdmin() {
  const entries = useSignal<Entry[]>([]);
  const actor = useSignal('');
  const action = useSignal('');
  const error = useSignal<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (actor.value) q.set('actor', actor.value);
    if (action.value) q.set('action', action.value);
    api<{ items: Entry[] }>(`/audit?${q}`)
      .then((r) => {
        entries.value = r.items;
        error.value = null;
      })
      .catch((err: unknown) => (error.value = errorText(err)));
  }, [actor.value, action.value]);
  return (
    <section>
      <div class="toolbar">
        <input
          aria-label="Actor"
          placeholder="actor, e.g. user:3"
          value={actor.value}
          onChange={(e) => (actor.value = e.currentTarget.value)}
        />
        <input
          aria-label="Action"
          placeholder="action, e.g. user or session.login"
          value={action.value}
          onChange={(e) => (action.value = e.currentTarget.value)}
        />
      </div>
      {error.value && <p class="error">{error.value}</p>}
      <div class="scroll-x">
        <table data-testid="audit">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>via</th>
              <th>action</th>
              <th>target</th>
              <th>details</th>
            </tr>
          </thead>
          <tbody>
            {entries.value.map((e) => (
              <tr key={e.id}>
                <td>{time(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.surface}</td>
                <td>{e.action}</td>
                <td>{e.target ?? '–'}</td>
                <td class="cmd">{e.details ? JSON.stringify(e.details) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
