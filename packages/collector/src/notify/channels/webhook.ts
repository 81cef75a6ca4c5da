import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { systemClock } from '../../clock.ts';
import type { Channel, SendContext, SendResult, WebhookPayload } from './types.ts';
import { describeError } from './types.ts';

export interface WebhookChannelOptions {
  /** Time allowed for the response headers and for the body each (ms). Default 10000. */
  timeoutMs?: number;
  /** User-Agent header. Default "pantau-collector". */
  userAgent?: string;
  /** Clock for the timestamp header (epoch ms). Default the system clock. */
  now?: () => number;
}

export const SIGNATURE_HEADER = 'x-pantau-signature';
const TIMESTAMP_HEADER = 'x-pantau-timestamp';
const DELIVERY_HEADER = 'x-pantau-delivery';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, the X-Pantau-Signature value. */
export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs the JSON body with undici; any 2xx is delivered. */
export class WebhookChannel implements Channel<'webhook'> {
  readonly name = 'webhook';
  readonly #timeout: number;
  readonly #userAgent: string;
  readonly #now: () => number;

  constructor(options: WebhookChannelOptions = {}) {
    this.#timeout = options.timeoutMs ?? 10_000;
    this.#userAgent = options.userAgent ?? 'pantau-collector';
    this.#now = options.now ?? systemClock;
  }

  async send(payload: WebhookPayload, context: SendContext): Promise<SendResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
      [TIMESTAMP_HEADER]: String(Math.floor(this.#now() / 1000)),
      [DELIVERY_HEADER]: String(context.messageId),
    };
    if (payload.secret !== null) headers[SIGNATURE_HEADER] = signWebhookBody(payload.secret, payload.body);
    try {
      const response = await request(payload.url, {
        method: 'POST',
        headers,
        body: payload.body,
        headersTimeout: this.#timeout,
        bodyTimeout: this.#timeout,
        signal: context.signal,
      });
      const text = (await response.body.text()).slice(0, 200);
      return classifyHttpStatus(response.statusCode, response.headers['retry-after'], text, this.#now());
    } catch (error) {
      return { outcome: 'retry', error: describeError(error) };
    }
  }
}

export function classifyHttpStatus(
  status: number,
  retryAfter: string | string[] | undefined,
  text: string,
  now: number,
): SendResult {
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  const error = `HTTP ${status}${text === '' ? '' : `: ${text}`}`;
  if (status === 429) {
    return {
      outcome: 'wait',
      error,
      retryAfterMs: retryAfterMs(retryAfter, now) ?? 1_000,
      scope: 'recipient',
    };
  }
  if (status >= 500 || status === 408) return { outcome: 'retry', error };
  return { outcome: 'permanent', error };
}

/** Retry-After as seconds or an HTTP date. */
function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
