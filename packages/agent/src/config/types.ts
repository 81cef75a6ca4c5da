import type { ActionParam } from '@pantau/shared/lite';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** How the agent reaches its collector. */
export interface CollectorConfig {
  /** Collector WebSocket URLs (`ws://` or `wss://`, path `/agent`), tried in order. Env `PANTAU_COLLECTOR_URL` (comma-separated). Required for `run`. */
  readonly urls: readonly string[];
  /** WebSocket ping interval, ms. The socket is dropped after 3 intervals without a pong or frame. Default 5 s. */
  readonly pingIntervalMs: number;
  /** How long to wait for `welcome` after `hello`, ms. Default 10 s. */
  readonly helloTimeoutMs: number;
  /** First reconnect delay cap, ms; it doubles per failed round up to `maxDelayMs` (full jitter). Default 1 s. */
  readonly minDelayMs: number;
  /** Largest reconnect delay, ms. Default 60 s. */
  readonly maxDelayMs: number;
  /** Delay before retrying after a close the agent cannot fix itself (4001 bad token, 4002 protocol, 4005 replaced), ms. Default 5 min. */
  readonly fatalDelayMs: number;
  /** PEM file of the CA (or self-signed certificate) that signs the collector's certificate, read once at start; the system's CAs otherwise. Env `PANTAU_CA_FILE`. Default none. */
  readonly ca?: string;
  /** Allow `ws://` (no TLS) to an address that is not loopback. Env `PANTAU_INSECURE=1`. Default false. */
  readonly insecure: boolean;
}

/** How often the heavier collectors run, ms. Each result rides in the next snapshot. */
export interface Cadences {
  /** Process count and top lists. Default 15 s. */
  readonly processes: number;
  /** Listening ports (they change rarely; each scan costs a few ms of kernel time, see docs/agent.md). Default 30 s. */
  readonly ports: number;
  /** Per-mount disk usage. Default 30 s. */
  readonly disks: number;
  /** System info; also sent at every connect. Default 1 h. */
  readonly system: number;
  /** Service checks. Default 10 s. */
  readonly checks: number;
  /** Docker containers (only when the socket exists). Default 15 s. */
  readonly containers: number;
}

interface CheckBase {
  /** Check name, unique; alerts and charts use it. */
  readonly name: string;
  /** Give up after this long, ms. Default 5 s. */
  readonly timeoutMs: number;
}

export interface TcpCheckConfig extends CheckBase {
  readonly type: 'tcp';
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port, 1–65535. */
  readonly port: number;
}

export interface HttpCheckConfig extends CheckBase {
  readonly type: 'http';
  /** `http://` or `https://` URL fetched with GET. */
  readonly url: string;
  /** Status that counts as up. Default 200. */
  readonly expectStatus: number;
  /** Regular expression the body (first 64 KiB) must match; none by default. */
  readonly bodyMatch?: RegExp;
  /** Accept any TLS certificate (self-signed backends). Default false. */
  readonly insecure: boolean;
}

export type CheckConfig = TcpCheckConfig | HttpCheckConfig;

/** A command the host's owner defines; parameters replace whole argv elements `{{name}}`. */
export interface CustomActionConfig {
  readonly name: string;
  readonly description?: string;
  /** Program and arguments; never run through a shell. */
  readonly argv: readonly string[];
  readonly params: readonly ActionParam[];
  /** Needs the admin role to start. Default false. */
  readonly dangerous: boolean;
  /** Job timeout for this action, ms. Default `actions.timeout`. */
  readonly timeoutMs?: number;
}

export interface ActionsConfig {
  /** Actions this host allows (built-in and custom names). Default: ping, uptime, disk-usage, service-status and every custom action. */
  readonly allow: readonly string[];
  /** Custom actions. Default none. */
  readonly custom: readonly CustomActionConfig[];
  /** Container names (`*` matches any run of characters) that container-start/-stop/-restart may touch. Default none. */
  readonly containers: readonly string[];
  /** Jobs running at once; more are rejected with JOB_LIMIT. Default 2. */
  readonly maxConcurrent: number;
  /** Output kept per job (stdout + stderr), bytes; the rest is dropped and `truncated` set. Default 1 MiB. */
  readonly outputCapBytes: number;
  /** Timeout of custom actions that set none, ms (built-ins have their own, see docs/agent.md); a job.start may ask for less, never more. Default 5 min. */
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL to a job's process group, ms. Default 5 s. */
  readonly killGraceMs: number;
  /** Job output kept while disconnected from the collector, characters (≈ bytes); the oldest is dropped first. Default 1 MiB. */
  readonly offlineCapBytes: number;
  /** Job frames kept while disconnected; the oldest output is dropped first, `job.end` never. Default 1,000. */
  readonly offlineFrames: number;
}

export interface AgentConfig {
  readonly collector: CollectorConfig;
  /** Agent token (`token`, `tokenFile`, env `PANTAU_TOKEN` or `PANTAU_TOKEN_FILE`). Required for `run`. */
  readonly token: string;
  /** Snapshot interval, ms. Env `PANTAU_INTERVAL`. Default 5 s, minimum 1 s. */
  readonly intervalMs: number;
  readonly cadences: Cadences;
  /**
   * After a check changes state, all checks run again this soon to confirm it, and the result is
   * sent at once instead of waiting for the next snapshot. Default 1 s.
   */
  readonly checkRetryMs: number;
  /** Unacked snapshots kept for replay. Default one hour's worth at the interval (720 at 5 s). */
  readonly outboxMax: number;
  /** True when `outbox.max` was not set, so it follows interval changes pushed by the collector. */
  readonly outboxMaxIsDefault: boolean;
  readonly checks: readonly CheckConfig[];
  readonly actions: ActionsConfig;
  /** Where /proc is: the host's when the agent runs in a container (`-v /proc:/host/proc:ro`). Env `PANTAU_PROC_ROOT`. Default /proc. */
  readonly procRoot: string;
  /** Where /sys is (`-v /sys:/host/sys:ro`). Env `PANTAU_SYS_ROOT`. Default /sys. */
  readonly sysRoot: string;
  /** Docker Engine socket. Default /var/run/docker.sock. */
  readonly dockerSocket: string;
  /** Log level. Env `PANTAU_LOG_LEVEL`. Default info. */
  readonly logLevel: LogLevel;
  /** File `run` keeps current with its connection state, for `pantau-agent status` (a container's HEALTHCHECK). Env `PANTAU_STATUS_FILE`. Default none. */
  readonly statusFile?: string;
}
