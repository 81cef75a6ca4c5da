import { request } from 'undici';
import type { SseEvent, SseParser } from './sse.ts';

/** The collector answered with an error, or could not be reached (`status` 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  /** The API's error code (`FORBIDDEN`, `VALIDATION_FAILED`, …), or `UNREACHABLE`. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Gives up on one HTTP call after this long, ms; the event stream has no such limit. */
const CALL_TIMEOUT_MS = 30_000;

/** A small client of the collector's REST API (`/api/v1`) with a bearer token. */
export class ApiClient {
  readonly #base: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.#base = `${baseUrl}/api/v1`;
    this.#token = token;
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.#base}${path}`;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: CALL_TIMEOUT_MS,
        bodyTimeout: CALL_TIMEOUT_MS,
      });
    } catch (err) {
      throw unreachable(url, err);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw errorOf(res.statusCode, text, `${method} ${path}`);
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new ApiError(
        res.statusCode,
        'INVALID_RESPONSE',
        `${method} ${path} answered something that is not JSON`,
      );
    }
  }

  /**
   * Follows a Server-Sent Events stream until it ends or `signal` aborts, resuming after
   * `lastEventId`. Throws ApiError when the server refuses; a dropped connection just ends the
   * iteration, and `parser.lastEventId` says where to resume.
   */
  async *events(path: string, parser: SseParser, signal: AbortSignal): AsyncGenerator<SseEvent> {
    const url = `${this.#base}${path}`;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'text/event-stream',
          ...(parser.lastEventId === undefined ? {} : { 'last-event-id': parser.lastEventId }),
        },
        signal,
        headersTimeout: CALL_TIMEOUT_MS,
        bodyTimeout: 0, // a quiet job may print nothing for minutes
      });
    } catch (err) {
      if (signal.aborted) return;
      throw unreachable(url, err);
    }
    if (res.statusCode >= 400) throw errorOf(res.statusCode, await res.body.text(), `GET ${path}`);
    res.body.setEncoding('utf8');
    try {
      for await (const chunk of res.body) yield* parser.push(chunk as string);
    } catch (err) {
      if (signal.aborted) return;
      if ((err as NodeJS.ErrnoException).code === 'UND_ERR_ABORTED') return;
      // The connection dropped mid-stream: the caller resumes from parser.lastEventId.
    }
  }
}

function unreachable(url: string, err: unknown): ApiError {
  const cause = err as NodeJS.ErrnoException;
  return new ApiError(
    0,
    'UNREACHABLE',
    `cannot reach the collector at ${url}: ${cause.code ?? cause.message}`,
  );
}

function errorOf(status: number, text: string, what: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === 'string' ? body.error.code : `HTTP_${status}`;
    const message = typeof body.error?.message === 'string' ? body.error.message : text.slice(0, 200);
    return new ApiError(status, code, `${what}: ${message}`);
  } catch {
    return new ApiError(status, `HTTP_${status}`, `${what}: HTTP ${status} ${text.slice(0, 200)}`);
  }
}
