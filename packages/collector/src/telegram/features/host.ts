import { Composer } from 'grammy';
import { systemClock } from '../../clock.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { fleetInput } from '../fleet-input.ts';
import { lookupHost } from '../host-arg.ts';
import { text } from '../html.ts';
import { allowed, answer, InlineKeyboard, replace } from '../reply.ts';
import { fleetChecksView, fleetDiskView } from '../views/fleet.ts';
import { HOST_VIEWS, type HostView, renderHostView, VIEW_CHART } from '../views/host.ts';

/** Command name → view; /ram is the memory view. */
const COMMANDS: Record<string, HostView> = Object.fromEntries(HOST_VIEWS.map((v) => [v, v]));

/**
 * /cpu, /ram, /system, /disk, /top, /ports, /checks, /containers HOST: the host by name or
 * unique prefix, or buttons to pick one. /disk and /checks without a host look at the fleet.
 */
export function hostFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const now = () => (deps.now ?? systemClock)();

  const show = async (ctx: BotContext, view: HostView, hostId: number, edit: boolean) => {
    const host = deps.store.hosts.get(hostId);
    if (host === undefined) {
      await answer(ctx, 'That host no longer exists. /hosts lists the current ones.');
      return;
    }
    const html = renderHostView(view, {
      host,
      latest: deps.store.writer.latest(host.id),
      now: now(),
      timeZone: ctx.timeZone,
    });
    const keyboard = new InlineKeyboard().text('📈 Chart', `ch:${VIEW_CHART[view]}:${host.id}:6h`);
    if (view !== 'cpu') keyboard.text('CPU', `h:cpu:${host.id}`);
    if (view !== 'ram') keyboard.text('RAM', `h:ram:${host.id}`);
    if (view !== 'disk') keyboard.text('Disk', `h:disk:${host.id}`);
    if (view !== 'top') keyboard.text('Top', `h:top:${host.id}`);
    if (edit) await replace(ctx, html, keyboard);
    else await answer(ctx, html, keyboard);
  };

  for (const [command, view] of Object.entries(COMMANDS)) {
    composer.command(command, async (ctx) => {
      if (!(await allowed(ctx, 'hosts.read'))) return;
      const arg = ctx.match.trim().split(/\s+/)[0] ?? '';
      if (arg === '' && view === 'disk') return answer(ctx, fleetDiskView(fleetInput(deps, ctx.timeZone)));
      if (arg === '' && view === 'checks')
        return answer(ctx, fleetChecksView(fleetInput(deps, ctx.timeZone)));
      const found = lookupHost(deps.store.hosts, arg.slice(0, 256));
      if (found.kind === 'found') return show(ctx, view, found.host.id, false);
      if (found.kind === 'none') {
        return answer(
          ctx,
          arg === ''
            ? 'No hosts yet. Add one with the API or the console first.'
            : `No host is called "${text(arg)}" or starts with it. /hosts lists them.`,
        );
      }
      const keyboard = new InlineKeyboard();
      found.candidates.forEach((h, i) => {
        keyboard.text(h.name.slice(0, 32), `hp:${view}:${h.id}`);
        if (i % 2 === 1) keyboard.row();
      });
      const question =
        arg === ''
          ? `Which host? Pick one or type /${command} NAME.`
          : `Several hosts start with "${text(arg)}". Which one?`;
      await answer(
        ctx,
        found.more
          ? `${question} (showing ${found.candidates.length}; type more of the name to narrow it down)`
          : question,
        keyboard,
      );
    });
  }

  // `hp:` is a pick from a list of candidates (the list becomes the answer); `h:` opens another view.
  composer.callbackQuery(/^(hp?):([a-z]+):(\d{1,12})$/, async (ctx) => {
    const view = Object.hasOwn(COMMANDS, ctx.match[2]!) ? COMMANDS[ctx.match[2]!] : undefined;
    if (view === undefined) {
      await ctx.answerCallbackQuery({ text: 'This button is no longer valid.' });
      return;
    }
    if (!(await allowed(ctx, 'hosts.read'))) return;
    await ctx.answerCallbackQuery();
    await show(ctx, view, Number(ctx.match[3]), ctx.match[1] === 'hp');
  });
  return composer;
}
