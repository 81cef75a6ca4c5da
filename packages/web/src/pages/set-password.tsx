import { useSignal } from '@preact/signals';
import { api, errorText } from '../api.ts';
import { TextField } from '../components/text-field.tsx';
import { navigate } from '../router.ts';

/** Opened from a one-time link (the bot's or an admin's): choose a web password, then sign in. */
export function SetPasswordPage() {
  const token = location.hash.slice(1);
  const password = useSignal('');
  const again = useSignal('');
  const error = useSignal<string | null>(null);
  const done = useSignal<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (password.value !== again.value) {
      error.value = 'the two passwords differ';
      return;
    }
    try {
      const { name } = await api<{ name: string }>('/password-link', {
        method: 'POST',
        body: { token, password: password.value },
        token: '',
      });
      done.value = name;
      // The token is spent; keep it out of the address bar and history.
      history.replaceState(null, '', '/set-password');
    } catch (err) {
      error.value = errorText(err);
    }
  };
  return (
    <main class="login">
      {done.value ? (
        <div class="login-form" role="status">
          <h1>Password set</h1>
          <p>
            You can now sign in as <b>{done.value}</b>.
          </p>
          <button type="button" onClick={() => navigate('/')}>
            Sign in
          </button>
        </div>
      ) : (
        <form class="login-form" onSubmit={submit}>
          <h1>Choose a password</h1>
          {!token && <p class="error">This page needs the link you were sent, including the part after #.</p>}
          <TextField
            label="New password"
            type="password"
            autocomplete="new-password"
            minLength={10}
            required
            value={password.value}
            onValue={(v) => (password.value = v)}
          />
          <TextField
            label="Once more"
            type="password"
            autocomplete="new-password"
            required
            value={again.value}
            onValue={(v) => (again.value = v)}
          />
          {error.value && (
            <p class="error" role="alert">
              {error.value}
            </p>
          )}
          <button type="submit" disabled={!token}>
            Set password
          </button>
          <p class="muted">At least 10 characters. The link works once, for an hour.</p>
        </form>
      )}
    </main>
  );
}
