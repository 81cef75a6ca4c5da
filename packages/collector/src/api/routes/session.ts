import Type from 'typebox';
import type { Actor } from '../../access/actor.ts';
import { can, PERMISSIONS, type Permission } from '../../access/roles.ts';
import { clearSessionCookie, setSessionCookie } from '../../session/cookie.ts';
import { bindCsrfSecret, csrfToken } from '../../session/csrf.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { IdParams, Nullable, Role, withErrors } from '../schemas.ts';

export const SessionInfo = Type.Object({
  user: Type.Object({ id: Nullable(Type.Integer()), name: Type.String(), role: Role }),
  permissions: Type.Array(Type.String(), { description: 'what this caller may do (access/roles.ts)' }),
  csrfToken: Nullable(
    Type.String({ description: 'send as X-CSRF-Token on every POST/PATCH/PUT/DELETE made with the cookie' }),
  ),
  expiresAt: Nullable(Type.Integer({ description: 'absolute end of the session, ms since the epoch' })),
});

const permissionsOf = (actor: Actor) =>
  (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(actor, p));

/** Console sign-in: name and password for a session cookie; who am I; sign out. */
export async function sessionRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const tags = ['console'];
  const secure = (protocol: string) => protocol === 'https';

  app.post(
    '/session',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary:
          'Sign in with name and password: sets an HttpOnly SameSite=Strict session cookie and returns the CSRF token',
        security: [],
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: SessionInfo }),
      },
    },
    async (req, reply) => {
      const result = await ctx.sessions.login(req.body.name, req.body.password, {
        address: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
      });
      reply.header(
        'set-cookie',
        setSessionCookie(result.token, ctx.config.web.sessionMax, secure(req.protocol)),
      );
      bindCsrfSecret(req, result.csrfSecret);
      const actor = ctx.access.users.actorFor(result.user.id, 'web')!;
      return {
        user: { id: result.user.id, name: actor.name, role: actor.role },
        permissions: permissionsOf(actor),
        csrfToken: csrfToken(reply),
        expiresAt: result.expiresAt,
      };
    },
  );

  app.get(
    '/session',
    {
      config: { permission: 'account.read' },
      schema: {
        tags,
        summary: 'Who is signed in (session cookie or bearer token), what they may do, and the CSRF token',
        response: withErrors({ 200: SessionInfo }),
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      return {
        user: { id: p.userId, name: p.name, role: p.role },
        permissions: permissionsOf(p.caller),
        csrfToken: csrfToken(reply),
        expiresAt: req.webSession?.expiresAt ?? null,
      };
    },
  );

  app.post(
    '/users/:id/password-link',
    {
      config: { permission: 'account.read' },
      schema: {
        tags,
        summary: 'A one-time link (1 h) to set the web password: for oneself, or anybody as an admin',
        params: IdParams,
        response: withErrors({ 201: Type.Object({ url: Type.String(), expiresAt: Type.Integer() }) }),
      },
    },
    async (req, reply) =>
      reply.code(201).send(ctx.passwordLinks.create(req.principal!.caller, req.params.id)),
  );

  app.post(
    '/password-link',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Set a password with a one-time link token (the part after # in the link)',
        security: [],
        body: Type.Object(
          {
            token: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.String({ maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ name: Type.String() }) }),
      },
    },
    async (req) => ctx.passwordLinks.use(req.body.token, req.body.password),
  );

  app.delete(
    '/session',
    {
      config: { permission: 'account.read' },
      schema: {
        tags,
        summary: 'Sign out: ends the session at once and clears the cookie',
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      if (req.webSession) {
        ctx.sessions.logout(req.webSession);
        ctx.store.audit.record(req.principal!.caller, 'session.logout', `session:${req.webSession.id}`);
      }
      return reply
        .header('set-cookie', clearSessionCookie(secure(req.protocol)))
        .code(204)
        .send(null);
    },
  );
}
