import { type FleetDeps, Hosts } from './hosts.ts';

/** Fleet commands every surface calls. */
export interface Fleet {
  hosts: Hosts;
}

export function buildFleet(deps: FleetDeps): Fleet {
  return { hosts: new Hosts(deps) };
}
