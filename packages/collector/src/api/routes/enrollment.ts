import { PantauError, parseDuration } from '@pantau/shared';
import Type from 'typebox';
import { errorBody } from '../../error-body.ts';
import type { EnrollmentCode } from '../../fleet/enrollment-repo.ts';
import { agentUrl } from '../../fleet/install-command.ts';
import { FailureLimiter } from '../../security/failure-limiter.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { HostName, Labels, Nullable, PageQuery, page, withErrors } from '../schemas.ts';

export const EnrollmentView = Type.Object({
  id: Type.Integer(),
  name: Nullable(Type.String()),
  labels: Labels,
  createdBy: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('used'), Type.Literal('expired')]),
  usedAt: Nullable(Type.Integer()),
  usedFrom: Nullable(Type.String()),
  hostId: Nullable(Type.Integer()),
});

/** Enrollment: an admin makes a short-lived code; an agent exchanges it once for its host token. */
export async function enrollmentRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { enrollment } = ctx.fleet;
  const failures = new FailureLimiter(ctx.config.enrollment.failuresPerMinute, ctx.time.now);
  const tags = ['enrollment'];
  const view = (e: EnrollmentCode, now = ctx.time.now()) => ({
    ...e,
    status:
      e.usedAt !== null
        ? ('used' as const)
        : e.expiresAt <= now
          ? ('expired' as const)
          : ('pending' as const),
  });

  app.post(
    '/enrollments',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: 'Create a single-use enrollment code for a new host; the code is in this answer only',
        body: Type.Object(
          {
            name: Type.Optional(HostName),
            labels: Type.Optional(Labels),
            ttl: Type.Optional(
              Type.String({
                description: 'how long the code is valid, e.g. 15m; default enrollment.codeTtl',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          201: Type.Object({
            enrollment: EnrollmentView,
            code: Type.String(),
            install: Type.String(),
            enroll: Type.String(),
          }),
        }),
      },
    },
    async (req, reply) => {
      let ttl: number | undefined;
      if (req.body.ttl !== undefined) {
        try {
          ttl = parseDuration(req.body.ttl);
        } catch (err) {
          throw new PantauError('VALIDATION_FAILED', `ttl: ${(err as Error).message}`);
        }
      }
      const { code, enrollment: e } = enrollment.create(actorOf(req), {
        ...(req.body.name === undefined ? {} : { name: req.body.name }),
        ...(req.body.labels === undefined ? {} : { labels: req.body.labels }),
        ...(ttl === undefined ? {} : { ttl }),
      });
      const base = ctx.publicUrl();
      return reply.code(201).send({
        enrollment: view(e),
        code,
        install: ctx.installCommand({ code }),
        enroll: `sudo pantau-agent enroll ${base} ${code}`,
      });
    },
  );

  app.get(
    '/enrollments',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: 'Enrollment codes, newest first: pending, used (by which host, from where) or expired',
        querystring: PageQuery,
        response: withErrors({ 200: page(EnrollmentView) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      // Newest first: `after` continues below that id; 0 (the default) starts at the newest.
      const items = enrollment.list(req.query.after || Number.MAX_SAFE_INTEGER, limit);
      return {
        items: items.map((e) => view(e)),
        next: items.length === limit ? (items.at(-1)?.id ?? null) : null,
      };
    },
  );

  app.delete(
    '/enrollments/:id',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: 'Revoke a pending enrollment code: it expires now and can no longer be used',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: withErrors({ 200: EnrollmentView }),
      },
    },
    async (req) => view(enrollment.revoke(actorOf(req), req.params.id)),
  );

  app.post(
    '/enroll',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Exchange an enrollment code for a new host and its agent token (no API token needed)',
        security: [],
        body: Type.Object(
          {
            code: Type.String({ minLength: 4, maxLength: 64 }),
            name: HostName,
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          201: Type.Object({
            host: Type.Object({ id: Type.Integer(), name: Type.String() }),
            token: Type.String(),
            collectorUrl: Type.String(),
          }),
        }),
      },
    },
    async (req, reply) => {
      if (failures.blocked(req.ip)) {
        return reply
          .code(429)
          .send(errorBody('RATE_LIMITED', 'too many failed enrollments from this address; wait a minute'));
      }
      try {
        const { host, token } = enrollment.redeem(req.body, req.ip);
        return reply.code(201).send({
          host: { id: host.id, name: host.name },
          token,
          collectorUrl: agentUrl(ctx.publicUrl()),
        });
      } catch (err) {
        if (err instanceof PantauError && err.code === 'UNAUTHORIZED') failures.fail(req.ip);
        throw err;
      }
    },
  );
}
