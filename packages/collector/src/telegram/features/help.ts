import { Composer } from 'grammy';
import { can } from '../../access/roles.ts';
import type { BotContext } from '../context.ts';
import { escapeHtml } from '../html.ts';
import { answer } from '../reply.ts';

/** The commands, as /help lists them and setMyCommands offers them. */
export const COMMANDS = [
  { command: 'status', description: 'Fleet summary: up, down, incidents, busiest hosts' },
  { command: 'hosts', description: 'Hosts, optionally filtered: /hosts web, /hosts down, /hosts env=prod' },
  { command: 'cpu', description: 'CPU of a host: /cpu HOST' },
  { command: 'ram', description: 'Memory of a host: /ram HOST' },
  { command: 'system', description: 'OS, kernel, uptime, agent of a host' },
  { command: 'disk', description: 'Filesystems of a host, or the fullest in the fleet' },
  { command: 'top', description: 'Top processes of a host by CPU and memory' },
  { command: 'ports', description: 'Listening ports of a host' },
  { command: 'checks', description: 'Service checks of a host, or the failing ones' },
  { command: 'containers', description: 'Containers of a host' },
  { command: 'incidents', description: 'Open incidents' },
  { command: 'jobs', description: 'Recent jobs (/jobs mine for yours)' },
  { command: 'job', description: 'One job with a line per host: /job ID' },
  { command: 'chart', description: 'Chart: /chart cpu|memory|disk|net|load HOST 1h|6h|24h|7d|30d' },
  { command: 'help', description: 'What I can answer' },
] as const;

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
    const what = first.startsWith('/')
      ? `I do not know ${escapeHtml(first.slice(0, 32))}.`
      : 'I only answer commands.';
    await answer(ctx, `${what} /help lists what I can answer.`);
  });
  return composer;
}
