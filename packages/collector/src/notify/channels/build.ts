import { hostname } from 'node:os';
import { EmailChannel } from './email.ts';
import { TelegramChannel } from './telegram.ts';
import type { Channels } from './types.ts';
import { WebhookChannel } from './webhook.ts';

/** The `smtp` section of the collector's config (config/ composes it). */
export interface SmtpConfig {
  /** SMTP server; e-mail is off without it. Default none. */
  host: string | null;
  /** Default 587. */
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS. Default false. */
  secure: boolean;
  /** Refuse to send without STARTTLS. Default true. */
  requireTls: boolean;
  /** SMTP AUTH user. Default none. */
  user: string | null;
  /** SMTP AUTH password (secret: prefer `smtp.passwordFile`). Default none. */
  password: string | null;
  /** Sender address. Default `pantau@<hostname>`. */
  from: string | null;
  /** Accept a self-signed server certificate. Default false. */
  tlsInsecure: boolean;
}

/** What the channels read from the collector's config. */
export interface ChannelConfig {
  telegram: { token: string | null; apiRoot: string | null };
  smtp: SmtpConfig;
}

/** The channels the config enables: webhooks always, Telegram with a bot token, e-mail with an SMTP host. */
export function buildChannels(config: Readonly<ChannelConfig>): Channels {
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
