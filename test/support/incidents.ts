import type { buildApp } from '../../packages/collector/src/app.ts';
import type { Incident } from '../../packages/collector/src/monitor/incidents.ts';
import type { ProblemSignal } from '../../packages/collector/src/monitor/signals.ts';

type App = Awaited<ReturnType<typeof buildApp>>;

export interface ProblemOptions {
  /** Names the problem on its host; the same name again is the same problem. Default "web". */
  name?: string;
  kind?: ProblemSignal['kind'];
  severity?: ProblemSignal['severity'];
  at?: number;
}

function signal(hostId: number, firing: boolean, o: ProblemOptions): ProblemSignal {
  const kind = o.kind ?? 'service_down';
  const name = o.name ?? 'web';
  const ruleId = kind === 'host_down' ? 'host-down' : kind === 'service_down' ? 'service-down' : name;
  return {
    type: 'problem',
    key: `${kind}:${hostId}:${name}`,
    kind,
    hostId,
    ruleId,
    firing,
    severity: o.severity ?? 'critical',
    title: `${name} down`,
    detail: `${name} refused the connection`,
    value: 'connect ECONNREFUSED',
    at: o.at ?? Date.now(),
  };
}

/** Opens an incident the way a detector would, through the app's incident manager. */
export function openProblem(app: App, hostId: number, options: ProblemOptions = {}): Incident {
  const s = signal(hostId, true, options);
  const { incidents } = app.pantau.alerting.monitor;
  incidents.apply([s], s.at);
  return incidents.list({ hostId: s.hostId, status: 'active', limit: 500 }).find((i) => i.key === s.key)!;
}

/** The detector saw the problem clear: the incident resolves by itself. */
export function clearProblem(app: App, hostId: number, options: ProblemOptions = {}): void {
  const s = signal(hostId, false, options);
  app.pantau.alerting.monitor.incidents.apply([s], s.at);
}
