import Type from 'typebox';
import { ReadinessProbe } from '../../store/readiness.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { withErrors } from '../schemas.ts';

/** /healthz: the process answers. /readyz: the database answers and we are not shutting down. */
export async function healthRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const database = new ReadinessProbe(ctx.store.db);
  app.get(
    '/healthz',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness (no auth)',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable, not shutting down (no auth)',
        response: withErrors({
          200: Type.Object({
            status: Type.Literal('ready'),
            agents: Type.Integer(),
            schemaVersion: Type.Integer(),
          }),
        }),
      },
    },
    async (_req, reply) => {
      if (ctx.gateway.closing) {
        return reply
          .code(503)
          .send({ error: { code: 'SHUTTING_DOWN', message: 'collector is shutting down' } });
      }
      database.check();
      return {
        status: 'ready' as const,
        agents: ctx.gateway.connected,
        schemaVersion: ctx.store.migrated.current,
      };
    },
  );
}
