import { PantauError, parseDuration } from '@pantau/shared';
import { Composer } from 'grammy';
import { systemClock } from '../../clock.ts';
import type { Severity } from '../../notify/message.ts';
import { inQuietHours, type Preferences } from '../../notify/preferences.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { clock } from '../format.ts';
import { bold, escapeHtml, text } from '../html.ts';
import { answer, InlineKeyboard, replace } from '../reply.ts';

const USAGE = [
  '/notify min critical|warning|info: the least severity you get',
  '/notify quiet 22:00-07:00: only critical first alerts then (/notify quiet off)',
  '/notify mute 2h: nothing for a while (/notify mute off)',
  '/notify zone Europe/Berlin: the time zone of every time I show you',
].join('\n');

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const MAX_MUTE_MS = 30 * 86_400_000;

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** /notify: each user's own minimum severity, quiet hours and mute; the fan-out honours them. */
export function notifyFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const now = () => (deps.now ?? systemClock)();

  const describe = (p: Preferences) => {
    const t = now();
    const muted =
      p.mutedUntil !== null && p.mutedUntil > t ? `until ${text(clock(p.mutedUntil, p.timeZone))}` : 'no';
    const quiet =
      p.quiet === null
        ? 'none'
        : `${hhmm(p.quiet.start)}-${hhmm(p.quiet.end)} ${text(p.timeZone)}${inQuietHours(p, t) ? ' (now)' : ''}`;
    return [
      bold('Your notifications'),
      `Minimum severity: ${p.minSeverity}`,
      `Quiet hours: ${quiet}`,
      `Muted: ${muted}`,
      `Time zone: ${text(p.timeZone)}`,
      '',
      escapeHtml(USAGE),
    ].join('\n');
  };
  const keyboard = () =>
    new InlineKeyboard().text('Mute 1 h', 'nm:1h').text('Mute 8 h', 'nm:8h').text('Unmute', 'nm:off');

  const change = async (ctx: BotContext, patch: Partial<Preferences>) => {
    try {
      return deps.preferences.set(ctx.actor, patch, now());
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      await answer(ctx, escapeHtml(error.message));
      return undefined;
    }
  };

  composer.command('notify', async (ctx) => {
    const [first = '', given = '', ...rest] = ctx.match.trim().split(/\s+/);
    const [what, value] = [first.toLowerCase(), given.toLowerCase()];
    if (what === '') return answer(ctx, describe(deps.preferences.get(ctx.actor)), keyboard());
    if (rest.length > 0) return answer(ctx, `Too many words.\n${escapeHtml(USAGE)}`);
    let patch: Partial<Preferences> | undefined;
    if (what === 'min' && (SEVERITIES as readonly string[]).includes(value)) {
      patch = { minSeverity: value as Severity };
    } else if (what === 'quiet' && value === 'off') {
      patch = { quiet: null };
    } else if (what === 'quiet') {
      const [from = '', to = ''] = value.split('-');
      const a = HHMM.exec(from);
      const b = HHMM.exec(to);
      if (a !== null && b !== null) {
        patch = {
          quiet: { start: Number(a[1]) * 60 + Number(a[2]), end: Number(b[1]) * 60 + Number(b[2]) },
        };
      }
    } else if (what === 'zone' && given !== '') {
      // Checked by the preferences command, which says what a zone looks like.
      patch = { timeZone: given.slice(0, 64) };
    } else if (what === 'mute' && value === 'off') {
      patch = { mutedUntil: null };
    } else if (what === 'mute') {
      try {
        const ms = parseDuration(value);
        if (ms > 0 && ms <= MAX_MUTE_MS) patch = { mutedUntil: now() + ms };
      } catch {
        patch = undefined;
      }
    }
    if (patch === undefined)
      return answer(ctx, `I did not understand "${text(ctx.match.trim(), 40)}".\n${escapeHtml(USAGE)}`);
    const saved = await change(ctx, patch);
    if (saved !== undefined) await answer(ctx, describe(saved), keyboard());
    return undefined;
  });

  composer.callbackQuery(/^nm:(1h|8h|off)$/, async (ctx) => {
    const value = ctx.match[1]!;
    const saved = await change(ctx, { mutedUntil: value === 'off' ? null : now() + parseDuration(value) });
    await ctx.answerCallbackQuery({ text: value === 'off' ? 'Unmuted' : `Muted for ${value}` });
    if (saved !== undefined) await replace(ctx, describe(saved), keyboard());
  });
  return composer;
}
