import type { AgentTokenBody } from '@pantau/collector/api-types';
import { useComputed, useSignal } from '@preact/signals';
import { api } from '../../api.ts';
import { Notice } from '../../components/status.tsx';
import { TextField } from '../../components/text-field.tsx';
import { fleet } from '../../live.ts';
import { useAdminAction } from './use-admin-list.ts';

/** `a=1, b=2` → { a: '1', b: '2' }; empty parts are skipped. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return labels;
}
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** Hosts: add one (its agent token and install command shown once), labels, rotate, revoke, delete. */
export function HostsAdmin() {
  const name = useSignal('');
  const labels = useSignal('');
  const shown = useSignal<AgentTokenBody | null>(null);
  const hosts = useComputed(() => [...fleet.value.values()].sort((a, b) => a.name.localeCompare(b.name)));
  // The list is the live fleet, so nothing to reload; a new token is shown once.
  const { message, act } = useAdminAction({
    onResult: (result) => {
      if (result && typeof result === 'object' && 'token' in result) shown.value = result as AgentTokenBody;
    },
  });
  const add = async (body: { name: string; labels: Record<string, string> }) => {
    const added = await api<AgentTokenBody>('/hosts', { method: 'POST', body });
    // Added: the form is ready for the next host (a refusal keeps what was typed).
    name.value = '';
    labels.value = '';
    return added;
  };
  return (
    <section>
      <Notice message={message.value} />
      <h2>Add a host</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = { name: name.value.trim(), labels: parseLabels(labels.value) };
          void act(`${body.name} added`, () => add(body));
        }}
      >
        <TextField
          label="name"
          required
          pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
          maxLength={128}
          title="letters, digits, dot, dash, underscore"
          value={name.value}
          onValue={(v) => (name.value = v)}
        />
        <TextField
          label="labels"
          placeholder="env=prod, role=web"
          value={labels.value}
          onValue={(v) => (labels.value = v)}
        />
        <button type="submit">add host</button>
      </form>
      {shown.value && <TokenOnce result={shown.value} onDone={() => (shown.value = null)} />}
      <h2>Hosts</h2>
      <div class="scroll-x">
        <table data-testid="hosts-admin">
          <thead>
            <tr>
              <th>host</th>
              <th>status</th>
              <th>labels</th>
              <th>
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hosts.value.map((h) => (
              <HostRow key={h.id} id={h.id} name={h.name} status={h.status} labels={h.labels} act={act} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function TokenOnce({ result, onDone }: { result: AgentTokenBody; onDone: () => void }) {
  // The same collector and token, for a first try in the foreground with an agent already on the host.
  const base = /https?:\/\/[^/\s]+/.exec(result.install)?.[0] ?? location.origin;
  const tryIt = `PANTAU_COLLECTOR_URL='${base.replace(/^http/, 'ws')}/agent' PANTAU_TOKEN='${result.token}' pantau-agent run`;
  const copy = (text: string) => void navigator.clipboard?.writeText(text).catch(() => {});
  return (
    <div class="card token-once" data-testid="token-once">
      <p>
        <b>{result.host.name}</b>: the agent token is shown only now. Run this on the host to install the
        agent as a service:
      </p>
      <pre data-testid="install-command">{result.install}</pre>
      {/^https?:\/\/(127\.|localhost\b|\[::1\])/.test(base) && (
        <p class="error" data-testid="install-warning">
          This address ({base}) only works on this machine: other hosts cannot reach it. Set the collector's{' '}
          <code>publicUrl</code> to the address your hosts use, then add the host again or rotate its token.
        </p>
      )}
      <button type="button" onClick={() => copy(result.install)}>
        copy
      </button>
      <p class="muted">Or try it in the foreground first:</p>
      <pre data-testid="run-command">{tryIt}</pre>
      <button type="button" onClick={onDone}>
        done, hide the token
      </button>
    </div>
  );
}

function HostRow(props: {
  id: number;
  name: string;
  status: string;
  labels: Record<string, string>;
  act: (label: string, run: () => Promise<unknown>) => Promise<void>;
}) {
  const labels = useSignal(labelText(props.labels));
  const { id, name, act } = props;
  return (
    <tr data-host={name}>
      <td>{name}</td>
      <td>{props.status}</td>
      <td>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(`labels of ${name} saved`, () =>
              api(`/hosts/${id}`, { method: 'PATCH', body: { labels: parseLabels(labels.value) } }),
            );
          }}
        >
          <input
            aria-label={`Labels of ${name}`}
            value={labels.value}
            onInput={(e) => (labels.value = e.currentTarget.value)}
          />
          <button type="submit">save</button>
        </form>
      </td>
      <td class="actions">
        <button
          type="button"
          onClick={() =>
            act(`new token for ${name}; its agent was disconnected`, () =>
              api(`/hosts/${id}/token`, { method: 'POST' }),
            )
          }
        >
          rotate token
        </button>
        <button
          type="button"
          onClick={() =>
            confirm(`Revoke ${name}'s agent token? Its agent is disconnected until it gets a new one.`) &&
            act(`token of ${name} revoked`, () => api(`/hosts/${id}/token`, { method: 'DELETE' }))
          }
        >
          revoke
        </button>
        <button
          type="button"
          onClick={() =>
            prompt(`Delete ${name} and all its data? Type its name to confirm.`) === name &&
            act(`${name} deleted`, () => api(`/hosts/${id}`, { method: 'DELETE' }))
          }
        >
          delete
        </button>
      </td>
    </tr>
  );
}
