import type { Signal } from '@preact/signals';
import { Choice } from '../../components/choice.tsx';
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
        <label>
          Activity name
          <input
            required
            maxLength={64}
            placeholder="restart-web"
            disabled={d.editing !== null}
            value={d.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
          />
        </label>
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
        <label class="grow">
          Description
          <input
            maxLength={1024}
            value={d.description}
            onInput={(e) => set({ description: e.currentTarget.value })}
          />
        </label>
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
          <label>
            Parameter name
            <input
              required
              maxLength={64}
              pattern="[A-Za-z_][A-Za-z0-9_]*"
              value={p.name}
              onInput={(e) => setParam(i, { name: e.currentTarget.value })}
            />
          </label>
          <Choice label="Kind" value={p.kind} options={KINDS} onChange={(kind) => setParam(i, { kind })} />
          {p.kind === 'enum' && (
            <label class="grow">
              Values (comma-separated)
              <input value={p.values} onInput={(e) => setParam(i, { values: e.currentTarget.value })} />
            </label>
          )}
          {p.kind === 'integer' && (
            <>
              <label>
                Min
                <input
                  type="number"
                  value={p.min}
                  onInput={(e) => setParam(i, { min: e.currentTarget.value })}
                />
              </label>
              <label>
                Max
                <input
                  type="number"
                  value={p.max}
                  onInput={(e) => setParam(i, { max: e.currentTarget.value })}
                />
              </label>
            </>
          )}
          {p.kind === 'regex' && (
            <label class="grow">
              Pattern
              <input
                placeholder="^[a-z0-9-]+$"
                value={p.pattern}
                onInput={(e) => setParam(i, { pattern: e.currentTarget.value })}
              />
            </label>
          )}
          <label>
            Default
            <input value={p.default} onInput={(e) => setParam(i, { default: e.currentTarget.value })} />
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={p.required}
              onChange={(e) => setParam(i, { required: e.currentTarget.checked })}
            />
            Required
          </label>
          <label class="grow">
            Parameter description
            <input
              value={p.description}
              onInput={(e) => setParam(i, { description: e.currentTarget.value })}
            />
          </label>
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
