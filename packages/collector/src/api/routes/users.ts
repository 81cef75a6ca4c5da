import Type from 'typebox';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import {
  IdParams,
  Nullable,
  PageQuery,
  Password,
  page,
  Role,
  User,
  UserStatus,
  withErrors,
} from '../schemas.ts';

/** People: list, add, approve or reject applicants, roles, disable/enable, passwords, remove. */
export async function userRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { users } = ctx.access;
  const tags = ['users'];
  const one = { params: IdParams, response: withErrors({ 200: User }) };

  app.get(
    '/users',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: 'List users, optionally only those with one status (e.g. pending applicants)',
        querystring: Type.Object(
          { ...PageQuery.properties, status: Type.Optional(UserStatus) },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: page(User) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = users.list(actorOf(req), {
        status: req.query.status,
        after: req.query.after ?? 0,
        limit,
      });
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );

  app.get(
    '/users/:id',
    { config: { permission: 'users.manage' }, schema: { tags, summary: 'One user', ...one } },
    async (req) => users.get(actorOf(req), req.params.id),
  );

  app.post(
    '/users',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: 'Add an active user, optionally with a web login password',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            email: Type.Optional(Type.String({ format: 'email', maxLength: 256 })),
            role: Role,
            password: Type.Optional(Password),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: User }),
      },
    },
    async (req, reply) => reply.code(201).send(await users.create(actorOf(req), req.body)),
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: "Change a user's role or e-mail (a user's tokens never act above the user's role)",
        params: IdParams,
        body: Type.Object(
          {
            email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 256 }))),
            role: Type.Optional(Role),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: withErrors({ 200: User }),
      },
    },
    async (req) => users.update(actorOf(req), req.params.id, req.body),
  );

  app.post(
    '/users/:id/approve',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: 'Approve a pending applicant with a role; they start getting alerts',
        params: IdParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: withErrors({ 200: User }),
      },
    },
    async (req) => users.approve(actorOf(req), req.params.id, req.body.role),
  );

  app.post(
    '/users/:id/reject',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: 'Reject a pending applicant (they may apply again after the cooldown)',
        ...one,
      },
    },
    async (req) => users.reject(actorOf(req), req.params.id),
  );

  app.post(
    '/users/:id/disable',
    {
      config: { permission: 'users.manage' },
      schema: { tags, summary: 'Disable a user: their tokens and sessions stop working at once', ...one },
    },
    async (req) => users.disable(actorOf(req), req.params.id),
  );

  app.post(
    '/users/:id/enable',
    { config: { permission: 'users.manage' }, schema: { tags, summary: 'Enable a disabled user', ...one } },
    async (req) => users.enable(actorOf(req), req.params.id),
  );

  app.put(
    '/users/:id/password',
    {
      // Anybody may set their own password; setting another's needs users.manage (checked by the command).
      config: { permission: 'account.read' },
      schema: {
        tags,
        summary: 'Set the web login password (your own, or anybody as an admin); at least 10 characters',
        params: IdParams,
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await users.setPassword(actorOf(req), req.params.id, req.body.password);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags,
        summary: 'Remove a user with their tokens and identities (their audit entries stay)',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      users.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
