import { PantauError, parseDuration } from '@pantau/shared';
import { Composer } from 'grammy';
import { hostRef } from '../../alerting.ts';
import { systemClock } from '../../clock.ts';
import type { Incident } from '../../monitor/incidents.ts';
import { toNotifyEvent } from '../../monitor/notices.ts';
import { renderTelegram } from '../../notify/message.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { clock } from '../format.ts';
import { lookupHost } from '../host-arg.ts';
import { escapeHtml, text } from '../html.ts';
import { allowed, answer, InlineKeyboard } from '../reply.ts';

/** Longest silence from the chat; longer ones are maintenance windows (API, console). */
const MAX_SILENCE_MS = 7 * 86_400_000;

/**
 * The Acknowledge and Silence 1 h buttons on alerts (callback data from notify/message.ts),
 * /ack ID, /silence HOST DURATION and /unsilence. Operators and admins only; every press is
 * checked again.
 */
export function incidentFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { incidents, silences } = deps.alerting.commands;
  const now = () => (deps.now ?? systemClock)();

  /** The alert as it reads after the acknowledgement, naming who did it. */
  const acknowledgedHtml = (incident: Incident, by: string, timeZone: string) => {
    const host = deps.store.hosts.get(Number(incident.hostId));
    const event = toNotifyEvent(
      {
        type: 'acknowledged',
        incident,
        host: host === undefined ? undefined : hostRef(host),
        at: incident.acknowledgedAt ?? now(),
      },
      (actor) => deps.access.names.nameOf(actor),
    );
    return renderTelegram(event.type === 'acknowledged' ? { ...event, by } : event, { timeZone }).html;
  };

  const acknowledge = async (ctx: BotContext, id: number) => {
    if (!(await allowed(ctx, 'incidents.ack'))) return;
    let incident: Incident;
    try {
      incident = incidents.acknowledge(ctx.actor, id);
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      if (ctx.callbackQuery !== undefined)
        await ctx.answerCallbackQuery({ text: error.message, show_alert: true });
      else await answer(ctx, escapeHtml(error.message));
      return;
    }
    // Somebody else's earlier acknowledgement keeps their name.
    const by =
      incident.acknowledgedBy === null || incident.acknowledgedBy === ctx.actor.id
        ? ctx.actor.name
        : deps.access.names.nameOf(incident.acknowledgedBy);
    if (ctx.callbackQuery !== undefined) {
      await ctx.answerCallbackQuery({ text: `Acknowledged #${id}: reminders stop.` });
      if (ctx.callbackQuery.message !== undefined) {
        await ctx
          .editMessageText(acknowledgedHtml(incident, by, ctx.timeZone), { parse_mode: 'HTML' })
          .catch(() => undefined);
      }
    } else {
      await answer(ctx, `👀 Acknowledged #${id} (${text(incident.title, 80)}): reminders stop.`);
    }
  };

  composer.callbackQuery(/^ack:([1-9]\d{0,15})$/, (ctx) => acknowledge(ctx, Number(ctx.match[1])));
  composer.command('ack', async (ctx) => {
    const id = Number(ctx.match.trim().replace(/^#/, ''));
    if (!Number.isSafeInteger(id) || id < 1)
      return answer(ctx, 'Usage: /ack ID, e.g. /ack 42 (see /incidents).');
    return acknowledge(ctx, id);
  });

  composer.callbackQuery(/^sil:([1-9]\d{0,15}):(\d{1,6}(?:ms|s|m|h|d))$/, async (ctx) => {
    if (!(await allowed(ctx, 'silences.manage'))) return;
    const id = Number(ctx.match[1]);
    const durationMs = parseDuration(ctx.match[2]!);
    if (durationMs > MAX_SILENCE_MS) {
      await ctx.answerCallbackQuery({ text: 'This button is no longer valid.' });
      return;
    }
    try {
      const silence = silences.silence(ctx.actor, {
        incidentId: id,
        durationMs,
        reason: 'silenced from Telegram',
      });
      await ctx.answerCallbackQuery({
        text: `Silenced #${id} until ${clock(silence.endsAt, ctx.timeZone)}`,
      });
      const original = ctx.callbackQuery.message?.text;
      if (original !== undefined) {
        await ctx
          .editMessageText(
            `${escapeHtml(original)}\n\n🔕 Silenced until ${escapeHtml(clock(silence.endsAt, ctx.timeZone))} by ${text(ctx.actor.name)}`,
            { parse_mode: 'HTML', reply_markup: new InlineKeyboard().text('Acknowledge', `ack:${id}`) },
          )
          .catch(() => undefined);
      }
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      await ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
    }
  });

  composer.command('silence', async (ctx) => {
    if (!(await allowed(ctx, 'silences.manage'))) return;
    const [hostArg = '', duration = '', ...rest] = ctx.match.trim().split(/\s+/);
    const usage = 'Usage: /silence HOST DURATION, e.g. /silence web-1 1h (at most 7d).';
    let durationMs = 0;
    try {
      durationMs = parseDuration(duration);
    } catch {
      return answer(ctx, `${duration === '' ? '' : `"${text(duration)}" is not a duration. `}${usage}`);
    }
    if (hostArg === '' || rest.length > 0 || durationMs <= 0 || durationMs > MAX_SILENCE_MS)
      return answer(ctx, usage);
    const found = lookupHost(deps.store.hosts, hostArg.slice(0, 256));
    if (found.kind !== 'found') {
      return answer(
        ctx,
        `${found.kind === 'none' ? 'No host is called' : 'Several hosts start with'} "${text(hostArg)}". ${usage}`,
      );
    }
    const silence = silences.silence(ctx.actor, {
      hostId: found.host.id,
      durationMs,
      reason: 'silenced from Telegram',
    });
    await answer(
      ctx,
      `🔕 Silenced ${text(found.host.name)} until ${escapeHtml(clock(silence.endsAt, ctx.timeZone))} (silence #${silence.id}). Detection goes on; /unsilence ends it.`,
    );
  });

  const listSilences = async (ctx: BotContext) => {
    const active = silences
      .list(ctx.actor)
      .filter((s) => s.kind === 'silence' && s.startsAt <= now() && s.endsAt > now());
    if (active.length === 0) return answer(ctx, 'No silences are active.');
    const keyboard = new InlineKeyboard();
    const lines = active.slice(0, 20).map((s) => {
      keyboard.text(`End #${s.id}`, `us:${s.id}`).row();
      const what =
        s.hostId !== null
          ? `host ${text(deps.store.hosts.get(s.hostId)?.name ?? String(s.hostId))}`
          : s.incidentId !== null
            ? `incident #${s.incidentId}`
            : 'a selector';
      return `🔕 #${s.id} ${what} until ${escapeHtml(clock(s.endsAt, ctx.timeZone))} (by ${text(deps.access.names.nameOf(s.createdBy), 32)})`;
    });
    return answer(ctx, lines.join('\n'), keyboard);
  };

  const end = async (ctx: BotContext, id: number) => {
    try {
      const silence = silences.end(ctx.actor, id);
      const message = `Silence #${silence.id} ended: notifications go out again.`;
      if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: message });
      else await answer(ctx, message);
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      if (ctx.callbackQuery !== undefined)
        await ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
      else await answer(ctx, escapeHtml(error.message));
    }
  };

  composer.command('unsilence', async (ctx) => {
    if (!(await allowed(ctx, 'silences.manage'))) return;
    const arg = ctx.match.trim().replace(/^#/, '');
    if (arg === '') return listSilences(ctx);
    const id = Number(arg);
    if (!Number.isSafeInteger(id) || id < 1) return answer(ctx, 'Usage: /unsilence [ID]');
    return end(ctx, id);
  });
  composer.callbackQuery(/^us:([1-9]\d{0,15})$/, async (ctx) => {
    if (!(await allowed(ctx, 'silences.manage'))) return;
    await end(ctx, Number(ctx.match[1]));
  });
  return composer;
}
