/** What the detectors tell the incident manager. Detectors keep no incident state of their own. */

export type Severity = 'info' | 'warning' | 'critical';

export type ProblemKind = 'host_down' | 'service_down' | 'threshold' | 'container';

/** A problem started (`firing: true`) or cleared (`firing: false`). `key` names it stably. */
export interface ProblemSignal {
  type: 'problem';
  key: string;
  kind: ProblemKind;
  hostId: number;
  /** The rule that produced it: `host-down`, `service-down`, `container-*`, or a threshold rule's id. */
  ruleId: string;
  firing: boolean;
  severity: Severity;
  title: string;
  detail: string;
  /** Current value in words, e.g. "93.1 %" or "connect ECONNREFUSED 127.0.0.1:8080". */
  value?: string;
  /** When the problem began (firing) or ended (cleared), ms since the epoch. */
  at: number;
}

export type ChangeKind = 'new_port' | 'reboot' | 'agent_back' | 'agent_version';

/** A one-off change worth telling people about; it opens nothing that needs resolving. */
export interface ChangeSignal {
  type: 'change';
  key: string;
  kind: ChangeKind;
  hostId: number;
  severity: Severity;
  title: string;
  detail: string;
  at: number;
}

export type Signal = ProblemSignal | ChangeSignal;

/** The host facts detectors need for messages and selectors. */
export interface HostRef {
  id: number;
  name: string;
  labels: Readonly<Record<string, string>>;
}
