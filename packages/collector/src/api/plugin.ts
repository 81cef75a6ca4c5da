import { installAuth } from './auth.ts';
import type { ApiContext, TypedApp } from './context.ts';
import { accessRoutes } from './routes/access.ts';
import { dataRoutes } from './routes/data.ts';
import { healthRoutes } from './routes/health.ts';
import { hostRoutes } from './routes/hosts.ts';
import { prometheusRoutes } from './routes/prometheus.ts';

export const API_PREFIX = '/api/v1';

/** Every HTTP route of the collector, behind the one auth hook; each group in its own file. */
export async function apiPlugin(app: TypedApp, ctx: ApiContext): Promise<void> {
  installAuth(app, {
    access: ctx.store.access,
    adminToken: ctx.config.adminToken,
    failuresPerMinute: ctx.config.api.authFailuresPerMinute,
  });
  await app.register(healthRoutes, ctx);
  await app.register(prometheusRoutes, ctx);
  await app.register(hostRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(dataRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(accessRoutes, { ...ctx, prefix: API_PREFIX });
  app.get(`${API_PREFIX}/openapi.json`, { config: { role: 'public' }, schema: { hide: true } }, async () =>
    (app as unknown as { swagger(): unknown }).swagger(),
  );
}
