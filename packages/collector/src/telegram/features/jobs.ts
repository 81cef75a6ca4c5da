import { randomBytes } from 'node:crypto';
import type { JobParams } from '@pantau/shared';
import { PantauError } from '@pantau/shared';
import { Composer } from 'grammy';
import { can } from '../../access/roles.ts';
import { systemClock } from '../../clock.ts';
import type { Targets } from '../../jobs/types.ts';
import type { BotContext, BotDeps } from '../context.ts';
import { escapeHtml, text } from '../html.ts';
import type { JobWatch } from '../job-watch.ts';
import { allowed, answer, InlineKeyboard, replace } from '../reply.ts';
import { jobsView, liveView, previewView } from '../views/jobs.ts';
import { allowedActivity, findActivity } from './activities.ts';

const USAGE =
  'Usage: /run ACTIVITY TARGETS [key=value ...], e.g. /run uptime web-1,web-2 or /run apt-update web-* or /run uptime all. TARGETS: names or globs separated by commas, a label selector like env=prod, or all.';

/** A confirmation of a non-dangerous job waits this long; the job itself does not exist yet. */
const INTENT_TTL_MS = 5 * 60_000;
const MAX_INTENTS = 10_000;

interface Intent {
  userId: number;
  activity: string;
  targets: Targets;
  params: JobParams;
  expiresAt: number;
}

/** `web-1,web-*` → hosts; `env=prod` → selector; `all` → all. */
function parseTargets(arg: string): Targets {
  if (arg === 'all') return { all: true };
  if (arg.includes('=')) return { selector: arg };
  return { hosts: arg.split(',').filter((h) => h !== '') };
}

function parseParams(words: readonly string[]): JobParams | string {
  const params: JobParams = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) return `"${word}" is not key=value`;
    const value = word.slice(eq + 1);
    params[word.slice(0, eq)] = /^-?\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return params;
}

/**
 * /run with a preview and Confirm / Cancel (a dangerous activity becomes a job awaiting its
 * confirmation at once, so its buttons carry the job id), live output by editing one message,
 * /jobs, /job ID and the Cancel button.
 */
export function jobsFeature(deps: BotDeps, watch: JobWatch): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const intents = new Map<string, Intent>();
  const now = () => (deps.now ?? systemClock)();
  const jobs = () => deps.jobs.service;

  const fail = async (ctx: BotContext, error: unknown) => {
    if (!(error instanceof PantauError)) throw error;
    if (ctx.callbackQuery !== undefined)
      await ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
    else await answer(ctx, `Not started: ${escapeHtml(error.message)}`);
  };

  /** Turns the message into the job's live message and follows it. */
  const follow = async (ctx: BotContext, jobId: number) => {
    const message = ctx.callbackQuery?.message;
    if (message !== undefined) watch.watch(jobId, message.chat.id, message.message_id, ctx.actor);
    else {
      const job = jobs().get(ctx.actor, jobId);
      await replace(ctx, liveView(job, job.runs, ''));
    }
  };

  composer.command('run', async (ctx) => {
    if (!(await allowed(ctx, 'job.run'))) return;
    const [activity = '', targetArg = '', ...rest] = ctx.match.trim().split(/\s+/);
    if (activity === '' || targetArg === '') return answer(ctx, escapeHtml(USAGE));
    const params = parseParams(rest.slice(0, 20));
    if (typeof params === 'string') return answer(ctx, `${escapeHtml(params)}. ${escapeHtml(USAGE)}`);
    const input = { activity: activity.slice(0, 64), targets: parseTargets(targetArg.slice(0, 512)), params };
    const found = findActivity(deps, input.activity);
    if (found === undefined)
      return answer(
        ctx,
        `No activity is called "${text(input.activity)}". /activities lists what you can run.`,
      );
    if (!(await allowedActivity(ctx, found))) return;
    try {
      const preview = jobs().preview(ctx.actor, input);
      const dangerous = found.dangerous;
      const html = previewView(input.activity, dangerous, preview, params);
      if (preview.hosts.length === 0) return answer(ctx, html);
      if (dangerous) {
        // The job waits for its creator's confirmation (and expires) in the jobs service itself.
        const job = jobs().create(ctx.actor, input, now());
        return answer(
          ctx,
          `${html}\n\nJob #${job.id} waits for your confirmation.`,
          new InlineKeyboard()
            .text('⚠️ Confirm', `job:${job.id}:confirm`)
            .text('Cancel', `job:${job.id}:cancel`),
        );
      }
      if (intents.size >= MAX_INTENTS) {
        for (const [key, i] of intents) if (i.expiresAt <= now()) intents.delete(key);
      }
      const key = randomBytes(6).toString('base64url');
      intents.set(key, { userId: ctx.actor.userId ?? -1, ...input, expiresAt: now() + INTENT_TTL_MS });
      return answer(
        ctx,
        html,
        new InlineKeyboard().text('▶️ Confirm', `rq:${key}:go`).text('Cancel', `rq:${key}:no`),
      );
    } catch (error) {
      return fail(ctx, error);
    }
  });

  composer.callbackQuery(/^rq:([A-Za-z0-9_-]{8}):(go|no)$/, async (ctx) => {
    if (!(await allowed(ctx, 'job.run'))) return;
    const key = ctx.match[1]!;
    const intent = intents.get(key);
    if (intent === undefined || intent.expiresAt <= now() || intent.userId !== ctx.actor.userId) {
      await ctx.answerCallbackQuery({
        text: 'This confirmation has expired or is not yours. Send /run again.',
        show_alert: true,
      });
      return;
    }
    intents.delete(key);
    if (ctx.match[2] === 'no') {
      await ctx.answerCallbackQuery({ text: 'Cancelled' });
      await replace(ctx, `🚫 Not run: ${text(intent.activity, 40)} was cancelled before it started.`);
      return;
    }
    try {
      const job = jobs().create(ctx.actor, intent, now());
      await ctx.answerCallbackQuery({ text: `Job #${job.id} started` });
      await follow(ctx, job.id);
    } catch (error) {
      await fail(ctx, error);
    }
  });

  composer.callbackQuery(/^job:([1-9]\d{0,15}):(confirm|approve|cancel)$/, async (ctx) => {
    const id = Number(ctx.match[1]);
    const verb = ctx.match[2] as 'confirm' | 'approve' | 'cancel';
    if (
      !(await allowed(
        ctx,
        verb === 'cancel' ? 'job.run' : verb === 'approve' ? 'job.approve' : 'job.run.dangerous',
      ))
    )
      return;
    try {
      const job = jobs()[verb](ctx.actor, id, now());
      await ctx.answerCallbackQuery({
        text:
          verb === 'cancel'
            ? `Job #${id} cancelled`
            : job.state === 'awaiting_approval'
              ? `Job #${id} waits for a second admin`
              : `Job #${id} started`,
      });
      if (verb === 'cancel') {
        if (!watch.watching(id)) await replace(ctx, liveView(job, jobs().get(ctx.actor, id).runs, ''));
        return;
      }
      if (job.state === 'awaiting_approval') {
        await replace(
          ctx,
          `👥 Job #${id} (${text(job.activity, 40)}) is confirmed and waits for a second admin's approval.`,
        );
        return;
      }
      await follow(ctx, id);
    } catch (error) {
      await fail(ctx, error);
    }
  });

  composer.command('jobs', async (ctx) => {
    if (!(await allowed(ctx, 'jobs.read'))) return;
    const mine = ctx.match.trim() === 'mine';
    const list = jobs().list(ctx.actor, { limit: 15, ...(mine ? { actor: ctx.actor.id } : {}) });
    await answer(ctx, jobsView(list, now()));
  });

  composer.command('job', async (ctx) => {
    if (!(await allowed(ctx, 'jobs.read'))) return;
    const id = Number(ctx.match.trim().replace(/^#/, ''));
    if (!Number.isSafeInteger(id) || id < 1) return answer(ctx, 'Usage: /job ID (see /jobs).');
    try {
      const job = jobs().get(ctx.actor, id);
      const cancel =
        job.state === 'running' && can(ctx.actor, 'job.run')
          ? new InlineKeyboard().text('Cancel job', `job:${id}:cancel`)
          : undefined;
      return answer(ctx, `${liveView(job, job.runs, '')}\nby ${text(job.actorName, 40)}`, cancel);
    } catch (error) {
      if (!(error instanceof PantauError)) throw error;
      return answer(ctx, escapeHtml(error.message));
    }
  });
  return composer;
}
