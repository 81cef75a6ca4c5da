import type { CheckResult } from '@pantau/shared';
import type { HostRef, Signal } from './signals.ts';

interface Streak {
  failures: number;
  firstFailureAt: number;
  firing: boolean;
}

/**
 * A service is down when its agent-side check failed `failuresToOpen` times in a row; the first
 * success clears it. Each host's checks are counted independently, so one backend of a load
 * balancer going down opens a problem for that backend alone.
 */
export class CheckStreaks {
  readonly #streaks = new Map<string, Streak>();
  readonly #failuresToOpen: number;

  /** @param failuresToOpen consecutive failures that make a service down. Default 2. */
  constructor(failuresToOpen = 2) {
    this.#failuresToOpen = failuresToOpen;
  }

  observe(host: HostRef, checks: readonly CheckResult[], at: number): Signal[] {
    const signals: Signal[] = [];
    for (const check of checks) {
      const key = `check:${host.id}:${check.name}`;
      const streak = this.#streaks.get(key) ?? { failures: 0, firstFailureAt: at, firing: false };
      if (check.ok) {
        if (streak.firing) signals.push(signal(host, check, key, false, at));
        this.#streaks.delete(key);
        continue;
      }
      if (streak.failures === 0) streak.firstFailureAt = at;
      streak.failures += 1;
      if (!streak.firing && streak.failures >= this.#failuresToOpen) {
        streak.firing = true;
        signals.push(signal(host, check, key, true, streak.firstFailureAt));
      }
      this.#streaks.set(key, streak);
    }
    return signals;
  }

  /** Clears every problem of a deleted host. */
  forget(host: HostRef, at: number): Signal[] {
    const signals: Signal[] = [];
    for (const [key, streak] of this.#streaks) {
      if (!key.startsWith(`check:${host.id}:`)) continue;
      this.#streaks.delete(key);
      if (streak.firing) {
        const name = key.slice(`check:${host.id}:`.length);
        signals.push(signal(host, { name, kind: 'tcp', target: '', ok: true, latencyMs: 0 }, key, false, at));
      }
    }
    return signals;
  }

  /** Resumes a problem that was open before a restart, so the next success clears it. */
  resume(key: string, since: number): void {
    this.#streaks.set(key, { failures: this.#failuresToOpen, firstFailureAt: since, firing: true });
  }
}

function signal(host: HostRef, check: CheckResult, key: string, firing: boolean, at: number): Signal {
  const what = `${check.name}${check.target ? ` (${check.target})` : ''}`;
  return {
    type: 'problem',
    key,
    kind: 'service_down',
    hostId: host.id,
    ruleId: 'service-down',
    firing,
    severity: 'critical',
    title: firing ? `${check.name} on ${host.name} is down` : `${check.name} on ${host.name} is up`,
    detail: firing
      ? `The ${check.kind.toUpperCase()} check ${what} on ${host.name} failed${check.error ? `: ${check.error}` : ''}.`
      : `The check ${what} on ${host.name} succeeds again.`,
    ...(check.error
      ? { value: check.error }
      : check.status !== undefined
        ? { value: `HTTP ${check.status}` }
        : {}),
    at,
  };
}
