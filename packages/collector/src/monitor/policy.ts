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
