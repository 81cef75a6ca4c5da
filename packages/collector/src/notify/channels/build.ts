import { hostname } from 'node:os';
import type { CollectorConfig } from '../../config/index.ts';
import { EmailChannel } from './email.ts';
import { TelegramChannel } from './telegram.ts';
import type { Channels } from './types.ts';
import { WebhookChannel } from './webhook.ts';

/** The channels the config enables: webhooks always, Telegram with a bot token, e-mail with an SMTP host. */
export function buildChannels(config: Readonly<CollectorConfig>): Channels {
  const channels: Channels = { webhook: new WebhookChannel() };
  if (config.telegram.token) {
    channels.telegram = new TelegramChannel({
      token: config.telegram.token,
      ...(config.telegram.apiRoot ? { apiRoot: config.telegram.apiRoot } : {}),
    });
  }
  if (config.smtp.host) {
    channels.email = new EmailChannel({
      host: config.smtp.host,
      port: config.smtp.port,
      secure: config.smtp.secure,
      requireTls: config.smtp.requireTls,
      from: config.smtp.from ?? `pantau@${hostname()}`,
      ...(config.smtp.user && config.smtp.password
        ? { auth: { user: config.smtp.user, pass: config.smtp.password } }
        : {}),
      ...(config.smtp.tlsInsecure ? { tls: { rejectUnauthorized: false } } : {}),
    });
  }
  return channels;
}
