import Type, { type Static } from 'typebox';
import { Limits } from './limits.ts';

/** Finite number ≥ 0 (JSON has no NaN or Infinity; the validators refuse them too). */
const Gauge = (description?: string) => Type.Number({ minimum: 0, ...(description ? { description } : {}) });
const Percent = (description?: string) =>
  Type.Number({ minimum: 0, maximum: 100, ...(description ? { description } : {}) });
const Count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) });
const Name = Type.String({ minLength: 1, maxLength: Limits.name });
const Text = Type.String({ maxLength: Limits.text });
const strict = { additionalProperties: false } as const;

export const Cpu = Type.Object(
  {
    total: Percent('busy % over the last interval, all cores'),
    user: Percent(),
    system: Percent(),
    iowait: Percent(),
    steal: Percent(),
    cores: Type.Array(Percent(), { maxItems: Limits.cores, description: 'busy % per core' }),
  },
  strict,
);

export const Load = Type.Object({ l1: Gauge(), l5: Gauge(), l15: Gauge() }, strict);

export const Memory = Type.Object(
  {
    total: Count('bytes'),
    used: Count('bytes: total - available'),
    available: Count('bytes'),
    buffers: Count('bytes'),
    cached: Count('bytes, page cache and reclaimable slab'),
  },
  strict,
);

export const Swap = Type.Object({ total: Count('bytes'), used: Count('bytes') }, strict);

export const Disk = Type.Object(
  {
    mount: Name,
    device: Type.String({ maxLength: Limits.name }),
    fstype: Type.String({ maxLength: Limits.name }),
    size: Count('bytes'),
    used: Count('bytes'),
    free: Count('bytes available to unprivileged users'),
    usedPct: Percent('used / (used + free), as df reports it'),
  },
  strict,
);

export const DiskIo = Type.Object(
  { readBps: Gauge('bytes/s read, all block devices'), writeBps: Gauge('bytes/s written') },
  strict,
);

export const NetInterface = Type.Object(
  {
    iface: Name,
    rxBps: Gauge('bytes/s received'),
    txBps: Gauge('bytes/s sent'),
    rxPackets: Count('packets received since boot'),
    txPackets: Count('packets sent since boot'),
    rxErrors: Count('receive errors since boot'),
    txErrors: Count('transmit errors since boot'),
  },
  strict,
);

export const Process = Type.Object(
  {
    pid: Count(),
    name: Type.String({ maxLength: Limits.name }),
    user: Type.String({ maxLength: Limits.name }),
    cpu: Gauge('% of one core, may exceed 100 on several cores'),
    rss: Count('bytes'),
    command: Text,
  },
  strict,
);

export const Processes = Type.Object(
  {
    count: Count(),
    topCpu: Type.Array(Process, { maxItems: Limits.topProcesses }),
    topMem: Type.Array(Process, { maxItems: Limits.topProcesses }),
  },
  strict,
);

export const Port = Type.Object(
  {
    proto: Type.Union([Type.Literal('tcp'), Type.Literal('tcp6'), Type.Literal('udp'), Type.Literal('udp6')]),
    address: Type.String({ maxLength: 64 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    pid: Type.Optional(Count()),
    process: Type.Optional(Type.String({ maxLength: Limits.name })),
  },
  strict,
);

export const CheckResult = Type.Object(
  {
    name: Name,
    kind: Type.Union([Type.Literal('tcp'), Type.Literal('http')]),
    target: Type.String({ maxLength: Limits.text }),
    ok: Type.Boolean(),
    latencyMs: Gauge(),
    status: Type.Optional(Type.Integer({ minimum: 0, maximum: 999, description: 'HTTP status' })),
    error: Type.Optional(Text),
  },
  strict,
);

export const Container = Type.Object(
  {
    id: Type.String({ maxLength: 128 }),
    name: Type.String({ maxLength: Limits.name }),
    image: Type.String({ maxLength: Limits.text }),
    state: Type.String({
      maxLength: 64,
      description: "Docker's state (running, exited, restarting, paused, created, dead), or removed",
    }),
    cpu: Gauge('% of one core, as docker stats: 200 is two cores busy'),
    memory: Count('bytes, without the reclaimable page cache, as docker stats'),
    // Optional: agents before Docker event following sent only the fields above.
    exitCode: Type.Optional(Type.Integer({ minimum: -1, maximum: 255, description: 'of the last exit' })),
    health: Type.Optional(
      Type.Union([Type.Literal('starting'), Type.Literal('healthy'), Type.Literal('unhealthy')], {
        description: "Docker's HEALTHCHECK status; absent without a HEALTHCHECK",
      }),
    ),
    restarts: Type.Optional(Count("Docker's restart count (restart policy)")),
    oomKilled: Type.Optional(Type.Boolean({ description: 'the last exit was the kernel OOM killer' })),
    startedAt: Type.Optional(Count('ms since the epoch, of the last start')),
    memoryLimit: Type.Optional(Count('bytes; absent when unlimited')),
    labels: Type.Optional(
      Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: Limits.name }), {
        maxProperties: 32,
        description: 'pantau.* and com.docker.compose.project/service labels',
      }),
    ),
    removed: Type.Optional(
      Type.Union([Type.Literal('deliberate'), Type.Literal('gone')], {
        description:
          'with state removed: deliberate after a stop or kill through the API (docker rm, compose down), gone otherwise',
      }),
    ),
  },
  strict,
);

export const SystemInfo = Type.Object(
  {
    hostname: Name,
    os: Text,
    kernel: Type.String({ maxLength: Limits.name }),
    arch: Type.String({ maxLength: 64 }),
    cpuModel: Text,
    cores: Type.Integer({ minimum: 1, maximum: Limits.cores * 16 }),
    memory: Count('bytes'),
    virtualization: Type.Optional(
      Type.String({ maxLength: Limits.name, description: 'e.g. kvm, docker, lxc' }),
    ),
    agentVersion: Type.String({ maxLength: 64 }),
    bootTime: Count('ms since the epoch'),
    ephemeralPorts: Type.Optional(
      Type.Object(
        {
          low: Type.Integer({ minimum: 0, maximum: 65535 }),
          high: Type.Integer({ minimum: 0, maximum: 65535 }),
        },
        {
          ...strict,
          description:
            "the kernel's local port range (net.ipv4.ip_local_port_range); older agents leave it out",
        },
      ),
    ),
  },
  strict,
);

export const CollectorError = Type.Object(
  { collector: Type.String({ maxLength: 64 }), message: Text },
  strict,
);

/**
 * One snapshot. Core numbers are in every snapshot; the heavier parts appear only when their
 * collector ran (processes and ports every 15 s, disks every 30 s, ...).
 */
export const Snapshot = Type.Object(
  {
    seq: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'per-agent sequence number',
    }),
    ts: Type.Integer({ minimum: 0, maximum: 8.64e15, description: 'ms since the epoch' }),
    uptime: Gauge('seconds since boot'),
    cpu: Cpu,
    load: Load,
    memory: Memory,
    swap: Swap,
    diskIo: Type.Optional(DiskIo),
    net: Type.Array(NetInterface, { maxItems: Limits.items }),
    disks: Type.Optional(Type.Array(Disk, { maxItems: Limits.items })),
    processes: Type.Optional(Processes),
    ports: Type.Optional(Type.Array(Port, { maxItems: Limits.items * 8 })),
    checks: Type.Optional(Type.Array(CheckResult, { maxItems: Limits.items })),
    containers: Type.Optional(Type.Array(Container, { maxItems: Limits.items })),
    system: Type.Optional(SystemInfo),
    errors: Type.Optional(
      Type.Array(CollectorError, { maxItems: 64, description: 'collector failures, sent once per change' }),
    ),
    dropped: Type.Optional(Count('snapshots the outbox dropped since the agent started')),
  },
  strict,
);

export type Cpu = Static<typeof Cpu>;
export type Load = Static<typeof Load>;
export type Memory = Static<typeof Memory>;
export type Swap = Static<typeof Swap>;
export type Disk = Static<typeof Disk>;
export type DiskIo = Static<typeof DiskIo>;
export type NetInterface = Static<typeof NetInterface>;
export type Process = Static<typeof Process>;
export type Processes = Static<typeof Processes>;
export type Port = Static<typeof Port>;
export type CheckResult = Static<typeof CheckResult>;
export type Container = Static<typeof Container>;
export type SystemInfo = Static<typeof SystemInfo>;
export type CollectorError = Static<typeof CollectorError>;
export type Snapshot = Static<typeof Snapshot>;
