import { formatDuration } from '@pantau/shared';
import type { HostRef, Signal } from './signals.ts';

export interface LivenessOptions {
  /** How long a host may stay disconnected before it is down, ms. Default 5000. */
  graceMs: number;
  /** A connected host that sent nothing for this many intervals is down (a silent cut). Default 3. */
  silentIntervals: number;
  /** A reconnect after a gap at least this long is reported as "came back", ms. Default: graceMs. */
  gapMs?: number;
}

/** The problem key of a host being down. */
export function hostDownKey(hostId: number): string {
  return `host:${hostId}`;
}

interface HostState {
  host: HostRef;
  connected: boolean;
  intervalMs: number;
  lastSeen: number;
  disconnectedAt: number | undefined;
  down: boolean;
  /** Grace for this disconnect: longer for hosts expected back after a collector restart. */
  graceMs: number;
}

/**
 * Decides when a host is down: its socket closed and it did not come back within the grace
 * period, or its socket stays open but nothing arrived for `silentIntervals` × interval.
 */
export class HostLiveness {
  readonly #hosts = new Map<number, HostState>();
  readonly #options: LivenessOptions;

  constructor(options: LivenessOptions) {
    this.#options = options;
  }

  /**
   * A host known to be online before a collector restart: it counts as disconnected at `now`,
   * so it is reported down if its agent does not return within the grace period.
   */
  expect(
    host: HostRef,
    now: number,
    intervalMs: number,
    options: { down?: boolean; graceMs?: number } = {},
  ): void {
    this.#hosts.set(host.id, {
      host,
      connected: false,
      intervalMs,
      lastSeen: now,
      disconnectedAt: now,
      down: options.down ?? false,
      graceMs: options.graceMs ?? this.#options.graceMs,
    });
  }

  connected(
    host: HostRef,
    now: number,
    intervalMs: number,
    agentVersion?: string,
    previousVersion?: string,
  ): Signal[] {
    const state = this.#hosts.get(host.id);
    const signals: Signal[] = [];
    const wasDown = state?.down ?? false;
    if (state?.down) signals.push(this.#up(state, now));
    const gap = state?.disconnectedAt === undefined ? 0 : now - state.disconnectedAt;
    // A down host's recovery already says how long it was gone: one message per event.
    if (state && !wasDown && !state.connected && gap >= (this.#options.gapMs ?? this.#options.graceMs)) {
      signals.push({
        type: 'change',
        key: `change:${host.id}:agent_back:${now}`,
        kind: 'agent_back',
        hostId: host.id,
        severity: 'info',
        title: `${host.name}: agent is back after ${formatDuration(gap)}`,
        detail: `The agent on ${host.name} reconnected after a gap of ${formatDuration(gap)}.`,
        at: now,
      });
    }
    if (agentVersion && previousVersion && agentVersion !== previousVersion) {
      signals.push({
        type: 'change',
        key: `change:${host.id}:agent_version:${agentVersion}`,
        kind: 'agent_version',
        hostId: host.id,
        severity: 'info',
        title: `${host.name}: agent ${previousVersion} → ${agentVersion}`,
        detail: `The agent on ${host.name} changed version from ${previousVersion} to ${agentVersion}.`,
        at: now,
      });
    }
    this.#hosts.set(host.id, {
      host,
      connected: true,
      intervalMs,
      lastSeen: now,
      disconnectedAt: undefined,
      down: false,
      graceMs: this.#options.graceMs,
    });
    return signals;
  }

  /** Any frame from the host proves it alive. */
  seen(hostId: number, now: number): Signal[] {
    const state = this.#hosts.get(hostId);
    if (!state) return [];
    state.lastSeen = now;
    if (state.down && state.connected) return [this.#up(state, now)];
    return [];
  }

  /** `since`: when the host was last heard from, if before `now` (a cut link, a silent connection). */
  disconnected(hostId: number, now: number, since = now): void {
    const state = this.#hosts.get(hostId);
    if (!state?.connected) return;
    state.connected = false;
    state.disconnectedAt = Math.min(since, now);
    state.graceMs = this.#options.graceMs;
  }

  /** The host was deleted: forget it, and clear its problem if it had one. */
  forget(hostId: number, now: number): Signal[] {
    const state = this.#hosts.get(hostId);
    this.#hosts.delete(hostId);
    return state?.down ? [this.#up(state, now)] : [];
  }

  tick(now: number): Signal[] {
    const signals: Signal[] = [];
    for (const state of this.#hosts.values()) {
      if (state.down) continue;
      if (!state.connected && state.disconnectedAt !== undefined) {
        if (now - state.disconnectedAt >= state.graceMs) {
          signals.push(
            this.#down(state, state.disconnectedAt, 'its agent disconnected and did not come back'),
          );
        }
      } else if (state.connected && now - state.lastSeen > this.#options.silentIntervals * state.intervalMs) {
        signals.push(
          this.#down(
            state,
            state.lastSeen,
            `nothing arrived for ${formatDuration(now - state.lastSeen)} (connection silent)`,
          ),
        );
      }
    }
    return signals;
  }

  isDown(hostId: number): boolean {
    return this.#hosts.get(hostId)?.down ?? false;
  }

  #down(state: HostState, since: number, why: string): Signal {
    return this.#set(state, true, since, `${state.host.name} is unreachable: ${why}.`);
  }

  #up(state: HostState, now: number): Signal {
    return this.#set(state, false, now, `${state.host.name} is reachable again.`);
  }

  #set(state: HostState, down: boolean, at: number, detail: string): Signal {
    state.down = down;
    return {
      type: 'problem',
      key: hostDownKey(state.host.id),
      kind: 'host_down',
      hostId: state.host.id,
      ruleId: 'host-down',
      firing: down,
      severity: 'critical',
      title: `${state.host.name} is ${down ? 'down' : 'up'}`,
      detail,
      at,
    };
  }
}
