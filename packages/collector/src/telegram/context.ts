import type { CommandsFlavor } from '@grammyjs/commands';
import type { ConversationFlavor } from '@grammyjs/conversations';
import type { Actor } from '../access/actor.ts';
import type { Access } from '../access/index.ts';
import type { Alerting } from '../alerting.ts';
import type { EventBus } from '../events.ts';
import type { Jobs } from '../jobs/index.ts';
import type { NotifyPreferences } from '../notify/preferences.ts';
import type { Store } from '../store/index.ts';
import type { Principal, Principals } from './principals.ts';

/** What every bot feature may use: the collector's parts, never the app. */
export interface BotDeps {
  store: Store;
  alerting: Alerting;
  access: Access;
  /** Activities and jobs (/run, /jobs, /job). */
  jobs: Jobs;
  events: EventBus;
  /** Each user's own notification settings (/notify). */
  preferences: NotifyPreferences;
  principals: Principals;
  /** The collector's IANA zone: times for people who did not pick their own (/notify zone). */
  timeZone: string;
  /** How long a rejected applicant waits before applying again, ms. */
  rejectCooldown: number;
  /** Messages and button presses one user may send per minute. */
  userRate: number;
  log: BotLogger;
  now?: () => number;
}

export interface BotLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * grammY's context with the commands plugin's helpers, plus who sent the update; `actor` is set
 * only for active users, `timeZone` for everyone (theirs, or the collector's).
 */
export type BotContext = ConversationFlavor<
  CommandsFlavor & {
    principal: Principal;
    actor: Actor /** The sender's zone for every time shown. */;
    timeZone: string;
  }
>;
