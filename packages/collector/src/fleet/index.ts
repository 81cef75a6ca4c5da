import { Enrollment } from './enrollment.ts';
import { type FleetDeps, Hosts } from './hosts.ts';

/** Fleet commands every surface calls. */
export interface Fleet {
  hosts: Hosts;
  /** Codes an agent exchanges once for its host (it goes through `hosts`). */
  enrollment: Enrollment;
}

export function buildFleet(deps: FleetDeps & { enrollmentTtl: number }): Fleet {
  const hosts = new Hosts(deps);
  return {
    hosts,
    enrollment: new Enrollment({ store: deps.store, hosts, ttl: deps.enrollmentTtl, now: deps.now }),
  };
}
