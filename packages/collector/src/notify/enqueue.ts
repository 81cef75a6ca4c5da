import type { ChannelName, PayloadByChannel } from './channels/types.ts';

/** One message for one destination on one channel, already rendered. */
export type OutboxMessageInput = {
  [C in ChannelName]: {
    channel: C;
    payload: PayloadByChannel[C];
    /** Messages with the same key go out one at a time, in enqueue order. Default `<channel>:<destination>`. */
    recipientKey?: string;
    recipientId?: number | null;
    /** What the message is about, for listing and tracing: "opened", "recovered", ... */
    eventType?: string | null;
    incidentId?: number | null;
  };
}[ChannelName];

/** Where a payload goes: chat id, e-mail address or URL. */
export function destinationOf(message: OutboxMessageInput): string {
  switch (message.channel) {
    case 'telegram':
      return message.payload.chatId;
    case 'email':
      return message.payload.to.toLowerCase();
    case 'webhook':
      return message.payload.url;
  }
}

export function recipientKeyOf(message: OutboxMessageInput): string {
  return message.recipientKey ?? `${message.channel}:${destinationOf(message)}`;
}
