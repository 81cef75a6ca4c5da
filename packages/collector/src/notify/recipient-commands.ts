import { checkName, PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { type Actor, demand } from '../access/actor.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { ChannelName, Channels } from './channels/types.ts';
import { messageFor } from './fanout.ts';
import type { RenderOptions } from './message.ts';
import type { Outbox } from './outbox.ts';
import type { RecipientRepo } from './recipient-repo.ts';
import { CHANNEL_SETTING, type Recipient, validateRecipient } from './recipients.ts';

export interface RecipientCommandDeps {
  /** Default the system clock. */
  now?: Clock;
  db: Database;
  recipients: RecipientRepo;
  audit: AuditLog;
  outbox: Outbox;
  channels: Channels;
  render(): RenderOptions;
}

export interface NewSink {
  channel: ChannelName;
  name: string;
  address: string;
  secret?: string | undefined;
  enabled?: boolean | undefined;
  approved?: boolean | undefined;
}

/** Recipients: add sinks, rename, enable or approve, remove, send a test; each audited. */
export class RecipientCommands {
  readonly #d: RecipientCommandDeps;

  constructor(deps: RecipientCommandDeps) {
    this.#d = deps;
  }

  list(actor: Actor): Recipient[] {
    demand(actor, 'recipients.manage');
    return this.#d.recipients.list();
  }

  /** A standalone sink (a user's contact points come from their identities). */
  create(actor: Actor, input: NewSink): Recipient {
    demand(actor, 'recipients.manage');
    const { channel, secret } = input;
    if (secret !== undefined && channel !== 'webhook') {
      throw new PantauError('VALIDATION_FAILED', 'body.secret is only for webhook recipients');
    }
    const sink = {
      ...input,
      name: checkName(input.name, 'body.name'),
      secret: secret ?? null,
      source: 'api' as const,
    };
    try {
      validateRecipient(sink);
    } catch (err) {
      // The name and the secret are checked already, so what is left is the address.
      if (err instanceof PantauError) throw new PantauError(err.code, `body.address: ${err.message}`);
      throw err;
    }
    // Accepted and never sent would be a silent drop: say what to configure instead.
    if (channel === 'telegram' && this.#d.channels.telegram === undefined) {
      throw new PantauError(
        'VALIDATION_FAILED',
        `body.channel: no Telegram bot is configured; set ${CHANNEL_SETTING.telegram}`,
      );
    }
    return this.#d.db.transaction(() => {
      const existing = this.#d.recipients.byAddress(channel, input.address);
      if (existing)
        throw new PantauError('CONFLICT', `recipient ${existing.id} has this ${channel} address already`);
      const recipient = this.#d.recipients.upsert(sink);
      this.#d.audit.record(actor, 'recipient.create', `recipient:${recipient.id}`, {
        channel,
        name: input.name,
        address: recipient.address,
      });
      return recipient;
    })();
  }

  update(
    actor: Actor,
    id: number,
    patch: { name?: string | undefined; enabled?: boolean | undefined; approved?: boolean | undefined },
  ): Recipient {
    demand(actor, 'recipients.manage');
    return this.#d.db.transaction(() => {
      const r = this.#changeable(id);
      if (patch.name !== undefined) this.#d.recipients.rename(r.id, checkName(patch.name, 'body.name'));
      if (patch.enabled !== undefined) this.#d.recipients.setEnabled(r.id, patch.enabled);
      if (patch.approved !== undefined) this.#d.recipients.setApproved(r.id, patch.approved);
      this.#d.audit.record(actor, 'recipient.update', `recipient:${r.id}`, { ...patch });
      return this.#d.recipients.get(r.id)!;
    })();
  }

  remove(actor: Actor, id: number): void {
    demand(actor, 'recipients.manage');
    this.#d.db.transaction(() => {
      const r = this.#changeable(id);
      if (r.userId !== null) {
        throw new PantauError(
          'CONFLICT',
          `recipient ${r.id} is user ${r.userId}'s contact point; disable it, or change the user's e-mail or Telegram identity`,
        );
      }
      this.#d.recipients.remove(r.id);
      this.#d.audit.record(actor, 'recipient.delete', `recipient:${r.id}`, {
        channel: r.channel,
        address: r.address,
      });
    })();
  }

  /** Queues a test message to one recipient, even a disabled or unapproved one; returns the message id. */
  test(actor: Actor, id: number): number {
    demand(actor, 'recipients.manage');
    const r = this.#must(id);
    if (this.#d.channels[r.channel] === undefined) {
      const setting = r.channel === 'telegram' ? 'telegram.token' : 'smtp.host';
      throw new PantauError('CONFLICT', `the ${r.channel} channel is not configured; set ${setting}`);
    }
    const event = {
      type: 'text' as const,
      at: (this.#d.now ?? systemClock)(),
      title: 'Pantau test message',
      text: `This is a test from the Pantau collector to ${r.name}. Notifications reach you here.`,
    };
    const messageId = this.#d.outbox.enqueue({
      ...messageFor(r, event, this.#d.render()),
      recipientId: r.id,
      eventType: 'test',
      incidentId: null,
    });
    this.#d.audit.record(actor, 'recipient.test', `recipient:${r.id}`, { messageId });
    return messageId;
  }

  #must(id: number): Recipient {
    const recipient = this.#d.recipients.get(id);
    if (!recipient) throw new PantauError('NOT_FOUND', `no recipient with id ${id}`);
    return recipient;
  }

  #changeable(id: number): Recipient {
    const r = this.#must(id);
    if (r.source === 'config') {
      throw new PantauError(
        'CONFLICT',
        `recipient ${r.id} comes from the config file (notify.recipients); change it there`,
      );
    }
    return r;
  }
}
