import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel, EmailPayload, SendContext, SendResult } from './types.ts';
import { describeError } from './types.ts';

export interface EmailChannelOptions {
  /** SMTP server host name. */
  host: string;
  /** SMTP port. Default 587 (submission with STARTTLS); 465 with `secure: true`. */
  port?: number;
  /** TLS from the first byte (port 465). Default false: plain connection upgraded with STARTTLS. */
  secure?: boolean;
  /** Refuse to send when the server does not offer STARTTLS. Default true. */
  requireTls?: boolean;
  /** SMTP AUTH credentials. Default: no AUTH. */
  auth?: { user: string; pass: string };
  /** Sender address, e.g. "Pantau <pantau@example.com>". */
  from: string;
  /** Connection, greeting and socket timeout (ms). Default 15000. */
  timeoutMs?: number;
  /** Passed to TLS; set `rejectUnauthorized: false` only for a server with a self-signed certificate. */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/** Sends plain-text + HTML mail over SMTP with nodemailer, one connection per message. */
export class EmailChannel implements Channel<'email'> {
  readonly name = 'email';
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(options: EmailChannelOptions) {
    const timeout = options.timeoutMs ?? 15_000;
    this.#from = options.from;
    this.#transport = nodemailer.createTransport({
      host: options.host,
      port: options.port ?? 587,
      secure: options.secure ?? false,
      requireTLS: options.requireTls ?? true,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
  }

  async send(payload: EmailPayload, context: SendContext): Promise<SendResult> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to: payload.to,
        subject: payload.subject,
        text: payload.text,
        html: payload.html,
        headers: { 'X-Pantau-Message-Id': String(context.messageId) },
      });
      return { outcome: 'sent', ref: String(info.messageId) };
    } catch (error) {
      return classifySmtpError(error);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/**
 * SMTP 4xx replies and network errors are temporary; 5xx replies (unknown mailbox, rejected
 * content) and authentication failures cannot succeed by retrying the same message.
 */
export function classifySmtpError(error: unknown): SendResult {
  const { responseCode, code } = error as { responseCode?: unknown; code?: unknown };
  const message = describeError(error);
  if (typeof responseCode === 'number' && responseCode >= 500)
    return { outcome: 'permanent', error: message };
  if (typeof responseCode === 'number' && responseCode >= 400) return { outcome: 'retry', error: message };
  if (code === 'EAUTH' || code === 'EENVELOPE') return { outcome: 'permanent', error: message };
  return { outcome: 'retry', error: message };
}
