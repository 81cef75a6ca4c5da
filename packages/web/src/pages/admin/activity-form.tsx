import type { Signal } from '@preact/signals';
import { Choice } from '../../components/choice.tsx';
import { TextField } from '../../components/text-field.tsx';
import { type ActivityDraft, emptyParam, type Kind, type ParamDraft } from './activity-draft.ts';

const KINDS: readonly Kind[] = ['enum', 'integer', 'regex'];

/** The create/edit form of an admin-defined activity, its parameter schema as one row per parameter. */
export function ActivityForm({
  draft,
  actions,
  error,
  save,
  cancel,
}: {
  draft: Signal<ActivityDraft>;
  actions: string[];
  error: string | null;
  save: () => void;
  cancel: () => void;
}) {
  const d = draft.value;
  const set = (patch: Partial<ActivityDraft>) => (draft.value = { ...draft.value, ...patch });
  const setParam = (i: number, patch: Partial<ParamDraft>) =>
    set({ params: d.params.map((p, j) => (j === i ? { ...p, ...patch } : p)) });
  return (
    <form
      class="card activity-form"
      data-testid="activity-form"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h2>{d.editing ? `Edit ${d.editing}` : 'New activity'}</h2>
      <div class="inline-form">
        <TextField
          label="Activity name"
          required
          maxLength={64}
          placeholder="restart-web"
          disabled={d.editing !== null}
          value={d.name}
          onValue={(v) => set({ name: v })}
        />
        <label>
          Agent action
          <input
            required
            maxLength={64}
            list="agent-actions"
            title="a built-in action or a custom action the agents define"
            value={d.action}
            onInput={(e) => set({ action: e.currentTarget.value })}
          />
          <datalist id="agent-actions">
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <Choice
          label="Minimum role"
          value={d.minRole}
          options={['operator', 'admin'] as const}
          onChange={(minRole) => set({ minRole })}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={d.dangerous}
            onChange={(e) => set({ dangerous: e.currentTarget.checked })}
          />
          Dangerous (admins only, confirmed by typing the host count)
        </label>
      </div>
      <div class="inline-form">
        <TextField
          label="Description"
          wide
          maxLength={1024}
          value={d.description}
          onValue={(v) => set({ description: v })}
        />
        <label class="grow">
          Fixed parameters (name=value, one a line)
          <textarea rows={2} value={d.fixed} onInput={(e) => set({ fixed: e.currentTarget.value })} />
        </label>
      </div>
      <h3>Parameters the caller fills in</h3>
      {d.params.length === 0 && <p class="muted">None: the activity runs as it is.</p>}
      {d.params.map((p, i) => (
        <fieldset class="inline-form param-row" key={i} data-testid="param-row">
          <legend>parameter {i + 1}</legend>
          <TextField
            label="Parameter name"
            required
            maxLength={64}
            pattern="[A-Za-z_][A-Za-z0-9_]*"
            value={p.name}
            onValue={(v) => setParam(i, { name: v })}
          />
          <Choice label="Kind" value={p.kind} options={KINDS} onChange={(kind) => setParam(i, { kind })} />
          {p.kind === 'enum' && (
            <TextField
              label="Values (comma-separated)"
              wide
              value={p.values}
              onValue={(v) => setParam(i, { values: v })}
            />
          )}
          {p.kind === 'integer' && (
            <>
              <TextField label="Min" type="number" value={p.min} onValue={(v) => setParam(i, { min: v })} />
              <TextField label="Max" type="number" value={p.max} onValue={(v) => setParam(i, { max: v })} />
            </>
          )}
          {p.kind === 'regex' && (
            <TextField
              label="Pattern"
              wide
              placeholder="^[a-z0-9-]+$"
              value={p.pattern}
              onValue={(v) => setParam(i, { pattern: v })}
            />
          )}
          <TextField label="Default" value={p.default} onValue={(v) => setParam(i, { default: v })} />
          <label class="check">
            <input
              type="checkbox"
              checked={p.required}
              onChange={(e) => setParam(i, { required: e.currentTarget.checked })}
            />
            Required
          </label>
          <TextField
            label="Parameter description"
            wide
            value={p.description}
            onValue={(v) => setParam(i, { description: v })}
          />
          <button type="button" onClick={() => set({ params: d.params.filter((_, j) => j !== i) })}>
            remove parameter
          </button>
        </fieldset>
      ))}
      <p>
        <button type="button" onClick={() => set({ params: [...d.params, emptyParam()] })}>
          add parameter
        </button>
      </p>
      {error && (
        <p class="error" role="alert" data-testid="activity-error">
          {error}
        </p>
      )}
      <p class="inline-form">
        <button type="submit">{d.editing ? 'save activity' : 'create activity'}</button>
        {d.editing && (
          <button type="button" onClick={cancel}>
            cancel
          </button>
        )}
      </p>
    </form>
  );
}
