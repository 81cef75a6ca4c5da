import type { AuditEntryBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../../api.ts';
import { DataTable } from '../../components/data-table.tsx';
import { time } from '../../format.ts';

/** The audit log, newest first, filtered by who (a name or an actor id) or action. */
export function AuditAdmin() {
  const entries = useSignal<AuditEntryBody[]>([]);
  const actor = useSignal('');
  const action = useSignal('');
  const error = useSignal<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (actor.value) q.set('actor', actor.value);
    if (action.value) q.set('action', action.value);
    api<{ items: AuditEntryBody[] }>(`/audit?${q}`)
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
          placeholder="who, e.g. Ann or user:3"
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
      <DataTable
        testid="audit"
        rows={entries.value}
        rowKey={(e) => e.id}
        columns={[
          { head: 'when', cell: (e) => time(e.at) },
          { head: 'who', cell: (e) => <span title={e.actor}>{e.actorName}</span> },
          { head: 'via', cell: (e) => e.surface },
          { head: 'action', cell: (e) => e.action },
          { head: 'target', cell: (e) => e.target ?? '–' },
          { head: 'details', class: 'cmd', cell: (e) => (e.details ? JSON.stringify(e.details) : '') },
        ]}
      />
    </section>
  );
}
