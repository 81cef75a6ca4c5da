import type { FastifyInstance } from 'fastify';
import type { UserFromGetMe } from 'grammy/types';
import type { Access } from '../access/index.ts';
import type { Alerting } from '../alerting.ts';
import type { Time } from '../clock.ts';
import type { CollectorConfig } from '../config/index.ts';
import type { EventBus } from '../events.ts';
import type { Jobs } from '../jobs/index.ts';
import { collectorTimeZone, NotifyPreferences } from '../notify/preferences.ts';
import type { Store } from '../store/index.ts';
import { buildBot } from './bot.ts';
import { menuFor, setChatMenu } from './menus.ts';
import { peopleNotices } from './people-notices.ts';
import { type Principals, UserPrincipals } from './principals.ts';
import { BotService } from './service.ts';
import { telegramWebhook } from './webhook.ts';

export interface TelegramSetup {
  config: Readonly<CollectorConfig>;
  store: Store;
  alerting: Alerting;
  access: Access;
  jobs: Jobs;
  events: EventBus;
  publicUrl(): string;
  /** Skips getMe (tests, benchmarks). */
  botInfo?: UserFromGetMe;
  principals?: Principals;
  time: Time;
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
  const timeZone = collectorTimeZone(t.timeZone);
  const { bot, watch } = buildBot(
    {
      token: t.token,
      ...(t.apiRoot === null ? {} : { apiRoot: t.apiRoot }),
      ...(setup.botInfo === undefined ? {} : { botInfo: setup.botInfo }),
      limiter: setup.alerting.limiter,
      time: setup.time,
    },
    {
      store: setup.store,
      alerting: setup.alerting,
      access: setup.access,
      jobs: setup.jobs,
      events: setup.events,
      preferences: new NotifyPreferences(setup.store.db, setup.store.audit, timeZone),
      principals: setup.principals ?? new UserPrincipals(setup.access.repos.users),
      timeZone,
      userRate: t.userRate,
      rejectCooldown: config.access.rejectCooldown,
      log,
      now: setup.time.now,
    },
  );
  let stopNotices: (() => void) | undefined;
  const service = new BotService({
    bot,
    mode: t.mode,
    log,
    timers: setup.time.timers,
    onStarted: async () => {
      stopNotices ??= peopleNotices({
        api: bot.api,
        access: setup.access,
        events: setup.events,
        log,
        rejectCooldown: config.access.rejectCooldown,
      });
      // Menus follow roles changed while the bot was away (CLI, another collector).
      const users = setup.access.repos.users.list({ status: 'active', after: 0, limit: 1_000 });
      for (const user of users) {
        if (user.telegramChatId === null) continue;
        await setChatMenu(bot.api, menuFor(user.role), user.telegramChatId).catch((err: unknown) =>
          log.warn({ err, userId: user.id }, 'telegram: could not set a chat menu'),
        );
      }
    },
    ...(t.mode === 'webhook'
      ? { webhookUrl: `${setup.publicUrl()}${t.webhookPath}`, webhookSecret: t.webhookSecret! }
      : {}),
  });
  if (t.mode === 'webhook') {
    await app.register(telegramWebhook, { path: t.webhookPath, secret: t.webhookSecret!, service });
  }
  app.addHook('onClose', async () => {
    stopNotices?.();
    watch.stop();
  });
  return service;
}
