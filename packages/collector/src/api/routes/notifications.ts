import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import type { OutboxMessage } from '../../notify/outbox.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, Nullable, page, withErrors } from '../schemas.ts';

const Status = Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('dead')]);

const MessageItem = Type.Object({
  id: Type.Integer(),
  channel: Type.Union([Type.Literal('telegram'), Type.Literal('email'), Type.Literal('webhook')]),
  recipientId: Nullable(Type.Integer()),
  recipientKey: Type.String({
    description: '<channel>:<destination>; messages with one key go out in order',
  }),
  eventType: Nullable(Type.String({ description: 'opened, reminder, acknowledged, recovered, text, test' })),
  incidentId: Nullable(Type.Integer()),
  status: Status,
  attempts: Type.Integer({ description: 'delivery attempts so far' }),
  createdAt: Type.Integer(),
  nextAttemptAt: Type.Integer(),
  doneAt: Nullable(Type.Integer({ description: 'when it was delivered or given up' })),
  lastError: Nullable(Type.String()),
  providerRef: Nullable(Type.String({ description: "the far end's id for it, e.g. Telegram's message_id" })),
});

const MessageDetail = Type.Object({
  ...MessageItem.properties,
  payload: Type.Unknown({
    description: 'what is sent, as rendered for the channel (webhook secrets left out)',
  }),
  deliveryAttempts: Type.Array(
    Type.Object({
      at: Type.Integer(),
      durationMs: Type.Integer(),
      outcome: Type.Union([
        Type.Literal('sent'),
        Type.Literal('retry'),
        Type.Literal('wait'),
        Type.Literal('dead'),
      ]),
      error: Nullable(Type.String()),
      retryAfterMs: Nullable(Type.Integer()),
    }),
  ),
});

/** The notification outbox (admin): recent messages and every delivery attempt of one. */
export async function notificationRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { outbox } = ctx.alerting;
  const tags = ['notifications'];

  const item = (m: OutboxMessage) => ({
    id: m.id,
    channel: m.channel,
    recipientId: m.recipientId,
    recipientKey: m.recipientKey,
    eventType: m.eventType,
    incidentId: m.incidentId,
    status: m.status,
    attempts: m.attempts,
    createdAt: m.createdAt,
    nextAttemptAt: m.nextAttemptAt,
    doneAt: m.doneAt,
    lastError: m.lastError,
    providerRef: m.providerRef,
  });

  app.get(
    '/notifications',
    {
      config: { permission: 'notifications.read' },
      schema: {
        tags,
        summary: 'Recent outbox messages, newest first, with status, attempts and the last error',
        querystring: Type.Object(
          {
            status: Type.Optional(Status),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            before: Type.Optional(
              Type.Integer({ minimum: 1, description: 'continue with messages older than this id' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: page(MessageItem) }),
      },
    },
    async (req) => {
      const { status, before } = req.query;
      const limit = req.query.limit ?? 100;
      const found = outbox.messages({ ...(status ? { status } : {}), ...(before ? { before } : {}), limit });
      return { items: found.map(item), next: found.length === limit ? found.at(-1)!.id : null };
    },
  );

  app.get(
    '/notifications/:id',
    {
      config: { permission: 'notifications.read' },
      schema: {
        tags,
        summary: 'One outbox message with its payload and every delivery attempt',
        params: IdParams,
        response: withErrors({ 200: MessageDetail }),
      },
    },
    async (req) => {
      const m = outbox.message(req.params.id);
      if (!m) throw new PantauError('NOT_FOUND', `no notification with id ${req.params.id}`);
      return {
        ...item(m),
        payload: withoutSecret(m.payload),
        deliveryAttempts: outbox.attempts(m.id).map(({ at, durationMs, outcome, error, retryAfterMs }) => ({
          at,
          durationMs,
          outcome,
          error,
          retryAfterMs,
        })),
      };
    },
  );
}

/** Webhook payloads carry the HMAC key; say whether it is signed instead. */
function withoutSecret(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('secret' in payload)) return payload;
  const { secret, ...rest } = payload as { secret: unknown };
  return { ...rest, signed: secret !== null };
}
