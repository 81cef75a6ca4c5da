import { useSignal } from '@preact/signals';
import { errorText, logIn, logInWithToken } from '../api.ts';
import { TextField } from '../components/text-field.tsx';

/** Name and password (a session cookie), or an API token for those who have one. */
export function LoginPage() {
  const withToken = useSignal(false);
  const name = useSignal('');
  const secret = useSignal('');
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = null;
    try {
      if (withToken.value) await logInWithToken(secret.value.trim());
      else await logIn(name.value.trim(), secret.value);
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="login-form">
        <h1>Pantau</h1>
        {!withToken.value && (
          <TextField
            label="Name"
            name="username"
            autocomplete="username"
            required
            value={name.value}
            onValue={(v) => (name.value = v)}
          />
        )}
        <label>
          {withToken.value ? 'API token' : 'Password'}
          <input
            name={withToken.value ? 'token' : 'password'}
            type="password"
            autocomplete={withToken.value ? 'off' : 'current-password'}
            required
            value={secret.value}
            onInput={(e) => (secret.value = e.currentTarget.value)}
          />
        </label>
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
        <button type="submit" disabled={busy.value}>
          Sign in
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            withToken.value = !withToken.value;
            secret.value = '';
            error.value = null;
          }}
        >
          {withToken.value ? 'Sign in with name and password' : 'Sign in with an API token instead'}
        </button>
        <p class="muted" data-testid="first-admin-hint">
          First time? The collector's first start made the user <code>admin</code> and wrote a one-time link
          to choose its password to its log (<code>pnpm start</code> prints the password itself). On the
          collector's machine, <code>pantau-collector users passwd admin</code> sets a new one.
        </p>
      </form>
    </main>
  );
}
