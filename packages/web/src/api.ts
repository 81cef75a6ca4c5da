import { signal } from '@preact/signals';

const TOKEN_KEY = 'pantau.token';

/** The API token this tab signed in with; kept for the tab's life only (sessionStorage). */
export const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));

export function signIn(secret: string): void {
  sessionStorage.setItem(TOKEN_KEY, secret);
  token.value = secret;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token.value = null;
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

export function authHeaders(): Record<string, string> {
  return token.value ? { authorization: `Bearer ${token.value}` } : {};
}

/** Calls /api/v1 with the tab's token; a 401 signs the tab out so the login page shows. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const auth = init.token === undefined ? authHeaders() : { authorization: `Bearer ${init.token}` };
  const headers: Record<string, string> = { ...auth, accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    if (res.status === 401 && init.token === undefined) signOut();
    throw new ApiError(
      res.status,
      body?.error?.code ?? `HTTP_${res.status}`,
      body?.error?.message ?? res.statusText,
    );
  }
  return body as T;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof TypeError) return 'the collector cannot be reached';
  return String(err);
}
