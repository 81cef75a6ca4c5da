import { migration as notifyMigration } from '../store/migrations/100-notify.ts';
import { migration as contactsMigration } from '../store/migrations/101-contacts.ts';

/** The notification schema's migrations (contact points need the core's users, migration 2). */
export const notifyMigrations = [notifyMigration, contactsMigration] as const;

export { EmailChannel, type EmailChannelOptions } from './channels/email.ts';
export { TelegramChannel, type TelegramChannelOptions } from './channels/telegram.ts';
export * from './channels/types.ts';
export {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
  WebhookChannel,
  type WebhookChannelOptions,
} from './channels/webhook.ts';
export { destinationOf, type OutboxMessageInput } from './enqueue.ts';
export { type NotifyAllOptions, notifyAll } from './fanout.ts';
export * from './message.ts';
export * from './outbox.ts';
export { DEFAULT_RATE_LIMITS, type RateLimit } from './rate-limit.ts';
export * from './recipients.ts';
