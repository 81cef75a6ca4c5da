import type { SilenceBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api, can } from '../api.ts';
import { Choice } from '../components/choice.tsx';
import { TextField } from '../components/text-field.tsx';
import { time } from '../format.ts';
import { fleet } from '../live.ts';

type Scope = 'hosts' | 'label' | 'all';

/** What a silence or window mutes, in words: "host web-1", "hosts web-*", "label env=prod", "all hosts". */
export function scopeOf(s: SilenceBody): string {
  const parts: string[] = [];
  if (s.hostId !== null) parts.push(`host ${fleet.value.get(s.hostId)?.name ?? `#${s.hostId}`}`);
  if (s.host !== null) parts.push(`hosts ${s.host}`);
  if (s.label) parts.push(`label ${s.label.key}=${s.label.value}`);
  if (s.ruleId !== null) parts.push(`rule ${s.ruleId}`);
  if (s.incidentId !== null) parts.push(`incident #${s.incidentId}`);
  return parts.length > 0 ? parts.join(', ') : 'all hosts';
}

/** Silences and maintenance windows: what each mutes and until when; schedule one, end one. */
export function Silences(props: {
  silences: SilenceBody[];
  act: (label: string, run: () => Promise<unknown>) => Promise<void>;
}) {
  const scope = useSignal<Scope>('hosts');
  const target = useSignal('');
  const starts = useSignal('');
  const hours = useSignal('2');
  const reason = useSignal('');
  const submit = (e: Event) => {
    e.preventDefault();
    const startsAt = starts.value ? new Date(starts.value).getTime() : Date.now();
    const endsAt = startsAt + Number(hours.value) * 3_600_000;
    const t = target.value.trim();
    // "All hosts" is a choice of its own: an empty field never means everything.
    const matcher =
      scope.value === 'all' ? { all: true } : scope.value === 'label' ? { label: t } : { host: t };
    void props.act('maintenance window scheduled', () =>
      api('/maintenance', { method: 'POST', body: { ...matcher, startsAt, endsAt, reason: reason.value } }),
    );
  };
  return (
    <section>
      <h2>Silences and maintenance windows</h2>
      {props.silences.length === 0 && <p class="muted">None now or scheduled.</p>}
      <ul class="plain">
        {props.silences.map((s) => (
          <li key={s.id} data-testid="silence">
            <span class={`badge ${s.active ? 'inc-open' : 'inc-resolved'}`}>{s.kind}</span>{' '}
            <b data-testid="scope">{scopeOf(s)}</b> · {s.reason || '(no reason)'}{' '}
            <span class="muted">
              {time(s.startsAt)} → {time(s.endsAt)} · by {s.createdByName}
            </span>{' '}
            {can('silences.manage') && (
              <button
                type="button"
                onClick={() => props.act('ended', () => api(`/silences/${s.id}`, { method: 'DELETE' }))}
              >
                end
              </button>
            )}
          </li>
        ))}
      </ul>
      {can('maintenance.manage') && (
        <form class="inline-form" data-testid="maintenance-form" onSubmit={submit}>
          <Choice<Scope>
            label="Mutes"
            value={scope.value}
            options={[
              ['hosts', 'hosts by name or glob'],
              ['label', 'hosts with a label'],
              ['all', 'all hosts'],
            ]}
            onChange={(v) => (scope.value = v)}
          />
          {scope.value === 'hosts' && (
            <TextField
              label="hosts"
              required
              maxLength={128}
              placeholder="web-1 or web-*"
              value={target.value}
              onValue={(v) => (target.value = v)}
            />
          )}
          {scope.value === 'label' && (
            <TextField
              label="label"
              required
              pattern="[^=]+=.*"
              placeholder="env=prod"
              value={target.value}
              onValue={(v) => (target.value = v)}
            />
          )}
          <TextField
            label="starts"
            type="datetime-local"
            value={starts.value}
            onValue={(v) => (starts.value = v)}
          />
          <TextField
            label="hours"
            type="number"
            min="0.25"
            max="720"
            step="0.25"
            value={hours.value}
            onValue={(v) => (hours.value = v)}
          />
          <TextField
            label="reason"
            required
            maxLength={500}
            value={reason.value}
            onValue={(v) => (reason.value = v)}
          />
          <button type="submit">schedule maintenance</button>
        </form>
      )}
    </section>
  );
}
