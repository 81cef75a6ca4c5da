import { migration as notifyMigration } from '../store/migrations/100-notify.ts';

/** The notification schema's migrations, for the collector's migration runner. */
export const notifyMigrations = [notifyMigration] as const;

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
export { destinationOf, enqueue, type OutboxMessageInput } from './enqueue.ts';
export { type NotifyAllOptions, notifyAll } from './fanout.ts';
export * from './message.ts';
export * from './outbox.ts';
export { DEFAULT_RATE_LIMITS, type RateLimit } from './rate-limit.ts';
export * from './recipients.ts';
