import type { Container } from '@pantau/shared';
import type { ContainerMonitorConfig } from './container-config.ts';
import type { NotifyPolicy } from './policy.ts';
import type { RuleView } from './rule-catalog.ts';
import { globMatch } from './rules.ts';
import type { HostRef, ProblemSignal, Severity, Signal } from './signals.ts';

/** What can be wrong with one container; each is its own rule (`container-<what>`) and incident. */
export const CONTAINER_PROBLEMS = [
  'stopped',
  'restarting',
  'unhealthy',
  'oom',
  'gone',
  'cpu',
  'memory',
] as const;
export type ContainerProblem = (typeof CONTAINER_PROBLEMS)[number];
export const CONTAINER_RULES = CONTAINER_PROBLEMS.map((p) => `container-${p}`);

/** A problem in a word or two, for messages ("Container: backend-1 (stopped) on lb-host"). */
export const CONTAINER_WORDS: Record<ContainerProblem, string> = {
  stopped: 'stopped',
  restarting: 'restart loop',
  unhealthy: 'unhealthy',
  oom: 'OOM-killed',
  gone: 'gone',
  cpu: 'CPU',
  memory: 'memory',
};

/** What the rule catalog says about each container rule. */
export const CONTAINER_RULE_TEXT: Record<ContainerProblem, string> = {
  stopped: 'a watched container stopped or exited (the exit code is shown)',
  restarting: 'a watched container restarted `restarts` times within `restartWindow`',
  unhealthy: "a watched container's HEALTHCHECK says unhealthy",
  oom: 'a watched container was killed by the kernel for lack of memory',
  gone: 'a watched container disappeared without anyone removing it (a crashed --rm container, or removed while the agent was away)',
  cpu: 'a container stayed at or above its CPU limit (% of one core)',
  memory: 'a container stayed at or above its memory limit',
};

interface Tracked {
  watched: boolean;
  state: string;
  firing: Set<ContainerProblem>;
  /** Restart counts seen, oldest first; the one before the window is the baseline. */
  restarts: { at: number; count: number }[];
  aboveSince: Partial<Record<'cpu' | 'memory', number>>;
}

const STOPPED = new Set(['exited', 'dead']);
const UP = new Set(['running', 'restarting']);

/**
 * The container rules. A container is watched when the config's names or labels pick it, or by
 * default once it has been seen running; `pantau.watch=false` opts one out. Containers removed
 * on purpose (`docker rm`, compose down: the agent says `removed: deliberate`) are forgotten
 * quietly; one that disappears otherwise is `gone`.
 */
export class ContainerWatch {
  readonly #config: ContainerMonitorConfig;
  readonly #hosts = new Map<number, Map<string, Tracked>>();

  constructor(config: ContainerMonitorConfig) {
    this.#config = config;
  }

  /** A full container list from one snapshot (the agent sends the whole list each time). */
  observe(host: HostRef, containers: readonly Container[], at: number): Signal[] {
    const tracked = this.#tracked(host.id);
    const signals: Signal[] = [];
    const seen = new Set<string>();
    for (const c of containers) {
      seen.add(c.name);
      if (c.state === 'removed') {
        signals.push(...this.#removed(host, tracked, c, at));
        continue;
      }
      const t = tracked.get(c.name) ?? {
        watched: false,
        state: c.state,
        firing: new Set(),
        restarts: [],
        aboveSince: {},
      };
      tracked.set(c.name, t);
      t.watched = c.labels?.['pantau.watch'] !== 'false' && (t.watched || this.#picks(c));
      t.state = c.state;
      if (t.watched) signals.push(...this.#evaluate(host, t, c, at));
    }
    for (const [name, t] of tracked) {
      if (seen.has(name)) continue;
      // Missing without a removal report (an agent restart lost it): gone if it was up.
      if (t.watched && UP.has(t.state)) {
        t.state = 'gone';
        signals.push(...this.#set(host, t, name, 'gone', true, at, {}));
      } else if (t.state !== 'gone') {
        signals.push(...this.#clearAll(host, t, name, at, 'was removed'));
        tracked.delete(name);
      }
    }
    return signals;
  }

  /** Resumes a problem that was open before a restart, so the next good report clears it. */
  resume(key: string, hostId: number): void {
    const [, , name, what] = key.split(':');
    if (!name || !(CONTAINER_PROBLEMS as readonly string[]).includes(what ?? '')) return;
    const tracked = this.#tracked(hostId);
    const t = tracked.get(name) ?? {
      watched: true,
      state: 'unknown',
      firing: new Set(),
      restarts: [],
      aboveSince: {},
    };
    t.firing.add(what as ContainerProblem);
    if (what === 'gone') t.state = 'gone';
    tracked.set(name, t);
  }

  /** Clears every problem of a deleted host. */
  forget(host: HostRef, at: number): Signal[] {
    const signals: Signal[] = [];
    for (const [name, t] of this.#tracked(host.id))
      signals.push(...this.#clearAll(host, t, name, at, 'host removed'));
    this.#hosts.delete(host.id);
    return signals;
  }

  #tracked(hostId: number): Map<string, Tracked> {
    let tracked = this.#hosts.get(hostId);
    if (!tracked) {
      tracked = new Map();
      this.#hosts.set(hostId, tracked);
    }
    return tracked;
  }

  #picks(c: Container): boolean {
    const { names, labels } = this.#config;
    const wanted = Object.entries(labels);
    if (names.length === 0 && wanted.length === 0) return c.state === 'running';
    if (names.some((pattern) => globMatch(pattern, c.name))) return true;
    return wanted.length > 0 && wanted.every(([key, value]) => c.labels?.[key] === value);
  }

  #removed(host: HostRef, tracked: Map<string, Tracked>, c: Container, at: number): Signal[] {
    const t = tracked.get(c.name);
    if (!t) return [];
    if (c.removed === 'gone' && t.watched) {
      t.state = 'gone';
      return [
        ...CONTAINER_PROBLEMS.filter((p) => p !== 'gone').flatMap((p) =>
          this.#set(host, t, c.name, p, false, at, {}),
        ),
        ...this.#set(host, t, c.name, 'gone', true, at, { exitCode: c.exitCode }),
      ];
    }
    tracked.delete(c.name);
    return this.#clearAll(host, t, c.name, at, 'was removed on purpose');
  }

  #evaluate(host: HostRef, t: Tracked, c: Container, at: number): Signal[] {
    const oom = c.oomKilled === true && !UP.has(c.state);
    const loop = this.#restartLoop(t, c, at);
    const signals = [
      ...this.#set(host, t, c.name, 'gone', false, at, {}),
      ...this.#set(host, t, c.name, 'oom', oom, at, { exitCode: c.exitCode }),
      ...this.#set(host, t, c.name, 'stopped', STOPPED.has(c.state) && !oom, at, { exitCode: c.exitCode }),
      ...this.#set(host, t, c.name, 'restarting', loop, at, { restarts: c.restarts }),
      ...this.#set(host, t, c.name, 'unhealthy', c.state === 'running' && c.health === 'unhealthy', at, {}),
    ];
    for (const metric of ['cpu', 'memory'] as const) {
      const limit = this.#config.limits.find(
        (l) =>
          (metric === 'cpu' ? l.cpu : l.memoryBytes) !== undefined &&
          l.names.some((p) => globMatch(p, c.name)),
      );
      const above = limit === undefined ? undefined : metric === 'cpu' ? limit.cpu : limit.memoryBytes;
      const value = metric === 'cpu' ? c.cpu : c.memory;
      if (!limit || above === undefined || c.state !== 'running' || value < above) {
        delete t.aboveSince[metric];
        signals.push(...this.#set(host, t, c.name, metric, false, at, { value, limit: above }));
        continue;
      }
      t.aboveSince[metric] ??= at;
      const since = t.aboveSince[metric] ?? at;
      if (at - since >= limit.forMs)
        signals.push(
          ...this.#set(host, t, c.name, metric, true, since, {
            value,
            limit: above,
            severity: limit.severity,
          }),
        );
    }
    return signals;
  }

  /** True while the container restarted `restarts` times within the window. */
  #restartLoop(t: Tracked, c: Container, at: number): boolean {
    if (c.restarts === undefined) return t.firing.has('restarting');
    const since = at - this.#config.restartWindowMs;
    t.restarts.push({ at, count: c.restarts });
    // Keep the window plus one sample before it, the baseline the count grew from.
    while (t.restarts.length > 1 && (t.restarts[1]?.at ?? at) <= since) t.restarts.shift();
    const baseline = t.restarts[0]?.count ?? c.restarts;
    const grew = c.restarts - baseline;
    // Once looping, it stays so until a whole window passes without a restart.
    return t.firing.has('restarting') ? grew > 0 || c.state === 'restarting' : grew >= this.#config.restarts;
  }

  #clearAll(host: HostRef, t: Tracked, name: string, at: number, why: string): Signal[] {
    return CONTAINER_PROBLEMS.flatMap((p) => this.#set(host, t, name, p, false, at, { why }));
  }

  #set(
    host: HostRef,
    t: Tracked,
    name: string,
    what: ContainerProblem,
    firing: boolean,
    at: number,
    facts: Facts,
  ): ProblemSignal[] {
    if (firing === t.firing.has(what)) return [];
    if (firing) t.firing.add(what);
    else t.firing.delete(what);
    return [signal(host, name, what, firing, at, facts)];
  }
}

interface Facts {
  exitCode?: number | undefined;
  restarts?: number | undefined;
  value?: number;
  limit?: number | undefined;
  severity?: Severity;
  why?: string;
}

const MiB = 1024 * 1024;

function amount(what: 'cpu' | 'memory', value: number): string {
  return what === 'cpu' ? `${value.toFixed(1)} % of one core` : `${(value / MiB).toFixed(0)} MiB`;
}

function signal(
  host: HostRef,
  name: string,
  what: ContainerProblem,
  firing: boolean,
  at: number,
  f: Facts,
): ProblemSignal {
  const who = `container ${name} on ${host.name}`;
  const exit =
    f.exitCode === undefined ? '' : f.exitCode === 0 ? ' (exit code 0)' : ` with exit code ${f.exitCode}`;
  let title: string;
  let detail: string;
  let value: string | undefined;
  if (!firing) {
    title = f.why ? `${who} ${f.why}` : `${who} is back to normal`;
    detail = f.why ? `The ${who} ${f.why}; its incident is closed.` : `The ${who} is fine again (${what}).`;
  } else {
    switch (what) {
      case 'stopped':
        title = `${who} ${f.exitCode ? 'exited' : 'stopped'}${exit}`;
        detail = `The ${who} is no longer running${exit}.`;
        if (f.exitCode !== undefined) value = `exit code ${f.exitCode}`;
        break;
      case 'oom':
        title = `${who} was OOM-killed`;
        detail = `The kernel killed the ${who} for lack of memory${exit}.`;
        value = 'OOM-killed';
        break;
      case 'restarting':
        title = `${who} is restarting in a loop`;
        detail = `The ${who} keeps restarting${f.restarts === undefined ? '' : ` (${f.restarts} restarts so far)`}.`;
        if (f.restarts !== undefined) value = `${f.restarts} restarts`;
        break;
      case 'unhealthy':
        title = `${who} is unhealthy`;
        detail = `Docker's HEALTHCHECK of the ${who} fails.`;
        value = 'unhealthy';
        break;
      case 'gone':
        title = `${who} is gone`;
        detail = `The ${who} disappeared without anyone removing it${exit}.`;
        break;
      case 'cpu':
      case 'memory':
        value = amount(what, f.value ?? 0);
        title = `${who}: ${what === 'cpu' ? 'CPU' : 'memory'} at ${value}`;
        detail = `The ${who} stayed at or above ${amount(what, f.limit ?? 0)}.`;
        break;
    }
  }
  return {
    type: 'problem',
    key: `container:${host.id}:${name}:${what}`,
    kind: 'container',
    hostId: host.id,
    ruleId: `container-${what}`,
    firing,
    severity: f.severity ?? (what === 'cpu' || what === 'memory' ? 'warning' : 'critical'),
    title,
    detail,
    ...(value === undefined ? {} : { value }),
    at,
  };
}

/** The container rules as the rule catalog lists them. */
export function containerRuleViews(
  config: ContainerMonitorConfig,
  policy: (ruleId: string) => NotifyPolicy,
): RuleView[] {
  return CONTAINER_PROBLEMS.map(
    (what): RuleView => ({
      id: `container-${what}`,
      source: 'builtin',
      kind: 'container',
      description: CONTAINER_RULE_TEXT[what],
      severity: what === 'cpu' || what === 'memory' ? 'warning' : 'critical',
      enabled: what === 'cpu' || what === 'memory' ? config.limits.length > 0 : true,
      policy: policy(`container-${what}`),
      settings:
        what === 'restarting' ? { restarts: config.restarts, restartWindowMs: config.restartWindowMs } : {},
      scope: null,
      threshold: null,
      definition: null,
    }),
  );
}
