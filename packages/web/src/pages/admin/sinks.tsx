import type { RecipientBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api } from '../../api.ts';
import { Choice } from '../../components/choice.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { Notice } from '../../components/status.tsx';
import { TextField } from '../../components/text-field.tsx';
import { useAdminList } from './use-admin-list.ts';

const CHANNELS = ['webhook', 'email', 'telegram'] as const;

/** Notification sinks: every recipient (users' contact points and standalone sinks); add, toggle, test, remove. */
export function SinksAdmin() {
  const { items, message, act } = useAdminList<RecipientBody>('/recipients');
  const channel = useSignal<(typeof CHANNELS)[number]>('webhook');
  const name = useSignal('');
  const address = useSignal('');
  return (
    <section>
      <Notice message={message.value} />
      <DataTable
        testid="sinks"
        empty="No notification sinks configured yet: add a webhook, an e-mail address or a Telegram chat below. Users' own contact points show here too."
        rows={items.value}
        rowKey={(r) => r.id}
        columns={[
          { head: 'name', cell: (r) => r.name },
          { head: 'channel', cell: (r) => r.channel },
          { head: 'address', class: 'cmd', cell: (r) => r.address },
          { head: 'from', cell: (r) => (r.userId === null ? r.source : `user ${r.userId}`) },
          {
            head: 'state',
            cell: (r) => (
              <>
                {r.enabled ? 'enabled' : 'disabled'}
                {!r.approved && ' · not approved'}
              </>
            ),
          },
          {
            head: '',
            class: 'actions',
            cell: (r) => (
              <>
                <button
                  type="button"
                  onClick={() =>
                    act(`test message queued for ${r.name}`, () =>
                      api(`/recipients/${r.id}/test`, { method: 'POST' }),
                    )
                  }
                >
                  test
                </button>
                {r.source !== 'config' && (
                  <>
                    <button
                      type="button"
                      onClick={() =>
                        act(`${r.name} ${r.enabled ? 'disabled' : 'enabled'}`, () =>
                          api(`/recipients/${r.id}`, { method: 'PATCH', body: { enabled: !r.enabled } }),
                        )
                      }
                    >
                      {r.enabled ? 'disable' : 'enable'}
                    </button>
                    {r.userId === null && (
                      <button
                        type="button"
                        onClick={() =>
                          act(`${r.name} removed`, () => api(`/recipients/${r.id}`, { method: 'DELETE' }))
                        }
                      >
                        remove
                      </button>
                    )}
                  </>
                )}
              </>
            ),
          },
        ]}
      />
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(`${name.value} added`, () =>
            api('/recipients', {
              method: 'POST',
              body: { channel: channel.value, name: name.value, address: address.value },
            }),
          );
        }}
      >
        <Choice
          label="channel"
          value={channel.value}
          options={CHANNELS}
          onChange={(v) => (channel.value = v)}
        />
        <TextField
          label="name"
          required
          maxLength={128}
          value={name.value}
          onValue={(v) => (name.value = v)}
        />
        <TextField
          label="address"
          required
          placeholder="https://…, ops@example.com or a chat id"
          value={address.value}
          onValue={(v) => (address.value = v)}
        />
        <button type="submit">add sink</button>
      </form>
    </section>
  );
}
