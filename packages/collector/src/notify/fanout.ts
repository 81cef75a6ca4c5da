import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { ChannelName, PayloadByChannel } from './channels/types.ts';
import type { OutboxMessageInput } from './enqueue.ts';
import {
  type NotifyEvent,
  type RenderOptions,
  renderEmail,
  renderTelegram,
  renderWebhook,
} from './message.ts';
import { OutboxRepo } from './outbox-repo.ts';
import { PreferenceRepo } from './preference-repo.ts';
import { wants } from './preferences.ts';
import { RecipientRepo } from './recipient-repo.ts';
import type { Recipient } from './recipients.ts';

export interface NotifyAllOptions {
  render?: RenderOptions;
  /** Only these channels (e.g. the configured ones). Default all. */
  channels?: readonly ChannelName[];
  /** Enqueue time, epoch ms. Default the system clock. */
  now?: number;
}

/**
 * Fans events out: one message per enabled, approved recipient on every channel, each in the
 * person's own time zone and within their own settings (/notify: minimum severity, quiet hours, mute).
 */
export class Fanout {
  readonly #db: Database;
  readonly #outbox: OutboxRepo;
  readonly #recipients: RecipientRepo;
  readonly #preferences: PreferenceRepo;

  constructor(db: Database, outbox = new OutboxRepo(db)) {
    this.#db = db;
    this.#outbox = outbox;
    this.#recipients = new RecipientRepo(db);
    this.#preferences = new PreferenceRepo(db);
  }

  /**
   * Enqueues one event in one transaction: either everyone gets it or nobody does. Inside a
   * caller's transaction it joins that one. Returns the outbox message ids.
   */
  notifyAll(event: NotifyEvent, options: NotifyAllOptions = {}): number[] {
    const render = options.render ?? {};
    const now = options.now ?? systemClock();
    // Rendered once per time zone: each person reads times in their own zone, sinks in the default one.
    const rendered = new Map<string, RenderCache>();
    const incidentId = event.type === 'text' ? null : event.incidentId;
    return this.#db.transaction(() => {
      const preferences = this.#preferences.all();
      const wanted = this.#recipients.approved(options.channels).filter((r) => {
        const p = r.userId === null ? undefined : preferences.get(r.userId);
        return p === undefined || wants(p, event, now);
      });
      return wanted.map((recipient) => {
        const own = recipient.userId === null ? undefined : preferences.get(recipient.userId)?.timeZone;
        const timeZone = own ?? render.timeZone ?? 'UTC';
        let cache = rendered.get(timeZone);
        if (cache === undefined) {
          cache = {};
          rendered.set(timeZone, cache);
        }
        const message = messageFor(recipient, event, { ...render, timeZone }, cache);
        return this.#outbox.insert(
          { ...message, recipientId: recipient.id, eventType: event.type, incidentId } as OutboxMessageInput,
          now,
        );
      });
    })();
  }
}

interface RenderCache {
  telegram?: ReturnType<typeof renderTelegram>;
  email?: ReturnType<typeof renderEmail>;
  webhook?: string;
}

/** Renders once per channel (kept in `cache`) and addresses the result to one recipient. */
export function messageFor(
  recipient: Recipient,
  event: NotifyEvent,
  render: RenderOptions,
  cache: RenderCache = {},
): { [C in ChannelName]: { channel: C; payload: PayloadByChannel[C] } }[ChannelName] {
  switch (recipient.channel) {
    case 'telegram': {
      cache.telegram ??= renderTelegram(event, render);
      const { html, replyMarkup } = cache.telegram;
      return {
        channel: 'telegram',
        payload: { chatId: recipient.address, html, ...(replyMarkup === undefined ? {} : { replyMarkup }) },
      };
    }
    case 'email':
      cache.email ??= renderEmail(event, render);
      return { channel: 'email', payload: { to: recipient.address, ...cache.email } };
    case 'webhook':
      cache.webhook ??= JSON.stringify(renderWebhook(event, render));
      return {
        channel: 'webhook',
        payload: { url: recipient.address, secret: recipient.secret, body: cache.webhook },
      };
  }
}
