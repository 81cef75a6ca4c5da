import { PantauError } from '@pantau/shared';
import { Composer } from 'grammy';
import type { Role } from '../../access/roles.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { bold, escapeHtml, text } from '../html.ts';
import { allowed, answer, InlineKeyboard } from '../reply.ts';

const ROLE_BY_LETTER: Record<string, Role> = { v: 'viewer', o: 'operator', a: 'admin' };

/** The admins' buttons for one applicant: only ids and a verb (`ua:<user>:<v|o|a>`, `ur:<user>`). */
export function approvalKeyboard(userId: number): InlineKeyboard {
  return new InlineKeyboard()
    .text('Approve as viewer', `ua:${userId}:v`)
    .text('operator', `ua:${userId}:o`)
    .text('admin', `ua:${userId}:a`)
    .row()
    .text('Reject', `ur:${userId}`);
}

/** /me, and the Approve / Reject buttons admins get for every registration. */
export function peopleFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command('me', async (ctx) => {
    const user = ctx.principal.status === 'active' ? ctx.principal.user : undefined;
    if (user === undefined) return;
    await answer(
      ctx,
      [
        bold(text(user.name)),
        `Role: ${user.role}`,
        `E-mail: ${text(user.email ?? 'none')}`,
        `Telegram id: ${ctx.from!.id}`,
        user.approvedBy === null ? '' : `Approved by: ${text(deps.access.names.nameOf(user.approvedBy))}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  });

  const decide = async (ctx: BotContext, userId: number, role: Role | null) => {
    if (!(await allowed(ctx, 'users.manage'))) return;
    let outcome: string;
    try {
      const user =
        role === null
          ? deps.access.users.reject(ctx.actor, userId)
          : deps.access.users.approve(ctx.actor, userId, role);
      outcome =
        role === null
          ? `❌ Rejected by ${text(ctx.actor.name)}`
          : `✅ Approved as ${role} by ${text(ctx.actor.name)}`;
      await ctx.answerCallbackQuery({
        text: role === null ? `${user.name} rejected` : `${user.name} is ${role} now`,
      });
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      await ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
      outcome = `ℹ️ ${escapeHtml(error.message)}`;
    }
    const original = ctx.callbackQuery?.message?.text;
    if (original !== undefined) {
      await ctx
        .editMessageText(`${escapeHtml(original)}\n\n${outcome}`, { parse_mode: 'HTML' })
        .catch(() => undefined);
    }
  };

  composer.callbackQuery(/^ua:(\d{1,12}):([voa])$/, (ctx) =>
    decide(ctx, Number(ctx.match[1]), ROLE_BY_LETTER[ctx.match[2]!] ?? null),
  );
  composer.callbackQuery(/^ur:(\d{1,12})$/, (ctx) => decide(ctx, Number(ctx.match[1]), null));
  return composer;
}
