import type { ApiTokenBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api } from '../../api.ts';
import { Choice } from '../../components/choice.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { Notice } from '../../components/status.tsx';
import { TextField } from '../../components/text-field.tsx';
import { time } from '../../format.ts';
import { useAdminList } from './use-admin-list.ts';

const ROLES = ['viewer', 'operator', 'admin'] as const;

/** API tokens: list, create (the secret shown once), revoke. */
export function TokensAdmin() {
  const secret = useSignal<string | null>(null);
  const {
    items: tokens,
    message,
    act,
  } = useAdminList<ApiTokenBody>('/tokens?limit=500', {
    // Only a create returns a secret; any other action hides the one shown before.
    onResult: (result) => (secret.value = (result as { secret?: string } | undefined)?.secret ?? null),
  });
  const name = useSignal('');
  const role = useSignal<(typeof ROLES)[number]>('viewer');
  return (
    <section>
      <Notice message={message.value} />
      {secret.value && (
        <div class="card token-once">
          <p>The token's secret, shown only now:</p>
          <pre data-testid="token-secret">{secret.value}</pre>
        </div>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(`token ${name.value} created`, () =>
            api('/tokens', { method: 'POST', body: { name: name.value, role: role.value } }),
          );
        }}
      >
        <TextField
          label="name"
          required
          maxLength={128}
          value={name.value}
          onValue={(v) => (name.value = v)}
        />
        <Choice label="role" value={role.value} options={ROLES} onChange={(v) => (role.value = v)} />
        <button type="submit">create token</button>
      </form>
      <DataTable
        rows={tokens.value}
        rowKey={(t) => t.id}
        columns={[
          { head: 'name', cell: (t) => t.name },
          { head: 'role', cell: (t) => t.role },
          { head: 'user', cell: (t) => t.userId ?? '–' },
          { head: 'created', cell: (t) => time(t.createdAt) },
          { head: 'last used', cell: (t) => time(t.lastUsedAt) },
          {
            head: '',
            cell: (t) =>
              t.revokedAt ? (
                <span class="muted">revoked {time(t.revokedAt)}</span>
              ) : (
                <button
                  type="button"
                  onClick={() =>
                    act(`token ${t.name} revoked`, () => api(`/tokens/${t.id}`, { method: 'DELETE' }))
                  }
                >
                  revoke
                </button>
              ),
          },
        ]}
      />
    </section>
  );
}
