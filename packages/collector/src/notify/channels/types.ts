import type { InlineKeyboard } from '../message.ts';

export type ChannelName = 'telegram' | 'email' | 'webhook';

export const CHANNEL_NAMES: readonly ChannelName[] = ['telegram', 'email', 'webhook'];

/** A Telegram message ready to send: destination and rendered content. */
export interface TelegramPayload {
  /** Chat id (digits, possibly negative) or @channelname. */
  chatId: string;
  html: string;
  replyMarkup?: InlineKeyboard;
  /** message_id this one answers (a recovery answers its alert); added at send time by the outbox. */
  replyTo?: number;
}

export interface EmailPayload {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface WebhookPayload {
  url: string;
  /** HMAC key for X-Pantau-Signature; null sends unsigned. */
  secret: string | null;
  /** The exact JSON text sent and signed. */
  body: string;
}

export interface PayloadByChannel {
  telegram: TelegramPayload;
  email: EmailPayload;
  webhook: WebhookPayload;
}

export interface SendContext {
  /** Outbox message id: stable across retries, so receivers can drop duplicates. */
  messageId: number;
  /** Aborted when the outbox stops and will not wait any longer. */
  signal: AbortSignal;
}

/** A request inside one send that failed and was retried there (Telegram's short 429 waits). */
export interface InnerTry {
  at: number;
  durationMs: number;
  outcome: 'retry' | 'wait';
  error: string;
  retryAfterMs?: number;
}

/**
 * How a send ended. `retry`: transient (network, timeout, 5xx), back off and try again.
 * `wait`: the far end asked to wait `retryAfterMs` (429); `scope: 'channel'` holds back every
 * recipient of the channel, not only this one. `permanent`: retrying cannot help (4xx such as a
 * blocked bot or a rejected address); the message is dead-lettered.
 */
export type SendResult = (
  | { outcome: 'sent' /** The far end's id for the message, e.g. Telegram's message_id. */; ref?: string }
  | { outcome: 'retry'; error: string }
  | { outcome: 'wait'; error: string; retryAfterMs: number; scope: 'recipient' | 'channel' }
  | { outcome: 'permanent'; error: string }
) & { inner?: InnerTry[] };

export interface Channel<C extends ChannelName = ChannelName> {
  readonly name: C;
  /** Never throws: every failure comes back classified. */
  send(payload: PayloadByChannel[C], context: SendContext): Promise<SendResult>;
  close?(): Promise<void>;
}

export type Channels = { [C in ChannelName]?: Channel<C> };

/** A short, single-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
