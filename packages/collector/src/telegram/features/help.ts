import { Composer } from 'grammy';
import { can } from '../../access/roles.ts';
import type { BotContext } from '../context.ts';
import { escapeHtml } from '../html.ts';
import { COMMANDS, menuFor } from '../menus.ts';
import { answer } from '../reply.ts';

const HELP = [
  '<b>Pantau</b> answers questions about your fleet.',
  '',
  ...COMMANDS.map((c) => `/${c.command}: ${escapeHtml(c.description)}`),
  '',
  'HOST is a name or the start of one; leave it out to pick from buttons.',
].join('\n');

const OPERATOR_HELP = [
  '',
  '<b>Incidents</b> (operators): the Acknowledge and Silence buttons on alerts,',
  '/ack ID: acknowledge; reminders stop',
  '/silence HOST DURATION: hold back a host’s alerts, e.g. /silence web-1 1h',
  '/unsilence [ID]: list silences or end one',
  '/run ACTIVITY TARGETS [key=value ...]: run an activity after a preview, e.g. /run uptime web-*',
].join('\n');

/** /help and /start for an active user: what their role can do. */
export function helpFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command(['help', 'start'], (ctx) =>
    answer(
      ctx,
      `${HELP}\n/me: your name and role\n/notify: your alerts (minimum severity, quiet hours, mute)${can(ctx.actor, 'incidents.ack') ? `\n${OPERATOR_HELP}` : ''}`,
    ),
  );
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
