import { Composer } from 'grammy';
import { systemClock } from '../../clock.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { fleetInput } from '../fleet-input.ts';
import { allowed, answer, InlineKeyboard, replace } from '../reply.ts';
import { hostsView, incidentsView, statusView } from '../views/fleet.ts';

/** Filters that fit into a page button's callback data (64 bytes) and mean the same when read back. */
const PAGE_FILTER = /^[A-Za-z0-9._=-]{0,32}$/;

/** /status, /hosts [filter] with page buttons, /incidents. */
export function fleetFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const active = () => deps.alerting.monitor.incidents.list({ status: 'active', limit: 500 });

  composer.command('status', async (ctx) => {
    if (!(await allowed(ctx, 'hosts.read'))) return;
    await answer(
      ctx,
      statusView(fleetInput(deps, ctx.timeZone), active()),
      new InlineKeyboard().text('Hosts', 'pg:0:').text('Incidents', 'inc'),
    );
  });

  const hosts = async (ctx: BotContext, filter: string, page: number, edit: boolean) => {
    const view = hostsView(fleetInput(deps, ctx.timeZone), filter, page);
    const keyboard = new InlineKeyboard();
    if (view.pages > 1 && PAGE_FILTER.test(filter)) {
      if (view.page > 0) keyboard.text('◀ Prev', `pg:${view.page - 1}:${filter}`);
      if (view.page < view.pages - 1) keyboard.text('Next ▶', `pg:${view.page + 1}:${filter}`);
    }
    const markup =
      keyboard.inline_keyboard.length > 0 && keyboard.inline_keyboard[0]!.length > 0 ? keyboard : undefined;
    if (edit) await replace(ctx, view.html, markup);
    else await answer(ctx, view.html, markup);
  };

  composer.command('hosts', async (ctx) => {
    if (!(await allowed(ctx, 'hosts.read'))) return;
    await hosts(ctx, ctx.match.slice(0, 64), 0, false);
  });

  composer.callbackQuery(/^pg:(\d{1,5}):([A-Za-z0-9._=-]{0,32})$/, async (ctx) => {
    if (!(await allowed(ctx, 'hosts.read'))) return;
    await ctx.answerCallbackQuery();
    await hosts(ctx, ctx.match[2]!, Number(ctx.match[1]), true);
  });

  const incidents = async (ctx: BotContext) => {
    if (!(await allowed(ctx, 'incidents.read'))) return;
    if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery();
    const names = new Map<number, string>();
    const hostName = (id: number) => {
      let name = names.get(id);
      if (name === undefined) {
        name = deps.store.hosts.get(id)?.name ?? `host ${id}`;
        names.set(id, name);
      }
      return name;
    };
    const now = (deps.now ?? systemClock)();
    const manager = deps.alerting.monitor.incidents;
    await answer(
      ctx,
      incidentsView(active(), {
        hostName,
        silencedUntil: (i) => manager.silencedUntil(i, now),
        now,
        timeZone: ctx.timeZone,
        personName: (actor) => deps.access.names.nameOf(actor),
      }),
    );
  };
  composer.command('incidents', incidents);
  composer.callbackQuery('inc', incidents);
  return composer;
}
