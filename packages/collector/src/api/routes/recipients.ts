import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import { messageFor } from '../../notify/fanout.ts';
import {
  getRecipient,
  listRecipients,
  type Recipient,
  removeRecipient,
  upsertRecipient,
  validateRecipient,
} from '../../notify/recipients.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, withErrors } from '../schemas.ts';

const Channel = Type.Union([Type.Literal('telegram'), Type.Literal('email'), Type.Literal('webhook')]);
const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });

const RecipientItem = Type.Object({
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

/** Notification recipients (admin): list, add, change, remove, and send one a test message. */
export async function recipientRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store, alerting, config } = ctx;
  const db = store.db;
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
  const mustGet = (id: number) => {
    const recipient = getRecipient(db, id);
    if (!recipient) throw new PantauError('NOT_FOUND', `no recipient with id ${id}`);
    return recipient;
  };
  const mustChange = (r: Recipient) => {
    if (r.source === 'config') {
      throw new PantauError(
        'CONFLICT',
        `recipient ${r.id} comes from the config file (notify.recipients); change it there`,
      );
    }
    return r;
  };

  app.get(
    '/recipients',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: 'Everyone who can get notifications, on every channel',
        response: withErrors({ 200: Type.Object({ items: Type.Array(RecipientItem) }) }),
      },
    },
    async () => ({ items: listRecipients(db).map(view) }),
  );

  app.post(
    '/recipients',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: 'Add a recipient (approved unless told otherwise)',
        body: CreateBody,
        response: withErrors({ 201: RecipientItem }),
      },
    },
    async (req, reply) => {
      const { channel, name, address, secret, enabled, approved } = req.body;
      if (secret !== undefined && channel !== 'webhook') {
        throw new PantauError('VALIDATION_FAILED', 'body.secret is only for webhook recipients');
      }
      const input = {
        channel,
        name,
        address,
        secret: secret ?? null,
        enabled,
        approved,
        source: 'api' as const,
      };
      try {
        validateRecipient(input);
      } catch (err) {
        // The name and the secret are checked by the schema, so what is left is the address.
        if (err instanceof PantauError) throw new PantauError(err.code, `body.address: ${err.message}`);
        throw err;
      }
      const same = channel === 'email' ? address.toLowerCase() : address;
      const existing = listRecipients(db).find((r) => r.channel === channel && r.address === same);
      if (existing) {
        throw new PantauError('CONFLICT', `recipient ${existing.id} has this ${channel} address already`);
      }
      const recipient = upsertRecipient(db, input);
      store.audit.record(actorOf(req), 'recipient.create', `recipient:${recipient.id}`, {
        channel,
        name,
        address: recipient.address,
      });
      return reply.code(201).send(view(recipient));
    },
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
    async (req) => {
      const r = mustChange(mustGet(req.params.id));
      const updated = upsertRecipient(db, {
        channel: r.channel,
        address: r.address,
        secret: r.secret,
        source: r.source,
        name: req.body.name ?? r.name,
        enabled: req.body.enabled ?? r.enabled,
        approved: req.body.approved ?? r.approved,
      });
      store.audit.record(actorOf(req), 'recipient.update', `recipient:${r.id}`, { ...req.body });
      return view(updated);
    },
  );

  app.delete(
    '/recipients/:id',
    {
      config: { permission: 'recipients.manage' },
      schema: {
        tags,
        summary: 'Remove a recipient; messages already queued for it are still delivered',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const r = mustChange(mustGet(req.params.id));
      if (r.userId !== null) {
        throw new PantauError(
          'CONFLICT',
          `recipient ${r.id} is user ${r.userId}'s contact point; disable it, or change the user's e-mail or Telegram identity`,
        );
      }
      removeRecipient(db, r.id);
      store.audit.record(actorOf(req), 'recipient.delete', `recipient:${r.id}`, {
        channel: r.channel,
        address: r.address,
      });
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
    async (req, reply) => {
      const r = mustGet(req.params.id);
      if (alerting.channels[r.channel] === undefined) {
        const setting = r.channel === 'telegram' ? 'telegram.token' : 'smtp.host';
        throw new PantauError('CONFLICT', `the ${r.channel} channel is not configured; set ${setting}`);
      }
      const now = Date.now();
      const event = {
        type: 'text' as const,
        at: now,
        title: 'Pantau test message',
        text: `This is a test from the Pantau collector to ${r.name}. Notifications reach you here.`,
      };
      const render = config.publicUrl ? { consoleUrl: config.publicUrl } : {};
      const messageId = alerting.outbox.enqueue({
        ...messageFor(r, event, render),
        recipientId: r.id,
        eventType: 'test',
        incidentId: null,
      });
      store.audit.record(actorOf(req), 'recipient.test', `recipient:${r.id}`, { messageId });
      return reply.code(202).send({ messageId });
    },
  );
}
