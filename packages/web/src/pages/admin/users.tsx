import type { UserBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api } from '../../api.ts';
import { Choice } from '../../components/choice.tsx';
import { Notice } from '../../components/status.tsx';
import { TextField } from '../../components/text-field.tsx';
import { time } from '../../format.ts';
import { type Act, useAdminList } from './use-admin-list.ts';

const ROLES = ['viewer', 'operator', 'admin'] as const;

/** Users: approve Telegram applicants, add people, roles, disable, set a password. */
export function UsersAdmin() {
  const { items: users, message, act } = useAdminList<UserBody>('/users?limit=500');
  const pending = users.value.filter((u) => u.status === 'pending');
  const others = users.value.filter((u) => u.status !== 'pending');
  return (
    <section>
      <Notice message={message.value} />
      <h2>Waiting for approval</h2>
      {pending.length === 0 ? (
        <p class="muted">Nobody. People apply by writing to the Telegram bot.</p>
      ) : (
        <ul class="cards">
          {pending.map((u) => (
            <Applicant key={u.id} user={u} act={act} />
          ))}
        </ul>
      )}
      <h2>Users</h2>
      <div class="scroll-x">
        <table data-testid="users">
          <thead>
            <tr>
              <th>name</th>
              <th>role</th>
              <th>status</th>
              <th>sign-in</th>
              <th>since</th>
              <th>
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {others.map((u) => (
              <UserRow key={u.id} user={u} act={act} />
            ))}
          </tbody>
        </table>
      </div>
      <AddUser act={act} />
    </section>
  );
}

function Applicant({ user, act }: { user: UserBody; act: Act }) {
  const role = useSignal<(typeof ROLES)[number]>('viewer');
  return (
    <li class="card" data-testid="applicant" data-user={user.name}>
      <div class="card-head">
        <b>{user.name}</b>
        <span class="muted">
          {user.email ?? 'no e-mail'} · Telegram {user.telegramId ?? '–'} · applied {time(user.createdAt)}
        </span>
      </div>
      <div class="actions">
        <Choice
          ariaLabel={`Role for ${user.name}`}
          value={role.value}
          options={ROLES}
          onChange={(v) => (role.value = v)}
        />
        <button
          type="button"
          onClick={() =>
            act(`${user.name} approved as ${role.value}`, () =>
              api(`/users/${user.id}/approve`, { method: 'POST', body: { role: role.value } }),
            )
          }
        >
          approve
        </button>
        <button
          type="button"
          onClick={() =>
            act(`${user.name} rejected`, () => api(`/users/${user.id}/reject`, { method: 'POST' }))
          }
        >
          reject
        </button>
      </div>
    </li>
  );
}

function UserRow({ user, act }: { user: UserBody; act: Act }) {
  const password = useSignal<string | null>(null);
  const link = useSignal<string | null>(null);
  return (
    <tr data-user={user.name}>
      <td>
        {user.name}
        {user.email && <div class="muted">{user.email}</div>}
      </td>
      <td>
        <Choice
          ariaLabel={`Role of ${user.name}`}
          value={user.role}
          options={ROLES}
          onChange={(role) =>
            void act(`${user.name} is now ${role}`, () =>
              api(`/users/${user.id}`, { method: 'PATCH', body: { role } }),
            )
          }
        />
      </td>
      <td>{user.status}</td>
      <td>
        {user.hasPassword ? 'password' : '–'}
        {user.telegramId !== null && ' · Telegram'}
      </td>
      <td>{time(user.approvedAt ?? user.createdAt)}</td>
      <td class="actions">
        {user.status === 'active' ? (
          <button
            type="button"
            onClick={() =>
              act(`${user.name} disabled`, () => api(`/users/${user.id}/disable`, { method: 'POST' }))
            }
          >
            disable
          </button>
        ) : user.status === 'disabled' ? (
          <button
            type="button"
            onClick={() =>
              act(`${user.name} enabled`, () => api(`/users/${user.id}/enable`, { method: 'POST' }))
            }
          >
            enable
          </button>
        ) : null}
        {user.status === 'active' && (
          <button
            type="button"
            onClick={() =>
              act(`link for ${user.name} copied below`, async () => {
                const { url } = await api<{ url: string }>(`/users/${user.id}/password-link`, {
                  method: 'POST',
                });
                link.value = url;
              })
            }
          >
            password link
          </button>
        )}
        {link.value && (
          <pre class="link-once" data-testid="password-link">
            {link.value}
          </pre>
        )}
        {password.value === null ? (
          <button type="button" onClick={() => (password.value = '')}>
            set password
          </button>
        ) : (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const value = password.value ?? '';
              password.value = null;
              void act(`password of ${user.name} set; their sessions ended`, () =>
                api(`/users/${user.id}/password`, { method: 'PUT', body: { password: value } }),
              );
            }}
          >
            <input
              type="password"
              aria-label={`New password for ${user.name}`}
              minLength={10}
              required
              autocomplete="new-password"
              value={password.value}
              onInput={(e) => (password.value = e.currentTarget.value)}
            />
            <button type="submit">save</button>
          </form>
        )}
      </td>
    </tr>
  );
}

function AddUser({ act }: { act: Act }) {
  const name = useSignal('');
  const role = useSignal<(typeof ROLES)[number]>('viewer');
  const password = useSignal('');
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body = {
          name: name.value.trim(),
          role: role.value,
          ...(password.value ? { password: password.value } : {}),
        };
        void act(`${body.name} added`, () => api('/users', { method: 'POST', body }));
        name.value = '';
        password.value = '';
      }}
    >
      <TextField label="name" required maxLength={128} value={name.value} onValue={(v) => (name.value = v)} />
      <Choice label="role" value={role.value} options={ROLES} onChange={(v) => (role.value = v)} />
      <TextField
        label="password (optional)"
        type="password"
        minLength={10}
        autocomplete="new-password"
        value={password.value}
        onValue={(v) => (password.value = v)}
      />
      <button type="submit">add user</button>
    </form>
  );
}
