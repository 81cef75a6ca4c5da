import { useSignal } from '@preact/signals';
import { api, errorText, signIn } from '../api.ts';

/** Sign in with an API token (`pnpm start` prints the first admin's; `tokens create` makes more). */
export function LoginPage() {
  const secret = useSignal('');
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = null;
    const candidate = secret.value.trim();
    try {
      // Checked before it is kept, so a wrong token leaves the form (and its message) in place.
      await api('/hosts?limit=1', { token: candidate });
      signIn(candidate);
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <div class="login">
      <form onSubmit={submit} class="login-form">
        <h1>Pantau</h1>
        <label>
          API token
          <input
            name="token"
            type="password"
            autocomplete="current-password"
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
        <p class="muted">
          The first <code>pnpm start</code> prints an admin token; make others with{' '}
          <code>pantau-collector tokens create --role viewer</code>.
        </p>
      </form>
    </div>
  );
}
