import { nameProblem, PantauError } from '@pantau/shared';
import Type from 'typebox';
import { CHANNEL_NAMES, type ChannelName } from './channels/types.ts';

/** Where a recipient came from: config (replaced at each start), the API, the Telegram bot, or a user's identity. */
export type RecipientSource = 'config' | 'api' | 'bot' | 'user';

/**
 * One destination on one channel: a Telegram chat, an e-mail address or a webhook URL. With a
 * `userId` it is that user's contact point and gets messages while the user is active; without
 * one it is a standalone sink (webhook, group chat, shared mailbox) that needs `approved`.
 */
export interface Recipient {
  id: number;
  userId: number | null;
  name: string;
  channel: ChannelName;
  /** Telegram chat id, e-mail address or webhook URL. */
  address: string;
  /** Webhook HMAC key; null elsewhere (or for an unsigned webhook). */
  secret: string | null;
  enabled: boolean;
  approved: boolean;
  source: RecipientSource;
  createdAt: number;
}

export interface RecipientInput {
  name: string;
  channel: ChannelName;
  address: string;
  secret?: string | null;
  /** Default true. */
  enabled?: boolean;
  /** Default false for the bot, true otherwise (config and API entries come from an admin). */
  approved?: boolean;
  /** Default "api". */
  source?: RecipientSource;
}

/** The `notify.recipients` option: standalone sinks from config (config/ composes it). */
export const RecipientsInput = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 128 }),
      channel: Type.Union([Type.Literal('telegram'), Type.Literal('email'), Type.Literal('webhook')]),
      address: Type.String({ minLength: 1, maxLength: 2048 }),
      secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
      enabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  { maxItems: 1000 },
);

const TELEGRAM_CHAT = /^(?:-?\d{1,20}|@[A-Za-z]\w{3,31})$/;
const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** Checks an address for its channel; throws VALIDATION_FAILED with a message saying what to change. */
export function validateRecipient(input: RecipientInput): void {
  const fail = (message: string): never => {
    throw new PantauError('VALIDATION_FAILED', message, { details: { channel: input.channel } });
  };
  if (!CHANNEL_NAMES.includes(input.channel)) {
    fail(
      `recipient channel ${JSON.stringify(input.channel)} is unknown; use one of ${CHANNEL_NAMES.join(', ')}`,
    );
  }
  const problem = nameProblem(input.name.trim());
  if (problem) fail(`recipient name ${problem}; give it a name people recognise`);
  switch (input.channel) {
    case 'telegram':
      if (!TELEGRAM_CHAT.test(input.address)) {
        fail(
          `Telegram chat ${JSON.stringify(input.address)} is invalid; use the numeric chat id or @channelname`,
        );
      }
      break;
    case 'email':
      if (!EMAIL.test(input.address)) fail(`e-mail address ${JSON.stringify(input.address)} is invalid`);
      break;
    case 'webhook': {
      let url: URL | undefined;
      try {
        url = new URL(input.address);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        fail(`webhook URL ${JSON.stringify(input.address)} is invalid; use an http:// or https:// URL`);
      }
      if (input.secret !== undefined && input.secret !== null && input.secret.length < 16) {
        fail('webhook secret is shorter than 16 characters; use a long random string');
      }
      break;
    }
  }
}

/** What to set so a channel can send; a recipient on an unset channel would never hear anything. */
export const CHANNEL_SETTING: Partial<Record<ChannelName, string>> = {
  telegram: 'telegram.token (PANTAU_TELEGRAM_TOKEN or PANTAU_TELEGRAM_TOKEN_FILE)',
};
