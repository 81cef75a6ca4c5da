import { type RunnerHandle, run } from '@grammyjs/runner';
import { type Bot, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { type Timers, unrefTimers } from '../clock.ts';
import type { BotContext, BotLogger } from './context.ts';
import { guestMenu } from './menus.ts';

export type BotMode = 'polling' | 'webhook';

export interface BotServiceOptions {
  bot: Bot<BotContext>;
  mode: BotMode;
  /** Full webhook URL Telegram calls (webhook mode). */
  webhookUrl?: string;
  webhookSecret?: string;
  log: BotLogger;
  /** Wait before retrying a failed start (getMe, setWebhook), ms. Default 30 s. */
  retryMs?: number;
  /** Runs once the bot knows itself (e.g. refreshing each user's command menu). */
  onStarted?: () => Promise<void>;
  /** Timers of the start retry. Default the global ones, not keeping the process alive. */
  timers?: Timers;
}

/** What the bot is doing, for logs and health. */
export type BotState = 'starting' | 'polling' | 'webhook' | 'conflict' | 'stopped';

/**
 * Runs the bot: long polling through @grammyjs/runner (updates handled concurrently, so no
 * handler holds up another) or webhook updates handed in by the HTTP route. A second poller on
 * the same token gets 409 from Telegram; this one then stops polling and says why.
 */
export class BotService {
  readonly bot: Bot<BotContext>;
  readonly #o: BotServiceOptions;
  #runner: RunnerHandle | undefined;
  #state: BotState = 'stopped';
  #retry: unknown;
  readonly #timers: Timers;
  #stopping = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: BotServiceOptions) {
    this.bot = options.bot;
    this.#o = options;
    this.#timers = options.timers ?? unrefTimers;
  }

  get state(): BotState {
    return this.#state;
  }

  /**
   * Updates received and not yet fully handled, replies included: 0 once the bot is idle. Lets a
   * test tell "the bot chose not to answer" from "the bot has not got to it yet".
   */
  get handling(): number {
    return (this.#runner?.size() ?? 0) + this.#inFlight.size;
  }

  /** Starts in the background: Telegram being unreachable must not stop the collector from starting. */
  start(): void {
    this.#stopping = false;
    this.#state = 'starting';
    void this.#begin();
  }

  async #begin(): Promise<void> {
    try {
      await this.bot.init();
      await guestMenu.setCommands(this.bot);
      await this.#o.onStarted?.();
      if (this.#stopping) return;
      if (this.#o.mode === 'webhook') {
        await this.bot.api.setWebhook(this.#o.webhookUrl!, {
          secret_token: this.#o.webhookSecret!,
          allowed_updates: ['message', 'callback_query'],
        });
        this.#state = 'webhook';
        this.#o.log.info({ url: this.#o.webhookUrl }, 'telegram: bot receives updates by webhook');
        return;
      }
      // A webhook left from an earlier setup makes getUpdates fail; polling replaces it, as grammY does.
      await this.bot.api.deleteWebhook();
      if (this.#stopping) return;
      this.#poll();
    } catch (err) {
      if (this.#stopping) return;
      this.#o.log.error(
        { err },
        `telegram: bot could not start; trying again in ${(this.#o.retryMs ?? 30_000) / 1000} s`,
      );
      this.#retry = this.#timers.setTimeout(() => void this.#begin(), this.#o.retryMs ?? 30_000);
    }
  }

  #poll(): void {
    const runner = run(this.bot, {
      runner: {
        fetch: { timeout: 25, allowed_updates: ['message', 'callback_query'] },
        silent: true,
        maxRetryTime: 365 * 86_400_000,
      },
    });
    this.#runner = runner;
    this.#state = 'polling';
    this.#o.log.info({ username: this.bot.botInfo.username }, 'telegram: bot is polling for updates');
    runner.task()?.catch((err: unknown) => {
      if (this.#stopping) return;
      if (err instanceof GrammyError && err.error_code === 409) {
        this.#state = 'conflict';
        this.#o.log.error(
          { err: err.description },
          'telegram: another process is already polling this bot token (Telegram answered 409 Conflict); this collector stops polling. Stop the other one, or use telegram.mode: webhook',
        );
        return;
      }
      this.#state = 'stopped';
      this.#o.log.error({ err }, 'telegram: polling stopped');
    });
  }

  /** An update from the webhook: handled in the background, so Telegram gets its 200 at once. */
  accept(update: Update): boolean {
    if (this.#state !== 'webhook') return false;
    const handled = this.bot.handleUpdate(update).catch((err: unknown) => {
      this.#o.log.error({ err, updateId: update.update_id }, 'telegram: webhook update failed');
    });
    this.#inFlight.add(handled);
    void handled.finally(() => this.#inFlight.delete(handled));
    return true;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#retry !== undefined) this.#timers.clearTimeout(this.#retry);
    const runner = this.#runner;
    this.#runner = undefined;
    if (runner?.isRunning()) await runner.stop();
    await Promise.all(this.#inFlight);
    this.#state = 'stopped';
  }
}
