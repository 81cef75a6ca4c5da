import { type Conversation, conversations, createConversation } from '@grammyjs/conversations';
import { PantauError } from '@pantau/shared';
import { Composer, type Context } from 'grammy';
import { systemClock } from '../../clock.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { notApproved } from '../format.ts';
import { escapeHtml } from '../html.ts';
import { answer } from '../reply.ts';

const EMAIL = /^[^\s@<>",;]{1,64}@[^\s@<>",;]{1,190}\.[^\s@<>",;]{2,63}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Asks until the answer passes `check` (which returns a problem, or null); undefined on /cancel. */
async function ask(
  conversation: Conversation<BotContext, Context>,
  check: (text: string) => string | null,
): Promise<string | undefined> {
  for (;;) {
    const reply = await conversation.waitFor('message:text', {
      otherwise: (ctx) => ctx.reply('Please answer with text, or send /cancel.'),
    });
    const text = reply.message.text.trim();
    if (text === '/cancel') {
      await reply.reply('Registration cancelled. Send /start to begin again.');
      return undefined;
    }
    const problem = text.startsWith('/') ? 'Please answer the question, or send /cancel.' : check(text);
    if (problem === null) return text;
    await reply.reply(problem);
  }
}

/**
 * /start for people without access: a conversation asking for a name and an e-mail address,
 * then a pending user that every admin is asked about. `/start CODE` with a claim code from
 * `pantau-collector telegram claim` makes the sender admin.
 */
export function registerFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  const register = async (conversation: Conversation<BotContext, Context>, ctx: Context) => {
    const telegramId = ctx.from!.id;
    const chatId = ctx.chat!.id;
    await ctx.reply('Welcome to Pantau. To register, tell me your name. (Send /cancel to stop.)');
    const name = await ask(conversation, (text) =>
      text.length > 128 || CONTROL.test(text) ? 'A name is 1 to 128 characters. Please try again.' : null,
    );
    if (name === undefined) return;
    await ctx.reply(`Thanks, ${name.slice(0, 128)}. Your e-mail address?`);
    const email = await ask(conversation, (text) =>
      EMAIL.test(text)
        ? null
        : 'That does not look like an e-mail address (name@example.com). Please try again.',
    );
    if (email === undefined) return;
    const outcome = await conversation.external(() => {
      try {
        deps.access.users.registerTelegram({ telegramId, chatId, name, email });
        return { ok: true as const };
      } catch (error) {
        if (!(error instanceof PantauError)) throw error;
        return { ok: false as const, message: error.message };
      }
    });
    await ctx.reply(
      outcome.ok
        ? 'Thank you. Your registration is waiting for an admin’s approval; I will tell you when it is decided.'
        : `Registration not possible: ${outcome.message}.`,
    );
  };

  composer.use(conversations());
  composer.use(createConversation(register, 'register'));

  composer.command('start', async (ctx, next) => {
    const code = ctx.match.trim();
    if (code !== '') {
      try {
        const user = deps.access.claims.redeem({
          code: code.slice(0, 100),
          telegramId: ctx.from!.id,
          chatId: ctx.chat.id,
          name: [ctx.from!.first_name, ctx.from!.last_name].filter(Boolean).join(' '),
        });
        deps.log.info({ userId: user.id, telegramId: ctx.from!.id }, 'telegram: claim code made an admin');
        await answer(
          ctx,
          `✅ You are now an admin of this Pantau, as <b>${escapeHtml(user.name)}</b>. /help lists what you can do.`,
        );
      } catch (error) {
        if (!(error instanceof PantauError)) throw error;
        deps.log.warn({ telegramId: ctx.from!.id }, 'telegram: a claim code was refused');
        await answer(
          ctx,
          'This code is not valid or has expired. Ask for a new one: pantau-collector telegram claim.',
        );
      }
      return;
    }
    const principal = ctx.principal;
    if (principal.status === 'rejected') {
      const wait = (principal.user.rejectedAt ?? 0) + deps.rejectCooldown - (deps.now ?? systemClock)();
      // Inside the cooldown the application would be refused: say so before asking anything.
      if (wait > 0) return answer(ctx, notApproved(wait));
    }
    if (principal.status === 'unknown' || principal.status === 'rejected')
      return ctx.conversation.enter('register');
    if (principal.status === 'pending')
      return answer(ctx, 'Your registration is waiting for an admin’s approval already.');
    if (principal.status === 'disabled') return answer(ctx, 'Your account is disabled. Ask an admin.');
    // An active user's /start is their /help.
    return next();
  });
  return composer;
}
