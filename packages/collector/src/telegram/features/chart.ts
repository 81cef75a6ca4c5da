import { Composer, InputFile } from 'grammy';
import {
  CHART_NAMES,
  CHART_RANGES,
  CHARTS,
  type ChartName,
  type ChartRange,
  isChartName,
  isChartRange,
  renderMetricChart,
} from '../../charts/metric-chart.ts';
import { systemClock } from '../../clock.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { lookupHost } from '../host-arg.ts';
import { escapeHtml, text } from '../html.ts';
import { allowed, answer, InlineKeyboard } from '../reply.ts';

const USAGE = `Usage: /chart ${CHART_NAMES.join('|')} HOST [${CHART_RANGES.join('|')}], e.g. /chart cpu web-1 24h`;

/** /chart METRIC HOST [RANGE] and the Chart buttons: a PNG drawn from history. */
export function chartFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  const send = async (ctx: BotContext, chart: ChartName, hostId: number, range: ChartRange) => {
    const host = deps.store.hosts.get(hostId);
    if (host === undefined) return answer(ctx, 'That host no longer exists. /hosts lists the current ones.');
    const chatId = ctx.chat?.id ?? ctx.from!.id;
    await ctx.api.sendChatAction(chatId, 'upload_photo');
    const drawn = await renderMetricChart(deps.store, {
      chart,
      host,
      range,
      now: (deps.now ?? systemClock)(),
      timeZone: ctx.timeZone,
    });
    const keyboard = new InlineKeyboard();
    for (const r of CHART_RANGES) if (r !== range) keyboard.text(r, `ch:${chart}:${host.id}:${r}`);
    const samples = Math.max(0, ...drawn.spec.lines.map((l) => l.ts.length));
    const empty =
      samples === 0 ? '\nNo data in this range yet.' : samples === 1 ? '\nOnly one sample so far.' : '';
    await ctx.api.sendPhoto(chatId, new InputFile(drawn.png, `${chart}-${host.id}-${range}.png`), {
      caption: `${escapeHtml(CHARTS[chart].title)} · ${text(host.name)} · last ${range}${empty}`,
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });
  };

  composer.command('chart', async (ctx) => {
    if (!(await allowed(ctx, 'hosts.read'))) return;
    const [metric = '', hostArg = '', range = '6h', ...rest] = ctx.match.trim().split(/\s+/);
    if (!isChartName(metric) || !isChartRange(range) || rest.length > 0) {
      const problem =
        metric === ''
          ? ''
          : !isChartName(metric)
            ? `"${text(metric)}" is not a chart. `
            : !isChartRange(range)
              ? `"${text(range)}" is not a range. `
              : 'Too many arguments. ';
      return answer(ctx, `${problem}${escapeHtml(USAGE)}`);
    }
    const found = lookupHost(deps.store.hosts, hostArg.slice(0, 256));
    if (found.kind === 'found') return send(ctx, metric, found.host.id, range);
    if (found.kind === 'none') {
      return answer(
        ctx,
        hostArg === '' ? 'No hosts yet.' : `No host is called "${text(hostArg)}" or starts with it.`,
      );
    }
    const keyboard = new InlineKeyboard();
    found.candidates.forEach((h, i) => {
      keyboard.text(h.name.slice(0, 32), `ch:${metric}:${h.id}:${range}`);
      if (i % 2 === 1) keyboard.row();
    });
    await answer(
      ctx,
      hostArg === '' ? 'Chart of which host?' : `Several hosts start with "${text(hostArg)}". Which one?`,
      keyboard,
    );
  });

  composer.callbackQuery(/^ch:([a-z]+):(\d{1,12}):([0-9a-z]{2,3})$/, async (ctx) => {
    const [, chart = '', id = '', range = ''] = ctx.match;
    if (!isChartName(chart) || !isChartRange(range)) {
      await ctx.answerCallbackQuery({ text: 'This button is no longer valid.' });
      return;
    }
    if (!(await allowed(ctx, 'hosts.read'))) return;
    await ctx.answerCallbackQuery({ text: 'Drawing…' });
    await send(ctx, chart, Number(id), range);
  });
  return composer;
}
