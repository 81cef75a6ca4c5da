import { systemClock } from '../clock.ts';
import type { BotDeps } from './context.ts';
import type { FleetInput } from './views/fleet.ts';

/** Every host with its latest numbers, as the fleet views read them. */
/** `timeZone`: the reader's. */
export function fleetInput(deps: BotDeps, timeZone: string): FleetInput {
  const { store } = deps;
  return {
    hosts: store.hosts.list(0, 1_000_000),
    problems: new Set(
      deps.alerting.monitor.incidents.list({ status: 'active', limit: 500 }).map((i) => i.hostId),
    ),
    latest: (id) => store.writer.latest(id),
    now: (deps.now ?? systemClock)(),
    timeZone,
  };
}
