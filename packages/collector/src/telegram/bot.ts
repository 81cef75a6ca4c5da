import { autoRetry } from '@grammyjs/auto-retry';
import { commands } from '@grammyjs/commands';
import { sequentialize } from '@grammyjs/runner';
import { Bot, type BotConfig } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Time } from '../clock.ts';
import type { RateLimiter } from '../notify/rate-limit.ts';
import type { BotContext, BotDeps } from './context.ts';
import { bestEffortCosmetics } from './cosmetic.ts';
import { activitiesFeature } from './features/activities.ts';
import { chartFeature } from './features/chart.ts';
import { fleetFeature } from './features/fleet.ts';
import { activeOnly, guard } from './features/guard.ts';
import { fallbackFeature, helpFeature } from './features/help.ts';
import { hostFeature } from './features/host.ts';
import { incidentFeature } from './features/incidents.ts';
import { jobsFeature } from './features/jobs.ts';
import { notifyFeature } from './features/notify.ts';
import { peopleFeature } from './features/people.ts';
import { registerFeature } from './features/register.ts';
import { JobWatch } from './job-watch.ts';
import { pacing } from './pacing.ts';

export interface BotOptions {
  token: string;
  /** Bot API root. Default https://api.telegram.org. */
  apiRoot?: string;
  /** Skips getMe at start (tests, benchmarks). */
  botInfo?: UserFromGetMe;
  /** The outbox's limiter: replies and pushes share the per-chat pacing. */
  limiter: RateLimiter;
  /** Clock and timers of the reply pacing and the job messages' edits. */
  time: Time;
}

/**
 * The bot with every feature, one Composer each: the guard first, then registration (the only
 * thing people without access reach), then the features for active users, the fallback last.
 */
export function buildBot(options: BotOptions, deps: BotDeps): { bot: Bot<BotContext>; watch: JobWatch } {
  const config: BotConfig<BotContext> = {
    client: { apiRoot: options.apiRoot ?? 'https://api.telegram.org', timeoutSeconds: 30 },
    ...(options.botInfo === undefined ? {} : { botInfo: options.botInfo }),
  };
  const bot = new Bot<BotContext>(options.token, config);
  bot.api.config.use(pacing(options.limiter, options.time));
  bot.api.config.use(autoRetry({ maxDelaySeconds: 5, maxRetryAttempts: 3, rethrowHttpErrors: true }));
  // Outermost, so it sees what is left after the retries.
  bot.api.config.use(bestEffortCosmetics(deps.log));
  // Updates of one chat in order (a registration conversation needs it); chats run in parallel.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(commands());
  bot.use(guard(deps));
  bot.use(registerFeature(deps));
  bot.use(activeOnly(deps));
  bot.use(helpFeature());
  bot.use(peopleFeature(deps));
  bot.use(notifyFeature(deps));
  bot.use(fleetFeature(deps));
  bot.use(hostFeature(deps));
  bot.use(chartFeature(deps));
  bot.use(incidentFeature(deps));
  const watch = new JobWatch({
    api: bot.api,
    jobs: deps.jobs.service,
    events: deps.events,
    log: deps.log,
    time: options.time,
  });
  bot.use(activitiesFeature(deps));
  bot.use(jobsFeature(deps, watch));
  bot.use(fallbackFeature(deps.log));
  bot.catch(async (error) => {
    deps.log.error({ err: error.error, updateId: error.ctx.update.update_id }, 'telegram: a handler failed');
    try {
      if (error.ctx.callbackQuery !== undefined)
        await error.ctx.answerCallbackQuery({ text: 'Something went wrong; it is logged.' });
      else if (error.ctx.chat?.type === 'private')
        await error.ctx.reply('Something went wrong answering that; it is logged.');
    } catch {
      // Telegram itself failing is already in the log above.
    }
  });
  return { bot, watch };
}
