import type { Port, Snapshot } from '@pantau/shared';
import type { HostRef, Signal } from './signals.ts';

interface Seen {
  /** Port key → when it was last listening (ms); undefined until the baseline snapshot. */
  ports: Map<string, number> | undefined;
  /** Ports of the latest snapshot that reported them. */
  listening?: Set<string>;
  uptime: number | undefined;
}

/**
 * Change events: a new listening port and a reboot (uptime went back). The first snapshot of a
 * host after the collector starts is the baseline, so a restart does not report every port as new.
 */
export class Changes {
  readonly #seen = new Map<number, Seen>();
  readonly #reappearMs: number;

  /** @param reappearMs a port back within this time of last listening is a restart, not new (ms). Default 10 min. */
  constructor(reappearMs = 600_000) {
    this.#reappearMs = reappearMs;
  }

  observe(host: HostRef, snapshot: Snapshot, at: number): Signal[] {
    const signals: Signal[] = [];
    const seen = this.#seen.get(host.id) ?? { ports: undefined, uptime: undefined };

    // Uptime only grows between snapshots; a drop (beyond clock jitter) means the host rebooted.
    if (seen.uptime !== undefined && snapshot.uptime + 1 < seen.uptime) {
      signals.push({
        type: 'change',
        key: `change:${host.id}:reboot:${snapshot.ts}`,
        kind: 'reboot',
        hostId: host.id,
        severity: 'warning',
        title: `${host.name} rebooted`,
        detail: `${host.name} rebooted: uptime went from ${Math.round(seen.uptime)} s to ${Math.round(snapshot.uptime)} s.`,
        at,
      });
    }
    seen.uptime = snapshot.uptime;

    if (snapshot.ports) {
      const baseline = seen.ports === undefined;
      const ports = seen.ports ?? new Map<string, number>();
      if (!baseline) {
        for (const port of snapshot.ports) {
          const key = portKey(port);
          const lastAt = ports.get(key);
          if (lastAt !== undefined && (at - lastAt <= this.#reappearMs || seen.listening?.has(key))) continue;
          signals.push({
            type: 'change',
            key: `change:${host.id}:port:${key}:${at}`,
            kind: 'new_port',
            hostId: host.id,
            severity: 'warning',
            title: `${host.name}: new listening port ${port.proto}/${port.port}`,
            detail: `${host.name} now listens on ${port.address}:${port.port} (${port.proto})${port.process ? ` by ${port.process}` : ''}${port.pid !== undefined ? ` (pid ${port.pid})` : ''}.`,
            at,
          });
        }
      }
      seen.listening = new Set(snapshot.ports.map(portKey));
      for (const key of seen.listening) ports.set(key, at);
      for (const [key, lastAt] of ports) if (at - lastAt > this.#reappearMs) ports.delete(key);
      seen.ports = ports;
    }
    this.#seen.set(host.id, seen);
    return signals;
  }

  forget(hostId: number): void {
    this.#seen.delete(hostId);
  }
}

function portKey(port: Port): string {
  return `${port.proto}/${port.port}`;
}
