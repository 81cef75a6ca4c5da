import { InlineKeyboard } from 'grammy';
import { can, needsRole, type Permission, type Role, roleFor } from '../access/roles.ts';
import type { BotContext } from './context.ts';

export { InlineKeyboard };

/** Sends an HTML answer; every bot answer goes through here (escaped by its renderer, no previews). */
export async function answer(ctx: BotContext, html: string, keyboard?: InlineKeyboard): Promise<void> {
  // A button on a message too old to be attached to the update still has its sender: the private chat.
  const chatId = ctx.chat?.id ?? ctx.from?.id;
  if (chatId === undefined) return;
  await ctx.api.sendMessage(chatId, html, {
    parse_mode: 'HTML',
    link_preview_options: { is_disabled: true },
    ...(keyboard === undefined ? {} : { reply_markup: keyboard }),
  });
}

/** Replaces the message a button sat on (a picker becomes its answer); falls back to a new message. */
export async function replace(ctx: BotContext, html: string, keyboard?: InlineKeyboard): Promise<void> {
  if (ctx.callbackQuery?.message === undefined) return answer(ctx, html, keyboard);
  try {
    await ctx.editMessageText(html, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(keyboard === undefined ? {} : { reply_markup: keyboard }),
    });
  } catch (error) {
    // Pressing the same page twice edits to the same text; Telegram refuses that, nothing is lost.
    if (!String(error).includes('message is not modified')) throw error;
  }
}

/** Re-checks the sender's permission on every update; says which role is needed when it fails. */
export async function allowed(ctx: BotContext, permission: Permission): Promise<boolean> {
  if (can(ctx.actor, permission)) return true;
  await refuse(ctx, roleFor(permission));
  return false;
}

/** The one wording of every refusal: which role it needs, and the sender's. */
export async function refuse(ctx: BotContext, role: Role): Promise<void> {
  const message = `Not allowed: ${needsRole('this', role, { role: ctx.actor.role })}.`;
  if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: message, show_alert: true });
  else await answer(ctx, message);
}
