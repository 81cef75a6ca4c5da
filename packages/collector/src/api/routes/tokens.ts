import Type from 'typebox';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { ApiToken, IdParams, PageQuery, page, Role, withErrors } from '../schemas.ts';

/** API tokens: list (never their secrets), create (the secret once), revoke. */
export async function tokenRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { tokens } = ctx.access;
  const tags = ['tokens'];

  app.get(
    '/tokens',
    {
      config: { permission: 'tokens.manage' },
      schema: {
        tags,
        summary: 'List API tokens (never their secrets), optionally those of one user',
        querystring: Type.Object(
          { ...PageQuery.properties, userId: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: page(ApiToken) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = tokens.list(actorOf(req), {
        after: req.query.after ?? 0,
        limit,
        userId: req.query.userId,
      });
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );

  app.post(
    '/tokens',
    {
      config: { permission: 'tokens.manage' },
      schema: {
        tags,
        summary: "Create an API token, a user's or a service's; the secret is in this answer only",
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            role: Role,
            userId: Type.Optional(Type.Integer({ minimum: 1, description: 'the user it acts as' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Type.Object({ token: ApiToken, secret: Type.String() }) }),
      },
    },
    async (req, reply) => reply.code(201).send(tokens.create(actorOf(req), req.body)),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'tokens.manage' },
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      tokens.revoke(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
