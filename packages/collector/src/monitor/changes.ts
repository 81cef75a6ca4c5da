import type { Port, Snapshot } from '@pantau/shared';
import { type ChangeRules, DEFAULT_EPHEMERAL_PORTS, ignoredPort, reports } from './change-rules.ts';
import type { HostRef, Signal } from './signals.ts';

interface Seen {
  /** Port key → when it was last listening (ms); undefined until the baseline snapshot. */
  ports: Map<string, number> | undefined;
  /** Ports of the latest snapshot that reported them. */
  listening?: Set<string>;
  /** New ports seen in one port snapshot only: news once the next one still has them. */
  pending: Map<string, number>;
  uptime: number | undefined;
}

export interface ChangesOptions {
  /** The new_port and reboot rules (which hosts, severity, what a new port ignores). */
  rules: Pick<ChangeRules, 'new_port' | 'reboot'>;
  /** The host's ephemeral port range, as its agent sent it. */
  ephemeralPorts(hostId: number): { low: number; high: number } | undefined;
  /** A port back within this time of last listening is a restart, not new (ms). Default 10 min. */
  reappearMs?: number;
}

/**
 * Change events: a new listening port and a reboot (uptime went back). The first snapshot of a
 * host after the collector starts is the baseline, so a restart does not report every port as new.
 * A new port is news only when the next port snapshot still has it: one that opens and closes
 * within one interval (a client's socket, a test run) is not.
 */
export class Changes {
  readonly #seen = new Map<number, Seen>();
  readonly #o: ChangesOptions;
  readonly #reappearMs: number;

  constructor(options: ChangesOptions) {
    this.#o = options;
    this.#reappearMs = options.reappearMs ?? 600_000;
  }

  observe(host: HostRef, snapshot: Snapshot, at: number): Signal[] {
    const signals: Signal[] = [];
    const seen = this.#seen.get(host.id) ?? { ports: undefined, pending: new Map(), uptime: undefined };
    const { reboot } = this.#o.rules;

    // Uptime only grows between snapshots; a drop (beyond clock jitter) means the host rebooted.
    if (seen.uptime !== undefined && snapshot.uptime + 1 < seen.uptime && reports(reboot, host)) {
      signals.push({
        type: 'change',
        key: `change:${host.id}:reboot:${snapshot.ts}`,
        kind: 'reboot',
        hostId: host.id,
        severity: reboot.severity,
        title: `${host.name} rebooted`,
        detail: `${host.name} rebooted: uptime went from ${Math.round(seen.uptime)} s to ${Math.round(snapshot.uptime)} s.`,
        at,
      });
    }
    seen.uptime = snapshot.uptime;

    if (snapshot.ports) signals.push(...this.#ports(host, seen, snapshot.ports, at));
    this.#seen.set(host.id, seen);
    return signals;
  }

  #ports(host: HostRef, seen: Seen, reported: readonly Port[], at: number): Signal[] {
    const rule = this.#o.rules.new_port;
    if (!reports(rule, host)) {
      // Off for this host: forget it, so switching the rule on starts from a fresh baseline.
      seen.ports = undefined;
      seen.pending.clear();
      return [];
    }
    const ephemeral = this.#o.ephemeralPorts(host.id) ?? DEFAULT_EPHEMERAL_PORTS;
    const listening = new Map<string, Port>();
    for (const port of reported) {
      const key = portKey(port);
      if (!listening.has(key) && !ignoredPort(rule, host, port, ephemeral)) listening.set(key, port);
    }
    const baseline = seen.ports === undefined;
    const known = seen.ports ?? new Map<string, number>();
    const signals: Signal[] = [];
    for (const [key, port] of listening) {
      const lastAt = known.get(key);
      const isKnown =
        baseline || (lastAt !== undefined && (at - lastAt <= this.#reappearMs || seen.listening?.has(key)));
      if (isKnown) {
        known.set(key, at);
        continue;
      }
      if (!seen.pending.has(key)) {
        seen.pending.set(key, at);
        continue;
      }
      seen.pending.delete(key);
      known.set(key, at);
      signals.push({
        type: 'change',
        key: `change:${host.id}:port:${key}:${at}`,
        kind: 'new_port',
        hostId: host.id,
        severity: rule.severity,
        title: `${host.name}: new listening port ${port.proto}/${port.port}`,
        detail: `${host.name} now listens on ${port.address}:${port.port} (${port.proto})${port.process ? ` by ${port.process}` : ''}${port.pid !== undefined ? ` (pid ${port.pid})` : ''}.`,
        at,
      });
    }
    for (const key of seen.pending.keys()) if (!listening.has(key)) seen.pending.delete(key);
    seen.listening = new Set(listening.keys());
    for (const [key, lastAt] of known) if (at - lastAt > this.#reappearMs) known.delete(key);
    seen.ports = known;
    return signals;
  }

  forget(hostId: number): void {
    this.#seen.delete(hostId);
  }
}

function portKey(port: Port): string {
  return `${port.proto}/${port.port}`;
}
