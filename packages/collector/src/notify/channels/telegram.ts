import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError, type Transformer } from 'grammy';
import { systemClock } from '../../clock.ts';
import type { Channel, InnerTry, SendContext, SendResult, TelegramPayload } from './types.ts';
import { describeError } from './types.ts';

export interface TelegramChannelOptions {
  /** Bot token from @BotFather. */
  token: string;
  /** Bot API root, without a trailing slash. Default "https://api.telegram.org". */
  apiRoot?: string;
  /** Longest 429 `retry_after` waited inside one send (ms); longer waits go back to the outbox. Default 5000. */
  maxInlineWaitMs?: number;
  /** How many 429s one send waits out before handing back to the outbox. Default 3. */
  maxInlineRetries?: number;
  /** Timeout of one Bot API request (ms, rounded up to whole seconds). Default 15000. */
  timeoutMs?: number;
  /** Clock for the recorded attempt times (epoch ms). Default the system clock. */
  now?: () => number;
}

/**
 * Sends through grammY's Api. The auto-retry plugin waits out short 429s in place; 5xx, network
 * errors and long waits come back to the outbox, which persists the message and retries later,
 * so a long Telegram outage never holds the dispatcher.
 */
export class TelegramChannel implements Channel<'telegram'> {
  readonly name = 'telegram';
  readonly api: Api;
  /** Requests of each running send, found by the send's own abort signal. */
  readonly #tries = new Map<object, InnerTry[]>();
  readonly #now: () => number;

  constructor(options: TelegramChannelOptions) {
    this.#now = options.now ?? systemClock;
    this.api = new Api(options.token, {
      apiRoot: options.apiRoot ?? 'https://api.telegram.org',
      timeoutSeconds: Math.ceil((options.timeoutMs ?? 15_000) / 1000),
    });
    // Installed first, so it sits under auto-retry and sees every HTTP request.
    this.api.config.use(this.#record);
    this.api.config.use(
      autoRetry({
        maxDelaySeconds: Math.floor((options.maxInlineWaitMs ?? 5_000) / 1000),
        maxRetryAttempts: options.maxInlineRetries ?? 3,
        rethrowInternalServerErrors: true,
        rethrowHttpErrors: true,
      }),
    );
  }

  readonly #record: Transformer = async (prev, method, payload, signal) => {
    const tries = signal === undefined ? undefined : this.#tries.get(signal);
    const at = this.#now();
    const result = await prev(method, payload, signal);
    const retryAfter = result.ok ? undefined : result.parameters?.retry_after;
    if (tries !== undefined && !result.ok && retryAfter !== undefined) {
      tries.push({
        at,
        durationMs: this.#now() - at,
        outcome: 'wait',
        error: `${result.error_code}: ${result.description}`,
        retryAfterMs: retryAfter * 1000,
      });
    }
    return result;
  };

  async send(payload: TelegramPayload, context: SendContext): Promise<SendResult> {
    // A signal of our own per send, so the recorder can tell concurrent sends apart.
    const controller = new AbortController();
    const abort = () => controller.abort();
    context.signal.addEventListener('abort', abort);
    const inner: InnerTry[] = [];
    this.#tries.set(controller.signal, inner);
    try {
      const message = await this.api.sendMessage(
        payload.chatId,
        payload.html,
        {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(payload.replyMarkup === undefined ? {} : { reply_markup: payload.replyMarkup }),
          // A deleted alert must not stop the recovery from going out.
          ...(payload.replyTo === undefined
            ? {}
            : { reply_parameters: { message_id: payload.replyTo, allow_sending_without_reply: true } }),
        },
        // grammY types the signal with its own AbortSignal shim; Node's is what it gets at run time.
        controller.signal as unknown as Parameters<Api['sendMessage']>[3],
      );
      return { outcome: 'sent', ref: String(message.message_id), inner };
    } catch (error) {
      const result = classifyTelegramError(error);
      // A 429 that ends the send was recorded too; it is this send's own outcome, not an inner try.
      return { ...result, inner: result.outcome === 'wait' ? inner.slice(0, -1) : inner };
    } finally {
      this.#tries.delete(controller.signal);
      context.signal.removeEventListener('abort', abort);
    }
  }
}

export function classifyTelegramError(error: unknown): SendResult {
  if (error instanceof GrammyError) {
    const message = `${error.error_code}: ${error.description}`;
    const retryAfter = error.parameters.retry_after;
    if (error.error_code === 429 || retryAfter !== undefined) {
      return { outcome: 'wait', error: message, retryAfterMs: (retryAfter ?? 1) * 1000, scope: 'channel' };
    }
    if (error.error_code >= 500) return { outcome: 'retry', error: message };
    return { outcome: 'permanent', error: message };
  }
  // HttpError (network, timeout) or an abort: nothing says the message cannot go through later.
  return { outcome: 'retry', error: describeError(error) };
}
