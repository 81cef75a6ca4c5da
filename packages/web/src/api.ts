import type { Permission, SessionBody } from '@pantau/collector/api-types';
import { signal } from '@preact/signals';

const TOKEN_KEY = 'pantau.token';

/** An API token this tab signed in with instead of a password (kept for the tab's life only). */
const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));
/** Who is signed in and what they may do; null on the login page, undefined while checking. */
export const session = signal<SessionBody | null | undefined>(undefined);

/** What the signed-in user may do, as the collector decided (pages hide what they cannot use). */
export function can(permission: Permission): boolean {
  return session.value?.permissions.includes(permission) ?? false;
}

/** An API answer that was not 2xx, with the collector's stable error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The credentials every request carries: the token, or the cookie plus its CSRF token. */
export function authHeaders(method = 'GET'): Record<string, string> {
  if (token.value) return { authorization: `Bearer ${token.value}` };
  const csrf = session.value?.csrfToken;
  return csrf && method !== 'GET' && method !== 'HEAD' ? { 'x-csrf-token': csrf } : {};
}

/**
 * Calls /api/v1; a 401 ends the tab's sign-in so the login page shows. The answer is JSON, or with
 * `file` the body as a Blob (an export).
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; file?: boolean } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  // `token: ''` sends no credentials at all (the login itself).
  const auth =
    init.token === undefined
      ? authHeaders(method)
      : init.token
        ? { authorization: `Bearer ${init.token}` }
        : {};
  const headers: Record<string, string> = init.file ? { ...auth } : { ...auth, accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  if (!res.ok) throw await failure(res, init.token === undefined);
  if (init.file) return (await res.blob()) as T;
  return (await res.json().catch(() => null)) as T;
}

/** The error of a non-2xx answer; a 401 to the tab's own credentials signs it out. */
async function failure(res: Response, ownCredentials: boolean): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (res.status === 401 && ownCredentials) forget();
  return new ApiError(
    res.status,
    body?.error?.code ?? `HTTP_${res.status}`,
    body?.error?.message ?? res.statusText,
  );
}

/** Back to the login page (a 401, a logout, an ended session). */
export function forget(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token.value = null;
  session.value = null;
}

/** On load: is there a session cookie or a token in this tab? */
export async function resume(): Promise<void> {
  try {
    session.value = await api<SessionBody>('/session');
  } catch {
    session.value = null;
  }
}

export async function logIn(name: string, password: string): Promise<void> {
  const info = await api<SessionBody>('/session', { method: 'POST', body: { name, password }, token: '' });
  sessionStorage.removeItem(TOKEN_KEY);
  token.value = null;
  session.value = info;
}

/** Scripts' way in, kept for the console too: an API token instead of a password. */
export async function logInWithToken(secret: string): Promise<void> {
  const info = await api<SessionBody>('/session', { token: secret });
  sessionStorage.setItem(TOKEN_KEY, secret);
  token.value = secret;
  session.value = info;
}

export async function logOut(): Promise<void> {
  try {
    if (!token.value) await api('/session', { method: 'DELETE' });
  } finally {
    forget();
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof TypeError) return 'the collector cannot be reached';
  return String(err);
}
