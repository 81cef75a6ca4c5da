import type { ActivityBody, AgentActionBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../../api.ts';
import { DataTable } from '../../components/data-table.tsx';
import { Notice } from '../../components/status.tsx';
import { type ActivityDraft, bodyOf, draftOf, emptyDraft } from './activity-draft.ts';
import { ActivityForm } from './activity-form.tsx';
import { useAdminList } from './use-admin-list.ts';

const describeParam = (p: ActivityBody['params'][number]): string => {
  const shape =
    p.kind === 'enum'
      ? (p.values ?? []).join(' | ')
      : p.kind === 'integer'
        ? `${p.min ?? '…'}–${p.max ?? '…'}`
        : (p.pattern ?? '');
  return `${p.name}${p.required ? '*' : ''}: ${p.kind} ${shape}`;
};

/** Activities: the built-ins, and admin-defined ones to create, edit and delete. */
export function ActivitiesAdmin() {
  const { items, message, act, reload } = useAdminList<ActivityBody>('/activities');
  const formError = useSignal<string | null>(null);
  const draft = useSignal<ActivityDraft>(emptyDraft());
  const save = async () => {
    const d = draft.value;
    try {
      const body = bodyOf(d);
      const saved = d.editing
        ? await api<ActivityBody>(`/activities/${encodeURIComponent(d.editing)}`, { method: 'PUT', body })
        : await api<ActivityBody>('/activities', { method: 'POST', body });
      message.value = `activity ${saved.name} ${d.editing ? 'saved' : 'created'}`;
      formError.value = null;
      draft.value = emptyDraft();
      await reload();
    } catch (err) {
      formError.value = err instanceof Error && err.name === 'Error' ? err.message : errorText(err);
    }
  };
  const remove = (a: ActivityBody) =>
    act(`activity ${a.name} deleted (its jobs stay in the history)`, async () => {
      await api(`/activities/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
      if (draft.value.editing === a.id) draft.value = emptyDraft();
    });
  // Built-in actions and the custom actions agents announced, for the form's list.
  const actions = useSignal<string[]>([]);
  useEffect(() => {
    api<{ items: AgentActionBody[] }>('/agent-actions')
      .then((r) => (actions.value = r.items.map((a) => a.name)))
      .catch((err: unknown) => (message.value = errorText(err)));
  }, []);
  return (
    <section>
      <Notice message={message.value} />
      <DataTable
        testid="activities"
        rows={items.value}
        rowKey={(a) => a.id}
        rowProps={(a) => ({ 'data-testid': 'activity', 'data-activity': a.id })}
        columns={[
          {
            head: 'name',
            cell: (a) => (
              <>
                {a.name}
                {a.dangerous && <span class="badge sev-critical"> dangerous</span>}
                {a.description && <div class="muted">{a.description}</div>}
              </>
            ),
          },
          { head: 'runs', class: 'cmd', cell: (a) => a.action },
          { head: 'parameters', class: 'cmd', cell: (a) => a.params.map(describeParam).join('; ') || '–' },
          {
            head: 'fixed',
            class: 'cmd',
            cell: (a) =>
              Object.entries(a.fixed)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ') || '–',
          },
          { head: 'role', cell: (a) => a.minRole },
          {
            head: '',
            class: 'actions',
            cell: (a) =>
              a.builtin ? (
                <span class="muted">built-in</span>
              ) : (
                <>
                  <button
                    type="button"
                    onClick={() => {
                      draft.value = draftOf(a);
                      formError.value = null;
                      // The form sits below a long list; bring it to the admin's eyes.
                      document.querySelector('[data-testid="activity-form"]')?.scrollIntoView();
                    }}
                  >
                    edit
                  </button>
                  <button type="button" onClick={() => void remove(a)}>
                    delete
                  </button>
                </>
              ),
          },
        ]}
      />
      <ActivityForm
        draft={draft}
        actions={actions.value}
        error={formError.value}
        save={() => void save()}
        cancel={() => {
          draft.value = emptyDraft();
          formError.value = null;
        }}
      />
    </section>
  );
}
