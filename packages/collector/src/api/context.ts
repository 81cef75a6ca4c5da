import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Access } from '../access/index.ts';
import type { PasswordLinks } from '../access/password-links.ts';
import type { Alerting, MonitorCommands } from '../alerting.ts';
import type { Time } from '../clock.ts';
import type { CollectorConfig } from '../config/index.ts';
import type { EventBus } from '../events.ts';
import type { Fleet } from '../fleet/index.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Jobs } from '../jobs/index.ts';
import type { RemoteWrite } from '../remote/index.ts';
import type { Sessions } from '../session/sessions.ts';
import type { Store } from '../store/index.ts';

/** What route plugins get: the collector's parts, never the app's internals. */
export interface ApiContext {
  /** The collector's clock and timers: routes read "now" here, never from Date. */
  time: Time;
  store: Store;
  gateway: Gateway;
  events: EventBus;
  config: Readonly<CollectorConfig>;
  /** Users, tokens and authentication: the commands routes call. */
  access: Access;
  /** Host lifecycle commands. */
  fleet: Fleet;
  /** Incident, silence and rule commands. */
  monitor: MonitorCommands;
  /** Detection, incidents, silences, rules and the notification outbox. */
  alerting: Alerting;
  /** Web console sessions: login, logout, cookie authentication. */
  sessions: Sessions;
  /** One-time set-a-password links. */
  passwordLinks: PasswordLinks;
  /** Activities and remote jobs: the commands routes call. */
  jobs: Jobs;
  /** The remote-write queue and senders (for /metrics); null without endpoints. */
  remoteWrite: RemoteWrite | null;
  /** Base URL people and agents use, e.g. http://pantau.example.com:8080 (no trailing slash). */
  publicUrl(): string;
  /** The one-line agent install for a token or an enrollment code (with the private CA when configured). */
  installCommand(credential: { token: string } | { code: string }): string;
}

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
