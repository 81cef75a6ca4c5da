import { parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { DurationText } from './duration-text.ts';

/** How an incident is told and retold. One policy per rule; built-in rules use the defaults. */
export interface NotifyPolicy {
  /** First reminder this long after the opening message, ms. Default 10 000 (10 s). */
  repeatMs: number;
  /** Each further reminder waits this many times longer. Default 1 (no backoff). */
  backoff: number;
  /** Reminders never wait longer than this, ms. Default 1 800 000 (30 min). */
  maxRepeatMs: number;
  /** Flap damping: this many openings of one problem within `flapWindowMs` make it flapping. Default 3. */
  flapOpenings: number;
  /** Flap damping window, ms; a flapping problem resolves only after staying clear this long. Default 600 000 (10 min). */
  flapWindowMs: number;
}

export const DEFAULT_POLICY: NotifyPolicy = Object.freeze({
  repeatMs: 10_000,
  backoff: 1,
  maxRepeatMs: 30 * 60_000,
  flapOpenings: 3,
  flapWindowMs: 10 * 60_000,
});

/** Delay before reminder number `sent` (1 = the first reminder after the opening message). */
export function reminderDelay(policy: NotifyPolicy, sent: number): number {
  const delay = policy.repeatMs * policy.backoff ** Math.max(0, sent - 1);
  return Math.min(delay, policy.maxRepeatMs);
}

/** Notification policy as written in config or sent to the API. */
export const PolicyInput = Type.Object(
  {
    /** First reminder after the opening message. Default "10s". */
    repeat: Type.Optional(DurationText),
    /** Factor by which each further reminder waits longer. Default 1 (none); e.g. 2. */
    backoff: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    /** Longest wait between reminders. Default "30m". */
    maxRepeat: Type.Optional(DurationText),
    /** Openings within the flap window that make a problem flapping. Default 3. */
    flapOpenings: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
    /** Flap window; a flapping problem resolves after staying clear this long. Default "10m". */
    flapWindow: Type.Optional(DurationText),
  },
  { additionalProperties: false },
);

export type PolicyInput = Static<typeof PolicyInput>;

export function resolvePolicy(
  input: PolicyInput | undefined,
  base: NotifyPolicy = DEFAULT_POLICY,
): NotifyPolicy {
  return Object.freeze({
    repeatMs: input?.repeat ? parseDuration(input.repeat) : base.repeatMs,
    backoff: input?.backoff ?? base.backoff,
    maxRepeatMs: input?.maxRepeat ? parseDuration(input.maxRepeat) : base.maxRepeatMs,
    flapOpenings: input?.flapOpenings ?? base.flapOpenings,
    flapWindowMs: input?.flapWindow ? parseDuration(input.flapWindow) : base.flapWindowMs,
  });
}
