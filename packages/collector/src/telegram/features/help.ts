import { Composer } from 'grammy';
import { can, ROLES, type Role } from '../../access/roles.ts';
import type { BotContext } from '../context.ts';
import { escapeHtml } from '../html.ts';
import { menuFor } from '../menus.ts';
import { answer } from '../reply.ts';

/** The help text of one role, generated from that role's menu so the two never disagree. */
function helpFor(role: Role): string {
  return [
    '<b>Pantau</b> answers questions about your fleet.',
    '',
    ...menuFor(role).commands.map((c) => `/${c.stringName}: ${escapeHtml(c.description)}`),
    '',
    'HOST is a name or the start of one; leave it out to pick from buttons.',
    ...(can({ role }, 'incidents.ack') ? ['Alerts carry Acknowledge and Silence buttons.'] : []),
  ].join('\n');
}

const HELP = new Map<Role, string>(ROLES.map((role) => [role, helpFor(role)]));

/** /help and /start for an active user: what their role can do. */
export function helpFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command(['help', 'start'], (ctx) => answer(ctx, HELP.get(ctx.actor.role)!));
  return composer;
}

/** Last in the chain: unknown commands, plain text and stale buttons get a short answer. */
export function fallbackFeature(log: { info(obj: object, msg: string): void }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.on('callback_query:data', async (ctx) => {
    log.info({ userId: ctx.from.id, data: ctx.callbackQuery.data.slice(0, 64) }, 'telegram: unknown button');
    await ctx.answerCallbackQuery({ text: 'This button is no longer valid.' });
  });
  composer.on('message', async (ctx) => {
    const first = ctx.message.text?.split(/\s/, 1)[0] ?? '';
    const what = first.startsWith('/') ? unknownCommand(ctx, first) : 'I only answer commands.';
    await answer(ctx, `${what} /help lists what I can answer.`);
  });
  return composer;
}

/** Names the unknown command and, when one of the user's own menu is close, suggests it. */
function unknownCommand(ctx: BotContext, first: string): string {
  const known = `I do not know ${escapeHtml(first.slice(0, 32))}.`;
  // The plugin's fuzzy match only looks at the user's role menu, so it never suggests a refused command.
  const nearest = first.length <= 33 ? ctx.getNearestCommand(menuFor(ctx.actor.role)) : null;
  return nearest === null ? known : `${known} Did you mean ${escapeHtml(nearest)}?`;
}
