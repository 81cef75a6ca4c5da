import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import type { ApiContext, TypedApp } from '../context.ts';
import { ApiToken, IdParams, PageQuery, page, Role, User, withErrors } from '../schemas.ts';

/** Users and API tokens (admin), and who-am-I for any token. Every change goes to the audit log. */
export async function accessRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store } = ctx;
  const next = <T extends { id: number }>(items: T[], limit: number) =>
    items.length === limit ? items.at(-1)!.id : null;

  app.get(
    '/auth/whoami',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: 'The role and identity of the calling token',
        response: withErrors({
          200: Type.Object({
            role: Role,
            actor: Type.String(),
            tokenId: Type.Union([Type.Integer(), Type.Null()]),
          }),
        }),
      },
    },
    async (req) => req.principal!,
  );

  app.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'List users',
        querystring: PageQuery,
        response: withErrors({ 200: page(User) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = store.access.users(req.query.after ?? 0, limit);
      return { items, next: next(items, limit) };
    },
  );

  app.post(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Add a user',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            email: Type.Optional(Type.String({ format: 'email', maxLength: 256 })),
            role: Role,
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: User }),
      },
    },
    async (req, reply) => {
      if (store.access.userByName(req.body.name)) {
        throw new PantauError('CONFLICT', `a user named ${req.body.name} exists already`);
      }
      const user = store.access.addUser(req.body.name, req.body.email ?? null, req.body.role);
      store.audit.record(req.principal!.actor, 'user.create', `user:${user.id}`, { role: user.role });
      return reply.code(201).send(user);
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['users'],
        summary: "Change a user's role or e-mail (a lowered role also lowers the user's tokens)",
        params: IdParams,
        body: Type.Object(
          {
            email: Type.Optional(Type.Union([Type.String({ format: 'email' }), Type.Null()])),
            role: Type.Optional(Role),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: withErrors({ 200: User }),
      },
    },
    async (req) => {
      const user = store.access.user(req.params.id);
      if (!user) throw new PantauError('NOT_FOUND', `no user with id ${req.params.id}`);
      const role = req.body.role ?? user.role;
      const email = req.body.email === undefined ? user.email : req.body.email;
      const updated = store.access.updateUser(user.id, email, role)!;
      if (role !== user.role) {
        store.audit.record(req.principal!.actor, 'user.role', `user:${user.id}`, {
          from: user.role,
          to: role,
        });
      }
      return updated;
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Delete a user and their tokens',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      if (!store.access.deleteUser(req.params.id))
        throw new PantauError('NOT_FOUND', `no user with id ${req.params.id}`);
      store.audit.record(req.principal!.actor, 'user.delete', `user:${req.params.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'List API tokens (never their secrets)',
        querystring: PageQuery,
        response: withErrors({ 200: page(ApiToken) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = store.access.tokens(req.query.after ?? 0, limit);
      return { items, next: next(items, limit) };
    },
  );

  app.post(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the secret is in this answer only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            role: Role,
            userId: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Type.Object({ token: ApiToken, secret: Type.String() }) }),
      },
    },
    async (req, reply) => {
      if (req.body.userId !== undefined) {
        const user = store.access.user(req.body.userId);
        if (!user) throw new PantauError('NOT_FOUND', `no user with id ${req.body.userId}`);
        const rank = ['viewer', 'operator', 'admin'];
        if (rank.indexOf(req.body.role) > rank.indexOf(user.role)) {
          throw new PantauError(
            'VALIDATION_FAILED',
            `a token cannot outrank its user (${user.name} is ${user.role})`,
          );
        }
      }
      const created = store.access.createToken(req.body.name, req.body.role, req.body.userId ?? null);
      store.audit.record(req.principal!.actor, 'token.create', `token:${created.token.id}`, {
        role: created.token.role,
        name: created.token.name,
      });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      if (!store.access.revokeToken(req.params.id)) {
        throw new PantauError('NOT_FOUND', `no live token with id ${req.params.id}`);
      }
      store.audit.record(req.principal!.actor, 'token.revoke', `token:${req.params.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Audit log, newest first',
        querystring: Type.Object(
          {
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'continue below this id' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.Integer(),
                actor: Type.String(),
                action: Type.String(),
                target: Type.Union([Type.String(), Type.Null()]),
                details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
              }),
            ),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = store.audit.list(req.query.before ?? Number.MAX_SAFE_INTEGER, limit);
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );
}
