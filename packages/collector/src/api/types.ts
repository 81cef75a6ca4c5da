// Types the web console imports (types only, never code): one definition, the API's schemas.

// The augmentations the route files rely on: req.principal, and schema.description from swagger.
import type {} from '@fastify/swagger';
import type { Static } from 'typebox';
import type {} from './auth.ts';
import type { IncidentItem } from './routes/incidents.ts';
import type { AreaResponse, HostDetail, HostSummary, LatestResponse } from './schemas.ts';

export type {
  LiveHost,
  StreamHello,
  StreamHosts,
  StreamIncidents,
  StreamJobs,
  StreamRemoved,
} from '../live/live-host.ts';
export type HostSummaryBody = Static<typeof HostSummary>;
export type HostDetailBody = Static<typeof HostDetail>;
export type LatestBody = Static<typeof LatestResponse>;
export type IncidentBody = Static<typeof IncidentItem>;
export type IncidentDetailBody = Static<typeof import('./routes/incidents.ts').IncidentDetail>;
export type AreaBody<T> = Static<ReturnType<typeof AreaResponse>> & { data: T | null };
export type { MetricName } from '../store/metric-catalog.ts';
export type SilenceBody = Static<typeof import('./routes/silences.ts').SilenceItem>;
export type SessionBody = Static<typeof import('./routes/session.ts').SessionInfo>;
export type { Permission } from '../access/roles.ts';
export type UserBody = Static<typeof import('./schemas.ts').User>;
export type ApiTokenBody = Static<typeof import('./schemas.ts').ApiToken>;
export type EnrollmentBody = Static<typeof import('./routes/enrollment.ts').EnrollmentView>;
export type AgentTokenBody = Static<typeof import('./schemas.ts').AgentTokenResponse>;
export type RecipientBody = Static<typeof import('./routes/recipients.ts').RecipientItem>;
export type ActivityBody = Static<typeof import('./routes/activities.ts').ActivityItem>;
export type AgentActionBody = Static<typeof import('./routes/activities.ts').AgentAction>;
export type JobBody = Static<typeof import('./job-schemas.ts').JobItem>;
export type RunBody = Static<typeof import('./job-schemas.ts').RunItem>;
export type PreviewBody = Static<typeof import('./job-schemas.ts').PreviewResponse>;
export type JobDetailBody = Static<typeof import('./job-schemas.ts').JobDetail>;
export type OutputChunkBody = Static<typeof import('./job-schemas.ts').OutputChunk>;
export type MetricHistoryBody = Static<typeof import('./routes/data.ts').MetricHistory>;
export type CheckChangeBody = Static<typeof import('./routes/data.ts').CheckChange>;
export type ContainerHistoryBody = Static<typeof import('./routes/data.ts').ContainerHistory>;
export type AuditEntryBody = Static<typeof import('./routes/audit.ts').AuditItem>;
