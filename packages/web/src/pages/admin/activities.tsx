import type { ActivityBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api, errorText } from '../../api.ts';
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
  const actions = [...new Set(items.value.filter((a) => a.builtin).map((a) => a.action))];
  return (
    <section>
      {message.value && (
        <p class="notice" role="status">
          {message.value}
        </p>
      )}
      <div class="scroll-x">
        <table data-testid="activities">
          <thead>
            <tr>
              <th>name</th>
              <th>runs</th>
              <th>parameters</th>
              <th>fixed</th>
              <th>role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.value.map((a) => (
              <tr key={a.id} data-testid="activity" data-activity={a.id}>
                <td>
                  {a.name}
                  {a.dangerous && <span class="badge sev-critical"> dangerous</span>}
                  {a.description && <div class="muted">{a.description}</div>}
                </td>
                <td class="cmd">{a.action}</td>
                <td class="cmd">{a.params.map(describeParam).join('; ') || '–'}</td>
                <td class="cmd">
                  {Object.entries(a.fixed)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ') || '–'}
                </td>
                <td>{a.minRole}</td>
                <td class="actions">
                  {a.builtin ? (
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
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ActivityForm
        draft={draft}
        actions={actions}
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
