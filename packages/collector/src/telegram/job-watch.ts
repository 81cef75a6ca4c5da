import { type Api, InlineKeyboard, InputFile } from 'grammy';
import type { Actor } from '../access/actor.ts';
import { systemTime, type Time, type Timers } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { JobService } from '../jobs/service.ts';
import { isJobFinal } from '../jobs/types.ts';
import type { BotLogger } from './context.ts';
import { bold, text } from './html.ts';
import { jobOutputFile } from './job-output.ts';
import { counts, liveView, runLines } from './views/jobs.ts';

/** Least time between two edits of the live messages in one chat (Telegram allows about one a second). */
export const EDIT_INTERVAL_MS = 1_500;
/** Output kept per job for the live message; the full output comes as a document at the end. */
const TAIL_CHARS = 6_000;

interface Watched {
  jobId: number;
  chatId: number;
  messageId: number;
  actor: Actor;
  tail: string;
  /** Per host: whether the last chunk ended a line (so the next one gets its host prefix). */
  lineOpen: Map<number, boolean>;
  timer: unknown;
  /** An edit is on its way; changes meanwhile wait for it (`dirty`). */
  busy: boolean;
  dirty: boolean;
  done: boolean;
}

export interface JobWatchOptions {
  api: Api;
  jobs: JobService;
  events: EventBus;
  log: BotLogger;
  /** Default the real clock and timers, not keeping the process alive. */
  time?: Time;
}

/**
 * Follows jobs started from a chat: one message per job edited as runs change and output
 * arrives (at most one edit per 1.5 s per chat, the output's tail within Telegram's limit),
 * then a summary and the whole output as a document.
 */
export class JobWatch {
  readonly #o: JobWatchOptions;
  readonly #watched = new Map<number, Watched>();
  readonly #lastEdit = new Map<number, number>();
  readonly #off: (() => void)[];

  constructor(options: JobWatchOptions) {
    this.#o = options;
    this.#off = [
      options.events.on('job.changed', (e) => this.#touch(e.job.id)),
      options.events.on('job.run', (e) => this.#touch(e.jobId)),
      options.events.on('job.output', (e) => {
        const w = this.#watched.get(e.jobId);
        if (w === undefined) return;
        this.#append(w, e.hostId, e.host, e.data);
        this.#touch(e.jobId);
      }),
    ];
  }

  /** Starts following a job whose live message is `messageId` in `chatId`; output stored so far comes first. */
  watch(jobId: number, chatId: number, messageId: number, actor: Actor): void {
    const w: Watched = {
      jobId,
      chatId,
      messageId,
      actor,
      tail: '',
      lineOpen: new Map(),
      timer: undefined,
      busy: false,
      dirty: false,
      done: false,
    };
    for (const run of this.#o.jobs.get(actor, jobId).runs) {
      for (const e of this.#o.jobs.output(actor, jobId, run.hostId)) {
        this.#append(w, run.hostId, run.host, String((e.data as { data?: unknown }).data ?? ''));
      }
    }
    this.#watched.set(jobId, w);
    this.#touch(jobId);
  }

  /** Adds a chunk of one host's output to the tail, each line prefixed with the host. */
  #append(w: Watched, hostId: number, host: string, data: string): void {
    const lines = data.split('\n');
    let out = '';
    lines.forEach((line, i) => {
      const last = i === lines.length - 1;
      if (last && line === '') return;
      const open = w.lineOpen.get(hostId) ?? false;
      out += `${open ? '' : `${host} | `}${line}${last ? '' : '\n'}`;
      w.lineOpen.set(hostId, last);
    });
    w.tail = (w.tail + out).slice(-TAIL_CHARS);
  }

  watching(jobId: number): boolean {
    return this.#watched.has(jobId);
  }

  stop(): void {
    for (const off of this.#off) off();
    for (const w of this.#watched.values()) this.#timers.clearTimeout(w.timer);
    this.#watched.clear();
  }

  get #timers(): Timers {
    return (this.#o.time ?? systemTime).timers;
  }

  #now(): number {
    return (this.#o.time ?? systemTime).now();
  }

  /** Schedules an edit no sooner than the chat's edit interval allows. */
  #touch(jobId: number): void {
    const w = this.#watched.get(jobId);
    if (w === undefined || w.timer !== undefined || w.done) return;
    if (w.busy) {
      w.dirty = true;
      return;
    }
    const wait = Math.max(0, (this.#lastEdit.get(w.chatId) ?? 0) + EDIT_INTERVAL_MS - this.#now());
    w.timer = this.#timers.setTimeout(() => {
      w.timer = undefined;
      w.busy = true;
      void this.#flush(w)
        .catch((err: unknown) => this.#o.log.warn({ err, jobId }, 'telegram: job message edit failed'))
        .finally(() => {
          w.busy = false;
          if (w.dirty) {
            w.dirty = false;
            this.#touch(jobId);
          }
        });
    }, wait);
  }

  async #flush(w: Watched): Promise<void> {
    const job = this.#o.jobs.get(w.actor, w.jobId);
    this.#lastEdit.set(w.chatId, this.#now());
    const final = isJobFinal(job.state) && job.state !== 'awaiting_confirmation';
    const keyboard =
      job.state === 'running' ? new InlineKeyboard().text('Cancel job', `job:${job.id}:cancel`) : undefined;
    if (final) {
      w.done = true;
      this.#watched.delete(w.jobId);
    }
    await this.#o.api
      .editMessageText(w.chatId, w.messageId, liveView(job, job.runs, w.tail), {
        parse_mode: 'HTML',
        ...(keyboard === undefined ? {} : { reply_markup: keyboard }),
      })
      .catch((err: unknown) => {
        if (!String(err).includes('message is not modified')) throw err;
      });
    // Counted again from the end: the per-chat pacing may have held the edit back.
    this.#lastEdit.set(w.chatId, this.#now());
    if (!final) return;
    const summary = [
      bold(
        `${job.state === 'succeeded' ? '✅' : job.state === 'failed' ? '❌' : '🚫'} Job #${job.id} · ${text(job.activity, 40)} ${job.state}`,
      ),
      counts(job.runs),
      ...runLines(job.runs, 20),
    ].join('\n');
    await this.#o.api.sendMessage(w.chatId, summary, {
      parse_mode: 'HTML',
      reply_parameters: { message_id: w.messageId, allow_sending_without_reply: true },
    });
    const file = jobOutputFile(this.#o.jobs, w.actor, job.id);
    await this.#o.api.sendDocument(
      w.chatId,
      new InputFile(Buffer.from(file, 'utf8'), `job-${job.id}-${job.activity}.txt`),
      {
        caption: `Output of job #${job.id}, every host`,
      },
    );
  }
}
