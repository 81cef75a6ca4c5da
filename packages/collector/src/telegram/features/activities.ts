import { PantauError } from '@pantau/shared';
import { Composer } from 'grammy';
import { can, roleAtLeast } from '../../access/roles.ts';
import type { Activity } from '../../jobs/types.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { bold, escapeHtml, text } from '../html.ts';
import { allowed, answer, InlineKeyboard, refuse } from '../reply.ts';

/** Callback data is at most 64 bytes: "ac:" plus the activity id. */
const MAX_BUTTON_ID = 60;

/** Can this person run it at all (its minimum role, and admin for a dangerous one)? */
export function mayRun(ctx: BotContext, a: Activity): boolean {
  return roleAtLeast(ctx.actor.role, a.minRole) && (!a.dangerous || can(ctx.actor, 'job.run.dangerous'));
}

/** The activity, or undefined when there is none by that id. */
export function findActivity(deps: BotDeps, id: string): Activity | undefined {
  try {
    return deps.jobs.activities.get(id);
  } catch (error) {
    if (error instanceof PantauError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

/** Refuses an activity the sender may not run, worded like every other refusal; true when allowed. */
export async function allowedActivity(ctx: BotContext, a: Activity): Promise<boolean> {
  if (a.dangerous && !(await allowed(ctx, 'job.run.dangerous'))) return false;
  if (roleAtLeast(ctx.actor.role, a.minRole)) return true;
  await refuse(ctx, a.minRole);
  return false;
}

function paramText(a: Activity): string {
  if (a.params.length === 0) return 'no parameters';
  return a.params
    .map((p) => {
      const kind =
        p.kind === 'enum'
          ? (p.values ?? []).join('|')
          : p.kind === 'integer'
            ? `${p.min ?? ''}..${p.max ?? ''}`
            : 'text';
      const extra = [
        p.required ? 'required' : undefined,
        p.default !== undefined ? `default ${p.default}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      return `${p.name}=${kind}${extra ? ` (${extra})` : ''}`;
    })
    .join(', ');
}

/** /activities: what the sender can run, one button each; a button shows how to run it. */
export function activitiesFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command('activities', async (ctx) => {
    if (!(await allowed(ctx, 'job.run'))) return;
    const mine = deps.jobs.activities.list(ctx.actor).filter((a) => mayRun(ctx, a));
    if (mine.length === 0) return answer(ctx, 'No activity is open to your role.');
    const keyboard = new InlineKeyboard();
    let inRow = 0;
    for (const a of mine) {
      if (a.id.length > MAX_BUTTON_ID) continue;
      keyboard.text(`${a.dangerous ? '⚠️ ' : ''}${a.id}`, `ac:${a.id}`);
      if (++inRow % 3 === 0) keyboard.row();
    }
    const lines = mine
      .slice(0, 40)
      .map((a) => `• ${text(a.id, 64)}${a.dangerous ? ' ⚠️' : ''}: ${text(a.description || a.action, 80)}`);
    return answer(
      ctx,
      `${bold(`Activities you can run · ${mine.length}`)}\n${lines.join('\n')}\n\nTap one for how to run it.`,
      keyboard,
    );
  });

  composer.callbackQuery(/^ac:([a-z0-9][a-z0-9_.-]{0,59})$/, async (ctx) => {
    if (!(await allowed(ctx, 'job.run'))) return;
    const activity = findActivity(deps, ctx.match[1]!);
    if (activity === undefined) {
      await ctx.answerCallbackQuery({ text: 'This activity no longer exists. Send /activities again.' });
      return;
    }
    if (!(await allowedActivity(ctx, activity))) return;
    await ctx.answerCallbackQuery();
    const example = activity.params
      .filter((p) => p.required)
      .map((p) => ` ${p.name}=…`)
      .join('');
    await answer(
      ctx,
      [
        bold(text(activity.id, 64)),
        text(activity.description || activity.action, 200),
        `Parameters: ${text(paramText(activity), 300)}`,
        ...(activity.dangerous ? ['⚠️ Dangerous: it asks for a confirmation before it runs.'] : []),
        '',
        `Run it: <code>/run ${escapeHtml(activity.id)} TARGETS${escapeHtml(example)}</code>`,
        'TARGETS: names or globs separated by commas (web-1,web-*), a label like env=prod, or all.',
      ].join('\n'),
    );
  });
  return composer;
}
