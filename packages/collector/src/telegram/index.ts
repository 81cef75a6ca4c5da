import type { FastifyInstance } from 'fastify';
import type { UserFromGetMe } from 'grammy/types';
import type { Alerting } from '../alerting.ts';
import type { CollectorConfig } from '../config/index.ts';
import type { EventBus } from '../events.ts';
import type { Store } from '../store/index.ts';
import { buildBot } from './bot.ts';
import type { Principals } from './principals.ts';
import { RecipientPrincipals } from './principals.ts';
import { BotService } from './service.ts';
import { telegramWebhook } from './webhook.ts';

export interface TelegramSetup {
  config: Readonly<CollectorConfig>;
  store: Store;
  alerting: Alerting;
  events: EventBus;
  publicUrl(): string;
  /** Skips getMe (tests, benchmarks). */
  botInfo?: UserFromGetMe;
  principals?: Principals;
}

/** Builds the bot from config and registers the webhook route in webhook mode; undefined when the bot is off. */
export async function setupTelegram(
  app: FastifyInstance,
  setup: TelegramSetup,
): Promise<BotService | undefined> {
  const { config } = setup;
  const t = config.telegram;
  if (t.token === null || t.mode === 'off') return undefined;
  const log = app.log.child({ component: 'telegram' });
  const bot = buildBot(
    {
      token: t.token,
      ...(t.apiRoot === null ? {} : { apiRoot: t.apiRoot }),
      ...(setup.botInfo === undefined ? {} : { botInfo: setup.botInfo }),
      limiter: setup.alerting.limiter,
    },
    {
      store: setup.store,
      alerting: setup.alerting,
      events: setup.events,
      principals: setup.principals ?? new RecipientPrincipals(setup.store.db),
      timeZone: t.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      userRate: t.userRate,
      log,
    },
  );
  const service = new BotService({
    bot,
    mode: t.mode,
    log,
    ...(t.mode === 'webhook'
      ? { webhookUrl: `${setup.publicUrl()}${t.webhookPath}`, webhookSecret: t.webhookSecret! }
      : {}),
  });
  if (t.mode === 'webhook') {
    await app.register(telegramWebhook, { path: t.webhookPath, secret: t.webhookSecret!, service });
  }
  return service;
}
