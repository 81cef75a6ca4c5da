import type { Port, Snapshot } from '@pantau/shared';
import type { HostRef, Signal } from './signals.ts';

interface Seen {
  ports: Set<string> | undefined;
  uptime: number | undefined;
}

/**
 * Change events: a new listening port and a reboot (uptime went back). The first snapshot of a
 * host after the collector starts is the baseline, so a restart does not report every port as new.
 */
export class Changes {
  readonly #seen = new Map<number, Seen>();

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
      const current = new Set(snapshot.ports.map(portKey));
      if (seen.ports) {
        for (const port of snapshot.ports) {
          const key = portKey(port);
          if (seen.ports.has(key)) continue;
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
      seen.ports = current;
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
