import type { Database } from 'better-sqlite3';
import { can } from '../access/roles.ts';
import type { User, UserRepo } from '../access/user-repo.ts';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { ChannelName } from '../notify/channels/types.ts';
import type { OutboxMessageInput } from '../notify/enqueue.ts';
import { escapeHtml, formatTime } from '../notify/message.ts';
import { OutboxRepo } from '../notify/outbox-repo.ts';
import type { RecipientRepo } from '../notify/recipient-repo.ts';
import type { Recipient } from '../notify/recipients.ts';
import type { JobRepo } from './job-repo.ts';
import type { Job } from './types.ts';

export interface ApprovalRequestsDeps {
  now: Clock;
  db: Database;
  events: EventBus;
  jobs: JobRepo;
  users: UserRepo;
  recipients: RecipientRepo;
  /** The channels that are configured; others are skipped. */
  channels: () => readonly ChannelName[];
  /** Wakes the outbox after enqueueing. */
  wake: () => void;
  /** The console's address for links; '' when unknown. */
  consoleUrl: () => string;
}

/**
 * Four-eyes: when a job starts awaiting approval, whichever surface confirmed it, every active
 * user who may approve (`job.approve`) except the person who created it is asked on each of
 * their contact points: Telegram with Approve and Cancel buttons, e-mail with a console link.
 * Returns the unsubscribe function.
 */
export function approvalRequests(d: ApprovalRequestsDeps): () => void {
  const outbox = new OutboxRepo(d.db);
  return d.events.on('job.changed', ({ job }) => {
    if (job.state !== 'awaiting_approval') return;
    const creator = d.jobs.person(job.id);
    const approvers = new Map<number, User>();
    for (const user of d.users.list({ status: 'active', after: 0, limit: 100_000 })) {
      if (can(user, 'job.approve') && user.id !== creator) approvers.set(user.id, user);
    }
    const hosts = d.jobs.runs(job.id).map((r) => r.host);
    const to = d.recipients
      .approved(d.channels())
      .filter((r) => r.userId !== null && approvers.has(r.userId));
    d.db.transaction(() => {
      for (const recipient of to) {
        outbox.insert(
          {
            ...message(recipient, job, hosts, d.consoleUrl()),
            recipientId: recipient.id,
            eventType: 'job.approval',
          } as OutboxMessageInput,
          d.now(),
        );
      }
    })();
    if (to.length > 0) d.wake();
  });
}

function message(recipient: Recipient, job: Job, hosts: readonly string[], consoleUrl: string) {
  const title = `Job #${job.id} (${job.activity}) needs your approval`;
  const shown = hosts.slice(0, 20).join(', ') + (hosts.length > 20 ? ` and ${hosts.length - 20} more` : '');
  const params = JSON.stringify(job.params);
  // A Telegram message holds 4,096 characters; the console shows the parameters in full.
  const paramsShown = params.length > 500 ? `${params.slice(0, 500)}…` : params;
  const facts = [
    `${job.actorName} created and confirmed it (via ${job.surface}).`,
    `Hosts (${hosts.length}): ${shown}`,
    `Parameters: ${paramsShown}`,
    job.decideBy === null ? '' : `It expires unless approved by ${formatTime(job.decideBy)}.`,
  ].filter((line) => line !== '');
  const link = consoleUrl === '' ? '' : `${consoleUrl.replace(/\/+$/, '')}/jobs?state=awaiting_approval`;
  switch (recipient.channel) {
    case 'telegram':
      return {
        channel: 'telegram' as const,
        payload: {
          chatId: recipient.address,
          html: [`👥 <b>${escapeHtml(title)}</b>`, ...facts.map(escapeHtml)].join('\n'),
          replyMarkup: {
            inline_keyboard: [
              [
                { text: 'Approve', callback_data: `job:${job.id}:approve` },
                { text: 'Cancel', callback_data: `job:${job.id}:cancel` },
              ],
            ],
          },
        },
      };
    case 'email': {
      const how = link === '' ? 'Approve it in the console, the bot or the API.' : `Approve it at ${link}`;
      return {
        channel: 'email' as const,
        payload: {
          to: recipient.address,
          subject: title,
          text: [...facts, '', how].join('\n'),
          html: [
            `<h2>${escapeHtml(title)}</h2>`,
            ...facts.map((f) => `<p>${escapeHtml(f)}</p>`),
            link === ''
              ? `<p>${escapeHtml(how)}</p>`
              : `<p><a href="${escapeHtml(link)}">Approve in the console</a></p>`,
          ].join('\n'),
        },
      };
    }
    case 'webhook':
      return {
        channel: 'webhook' as const,
        payload: {
          url: recipient.address,
          secret: recipient.secret,
          body: JSON.stringify({ type: 'job.approval', job: { ...job, hosts } }),
        },
      };
  }
}
