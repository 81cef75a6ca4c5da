import Type from 'typebox';
import type { Recipient } from '../../notify/recipients.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, withErrors } from '../schemas.ts';

const Channel = Type.Union([Type.Literal('telegram'), Type.Literal('email'), Type.Literal('webhook')]);
const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });

export const RecipientItem = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  channel: Channel,
  address: Type.String({ description: 'Telegram chat id or @channel, e-mail address, or webhook URL' }),
  hasSecret: Type.Boolean({ description: 'a webhook with an HMAC key (the key itself is never returned)' }),
  enabled: Type.Boolean(),
  approved: Type.Boolean(),
  userId: Type.Union([Type.Integer(), Type.Null()], {
    description:
      'the user whose contact point this is (their Telegram chat or e-mail); null for a standalone sink',
  }),
  source: Type.Union(
    [Type.Literal('config'), Type.Literal('api'), Type.Literal('bot'), Type.Literal('user')],
    {
      description: 'config recipients are read-only here; user contact points follow the user',
    },
  ),
  createdAt: Type.Integer(),
});

const CreateBody = Type.Object(
  {
    channel: Channel,
    name: Name,
    address: Type.String({ minLength: 1, maxLength: 2048 }),
    secret: Type.Optional(
      Type.String({ minLength: 16, maxLength: 256, description: 'webhooks only: HMAC-SHA256 key' }),
    ),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    approved: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    enabled: Type.Optional(Type.Boolean()),
    approved: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Notification recipients (admin): list, add sinks, change, remove, and send one a test message. */
export async function recipientRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { recipients } = ctx.alerting.commands;
  const tags = ['recipients'];

  const view = (r: Recipient) => ({
    id: r.id,
    name: r.name,
    channel: r.channel,
    address: r.address,
    hasSecret: r.secret !== null,
    enabled: r.enabled,
    approved: r.approved,
    userId: r.userId,
    source: r.source,
    createdAt: r.createdAt,
  });

  app.get(
    '/recipients',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: "Everyone who can get notifications: users' contact points and standalone sinks",
        response: withErrors({ 200: Type.Object({ items: Type.Array(RecipientItem) }) }),
      },
    },
    async (req) => ({ items: recipients.list(actorOf(req)).map(view) }),
  );

  app.post(
    '/recipients',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary:
          'Add a standalone sink: a webhook, a group chat, a shared mailbox (approved unless told otherwise)',
        body: CreateBody,
        response: withErrors({ 201: RecipientItem }),
      },
    },
    async (req, reply) => reply.code(201).send(view(recipients.create(actorOf(req), req.body))),
  );

  app.patch(
    '/recipients/:id',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: 'Rename, enable or disable, approve or withdraw approval',
        params: IdParams,
        body: PatchBody,
        response: withErrors({ 200: RecipientItem }),
      },
    },
    async (req) => view(recipients.update(actorOf(req), req.params.id, req.body)),
  );

  app.delete(
    '/recipients/:id',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary:
          "Remove a sink (a user's contact point goes with their identity); queued messages are still delivered",
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      recipients.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/recipients/:id/test',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: 'Queue a test message to this one recipient (even if disabled or not yet approved)',
        params: IdParams,
        response: withErrors({
          202: Type.Object({
            messageId: Type.Integer({ description: 'follow it at GET /api/v1/notifications/{messageId}' }),
          }),
        }),
      },
    },
    async (req, reply) => reply.code(202).send({ messageId: recipients.test(actorOf(req), req.params.id) }),
  );
}
