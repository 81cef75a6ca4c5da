import { limit } from '@grammyjs/ratelimiter';
import { Composer } from 'grammy';
import type { BotContext, BotDeps } from '../context.ts';

/** Groups already told that the bot only talks in private chats (told once per start). */
const MAX_REMEMBERED = 10_000;

/**
 * Runs before every feature: private chats only, a flood limit per user, and the sender's
 * principal (registration and claims come next; `activeOnly` then stops everybody else).
 */
export function guard(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const toldGroups = new Set<number>();

  composer.use(async (ctx, next) => {
    const chat = ctx.chat;
    if (chat !== undefined && chat.type !== 'private') {
      deps.log.info({ chatId: chat.id, type: chat.type }, 'telegram: update from a group dropped');
      if (ctx.callbackQuery !== undefined) {
        await ctx.answerCallbackQuery({ text: 'Pantau answers in private chats only.' });
      } else if (ctx.message !== undefined && !toldGroups.has(chat.id)) {
        if (toldGroups.size >= MAX_REMEMBERED) toldGroups.clear();
        toldGroups.add(chat.id);
        await ctx.reply(
          'Pantau answers in private chats only: write to me directly. (An admin can add this group as an alert recipient through the API.)',
        );
      }
      return;
    }
    if (ctx.from === undefined || ctx.from.is_bot) return;
    await next();
  });

  composer.use(
    limit<BotContext, never>({
      timeFrame: 60_000,
      limit: deps.userRate,
      keyGenerator: (ctx) => (ctx.from === undefined ? undefined : String(ctx.from.id)),
      onLimitExceeded: async (ctx) => {
        deps.log.warn(
          { userId: ctx.from?.id },
          'telegram: user over the message limit; dropping for a minute',
        );
        if (ctx.callbackQuery !== undefined) {
          await ctx.answerCallbackQuery({ text: 'Slow down: try again in a minute.' });
        } else {
          await ctx.reply(
            `Slow down: at most ${deps.userRate} messages a minute. I will answer again in a minute.`,
          );
        }
      },
    }),
  );

  composer.use(async (ctx, next) => {
    ctx.principal = deps.principals.identify(ctx.from!.id);
    ctx.timeZone = deps.timeZone;
    if (ctx.principal.status === 'active') {
      ctx.actor = ctx.principal.actor;
      // One zone per person in every answer: their /notify zone, else the collector's.
      ctx.timeZone = deps.preferences.get(ctx.actor).timeZone;
    }
    await next();
  });
  return composer;
}

/** After registration: only active users go on; everybody else gets one short refusal. */
export function activeOnly(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const principal = ctx.principal;
    if (principal.status === 'active') return next();
    deps.log.info({ userId: ctx.from?.id, status: principal.status }, 'telegram: refused an update');
    const refusal =
      principal.status === 'pending'
        ? 'Your registration is waiting for an admin’s approval. I will tell you when it is decided.'
        : principal.status === 'disabled'
          ? 'Your account is disabled. Ask an admin.'
          : principal.status === 'rejected'
            ? 'Your registration was rejected. You can apply again later with /start.'
            : 'You are not registered with this Pantau. Send /start to register.';
    if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: refusal, show_alert: true });
    else if (ctx.message !== undefined) await ctx.reply(refusal);
  });
  return composer;
}
