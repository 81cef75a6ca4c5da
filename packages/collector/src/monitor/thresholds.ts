import type { Snapshot } from '@pantau/shared';
import { selects, type ThresholdRule } from './rules.ts';
import type { HostRef, Signal } from './signals.ts';

interface Reading {
  /** What inside the host the value is about: a mount for disks, '' otherwise. */
  subject: string;
  value: number;
}

interface State {
  aboveSince: number | undefined;
  firing: boolean;
}

const UNIT: Record<ThresholdRule['metric'], string> = {
  cpu: '%',
  memory: '%',
  swap: '%',
  disk: '%',
  load: ' per core',
};
const LABEL: Record<ThresholdRule['metric'], string> = {
  cpu: 'CPU',
  memory: 'memory',
  swap: 'swap',
  disk: 'disk',
  load: 'load',
};

/** Fires a threshold rule when its metric stays at or above the limit for the rule's duration. */
export class Thresholds {
  #rules: readonly ThresholdRule[];
  readonly #states = new Map<string, State>();

  constructor(rules: readonly ThresholdRule[]) {
    this.#rules = rules;
  }

  /** Replaces the rules; problems of rules that are gone are cleared. */
  setRules(rules: readonly ThresholdRule[], at: number, hosts: ReadonlyMap<number, HostRef>): Signal[] {
    const keep = new Set(rules.filter((r) => r.enabled).map((r) => r.id));
    const signals: Signal[] = [];
    for (const [key, state] of this.#states) {
      const [, ruleId, hostId, ...subject] = key.split(':');
      if (ruleId && keep.has(ruleId)) continue;
      this.#states.delete(key);
      const rule = this.#rules.find((r) => r.id === ruleId);
      const host = hostId ? hosts.get(Number(hostId)) : undefined;
      if (state.firing && rule && host)
        signals.push(signal(rule, host, subject.join(':'), undefined, false, at));
    }
    this.#rules = rules;
    return signals;
  }

  observe(host: HostRef, snapshot: Snapshot, at: number): Signal[] {
    const signals: Signal[] = [];
    for (const rule of this.#rules) {
      if (!rule.enabled || !selects(rule, host)) continue;
      for (const reading of readings(rule, snapshot)) {
        const key = `threshold:${rule.id}:${host.id}:${reading.subject}`;
        const state = this.#states.get(key) ?? { aboveSince: undefined, firing: false };
        if (reading.value >= rule.above) {
          state.aboveSince ??= at;
          if (!state.firing && at - state.aboveSince >= rule.forMs) {
            state.firing = true;
            signals.push(signal(rule, host, reading.subject, reading.value, true, state.aboveSince));
          }
          this.#states.set(key, state);
        } else {
          if (state.firing) signals.push(signal(rule, host, reading.subject, reading.value, false, at));
          this.#states.delete(key);
        }
      }
    }
    return signals;
  }

  /** Resumes a problem that was open before a restart, so the value dropping clears it. */
  resume(key: string, since: number): void {
    this.#states.set(key, { aboveSince: since, firing: true });
  }
}

function readings(rule: ThresholdRule, s: Snapshot): Reading[] {
  switch (rule.metric) {
    case 'cpu':
      return [{ subject: '', value: s.cpu.total }];
    case 'memory':
      return s.memory.total > 0 ? [{ subject: '', value: (s.memory.used / s.memory.total) * 100 }] : [];
    case 'swap':
      return s.swap.total > 0 ? [{ subject: '', value: (s.swap.used / s.swap.total) * 100 }] : [];
    case 'load':
      return [{ subject: '', value: s.load.l1 / Math.max(1, s.cpu.cores.length) }];
    case 'disk':
      return (s.disks ?? [])
        .filter((d) => rule.mounts.length === 0 || rule.mounts.includes(d.mount))
        .map((d) => ({ subject: d.mount, value: d.usedPct }));
  }
}

function signal(
  rule: ThresholdRule,
  host: HostRef,
  subject: string,
  value: number | undefined,
  firing: boolean,
  at: number,
): Signal {
  const what = `${LABEL[rule.metric]}${subject ? ` ${subject}` : ''}`;
  const shown = value === undefined ? undefined : `${value.toFixed(1)}${UNIT[rule.metric]}`;
  return {
    type: 'problem',
    key: `threshold:${rule.id}:${host.id}:${subject}`,
    kind: 'threshold',
    hostId: host.id,
    ruleId: rule.id,
    firing,
    severity: rule.severity,
    title: firing ? `${host.name}: ${what} at ${shown}` : `${host.name}: ${what} back to normal`,
    detail: firing
      ? `${what} on ${host.name} has been at or above ${rule.above}${UNIT[rule.metric]} for ${Math.round(rule.forMs / 1000)} s (rule ${rule.id}).`
      : `${what} on ${host.name} is below ${rule.above}${UNIT[rule.metric]} again${shown ? ` (${shown})` : ''}.`,
    ...(shown ? { value: shown } : {}),
    at,
  };
}
