import { installCsrf } from '../session/csrf.ts';
import { installAuth } from './auth.ts';
import type { ApiContext, TypedApp } from './context.ts';
import { activityRoutes } from './routes/activities.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { dataRoutes } from './routes/data.ts';
import { enrollmentRoutes } from './routes/enrollment.ts';
import { healthRoutes } from './routes/health.ts';
import { hostRoutes } from './routes/hosts.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { installRoutes } from './routes/install.ts';
import { jobEventRoutes } from './routes/job-events.ts';
import { jobReportRoutes } from './routes/job-reports.ts';
import { jobRoutes } from './routes/jobs.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { prometheusRoutes } from './routes/prometheus.ts';
import { recipientRoutes } from './routes/recipients.ts';
import { ruleRoutes } from './routes/rules.ts';
import { sessionRoutes } from './routes/session.ts';
import { silenceRoutes } from './routes/silences.ts';
import { streamRoutes } from './routes/stream.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';

export const API_PREFIX = '/api/v1';

/** Every HTTP route of the collector, behind the one auth hook; each group in its own file. */
export async function apiPlugin(app: TypedApp, ctx: ApiContext): Promise<void> {
  await installCsrf(app);
  installAuth(app, {
    auth: ctx.access.auth,
    audit: ctx.store.audit,
    failuresPerMinute: ctx.config.api.authFailuresPerMinute,
    sessions: ctx.sessions,
  });
  await app.register(healthRoutes, ctx);
  await app.register(prometheusRoutes, ctx);
  await app.register(installRoutes, ctx);
  await app.register(hostRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(dataRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(authRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(userRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(tokenRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(auditRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(incidentRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(silenceRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(ruleRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(recipientRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(notificationRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(streamRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(sessionRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(activityRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(jobRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(jobReportRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(jobEventRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(enrollmentRoutes, { ...ctx, prefix: API_PREFIX });
  app.get(
    `${API_PREFIX}/openapi.json`,
    { config: { permission: 'public' }, schema: { hide: true } },
    async () => (app as unknown as { swagger(): unknown }).swagger(),
  );
}
