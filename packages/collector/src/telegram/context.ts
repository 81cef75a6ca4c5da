import type { Context } from 'grammy';
import type { Actor } from '../access/actor.ts';
import type { Alerting } from '../alerting.ts';
import type { EventBus } from '../events.ts';
import type { Store } from '../store/index.ts';
import type { Principals } from './principals.ts';

/** What every bot feature may use: the collector's parts, never the app. */
export interface BotDeps {
  store: Store;
  alerting: Alerting;
  events: EventBus;
  principals: Principals;
  /** IANA zone for times and chart axes. */
  timeZone: string;
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

/** grammY's context plus the actor the access guard found for the sender. */
export type BotContext = Context & { actor: Actor };
