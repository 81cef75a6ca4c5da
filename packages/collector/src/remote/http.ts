import { Agent, type Dispatcher, request } from 'undici';
import type { RemoteConnection } from './config.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** HTTP to a time-series database: its auth header and CA on every request, a timeout on each. */
export class RemoteHttp {
  readonly #conn: RemoteConnection;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(conn: RemoteConnection) {
    this.#conn = conn;
    this.#dispatcher = conn.ca ? new Agent({ connect: { ca: conn.ca } }) : undefined;
  }

  get url(): string {
    return this.#conn.url;
  }

  async send(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<HttpAnswer> {
    const res = await request(url, {
      method,
      headers: {
        'user-agent': 'pantau-collector',
        ...(this.#conn.authorization ? { authorization: this.#conn.authorization } : {}),
        ...headers,
      },
      ...(body ? { body } : {}),
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      signal: AbortSignal.timeout(this.#conn.timeout),
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }
}
