import { limit } from '@grammyjs/ratelimiter';
import { Composer } from 'grammy';
import type { BotContext, BotDeps } from '../context.ts';

/** Groups already told that the bot only talks in private chats (told once per start). */
const MAX_REMEMBERED = 10_000;

/**
 * Runs before every feature: private chats only, a flood limit per user, and the sender's
 * principal; unregistered, pending and disabled users get one short refusal and nothing else.
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
        if (ctx.callbackQuery !== undefined)
          await ctx.answerCallbackQuery({ text: 'Slow down: try again in a minute.' });
        else
          await ctx.reply(
            `Slow down: at most ${deps.userRate} messages a minute. I will answer again in a minute.`,
          );
      },
    }),
  );

  composer.use(async (ctx, next) => {
    const principal = deps.principals.identify(ctx.from!.id);
    if (principal.status === 'active') {
      ctx.actor = principal.actor;
      return next();
    }
    deps.log.info({ userId: ctx.from!.id, status: principal.status }, 'telegram: refused an update');
    const refusal =
      principal.status === 'pending'
        ? 'Your access is waiting for an admin’s approval.'
        : principal.status === 'disabled'
          ? 'Your access is disabled. Ask an admin.'
          : `You are not registered with this Pantau. Ask an admin to add you; your Telegram id is ${ctx.from!.id}.`;
    if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: refusal, show_alert: true });
    else if (ctx.message !== undefined) await ctx.reply(refusal);
  });
  return composer;
}
