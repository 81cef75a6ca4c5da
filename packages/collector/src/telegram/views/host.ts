import type { CheckResult, Container, Disk, Port, Processes, SystemInfo } from '@pantau/shared';
import type { Host } from '../../store/hosts.ts';
import type { AreaState, LatestState } from '../../store/latest.ts';
import { ago, clock, formatBytes, formatValue, percent, uptime } from '../format.ts';
import { bold, code, escapeHtml, table, text } from '../html.ts';

/** The host views a user can ask for; each is a command and a button verb. */
export const HOST_VIEWS = ['cpu', 'ram', 'system', 'disk', 'top', 'ports', 'checks', 'containers'] as const;
export type HostView = (typeof HOST_VIEWS)[number];

/** The chart each view's "Chart" button draws. */
export const VIEW_CHART: Record<HostView, 'cpu' | 'memory' | 'disk' | 'net' | 'load'> = {
  cpu: 'cpu',
  ram: 'memory',
  system: 'load',
  disk: 'disk',
  top: 'cpu',
  ports: 'net',
  checks: 'net',
  containers: 'cpu',
};

export interface ViewInput {
  host: Host;
  latest: LatestState | undefined;
  now: number;
  timeZone: string;
}

/** First line of every host answer: name, status and how fresh the data is. */
function heading(title: string, v: ViewInput, reportedAt?: number): string {
  const status =
    v.host.status === 'online' ? '🟢 online' : v.host.status === 'offline' ? '🔴 offline' : '⚪ new';
  const at = reportedAt ?? v.latest?.ts;
  const seen = at === undefined ? 'no data yet' : `reported ${ago(at, v.now)}`;
  return `${bold(`${escapeHtml(title)} · ${text(v.host.name)}`)}\n${status} · ${seen}`;
}

function area<T>(v: ViewInput, name: keyof LatestState['areas']): AreaState<T> | undefined {
  return v.latest?.areas[name] as AreaState<T> | undefined;
}

const noData = (v: ViewInput, what: string) =>
  `${heading(what, v)}\n\nThe agent has not reported ${what.toLowerCase()} yet.`;

export function renderHostView(view: HostView, v: ViewInput): string {
  switch (view) {
    case 'cpu':
      return cpuView(v);
    case 'ram':
      return ramView(v);
    case 'system':
      return systemView(v);
    case 'disk':
      return diskView(v);
    case 'top':
      return topView(v);
    case 'ports':
      return portsView(v);
    case 'checks':
      return checksView(v);
    case 'containers':
      return containersView(v);
  }
}

function cpuView(v: ViewInput): string {
  const m = v.latest?.metrics;
  if (m === undefined) return noData(v, 'CPU');
  const rows: string[][] = [
    ['busy', percent(m.cpu ?? 0)],
    ['user', percent(m['cpu.user'] ?? 0)],
    ['system', percent(m['cpu.system'] ?? 0)],
    ['iowait', percent(m['cpu.iowait'] ?? 0)],
    ['steal', percent(m['cpu.steal'] ?? 0)],
  ];
  const cores = v.latest?.cpuCores ?? [];
  const load = `load ${formatValue(m['load.1'] ?? 0, 'load')} ${formatValue(m['load.5'] ?? 0, 'load')} ${formatValue(m['load.15'] ?? 0, 'load')}`;
  const coreLine =
    cores.length === 0
      ? ''
      : `\n${cores.length} cores: ${cores
          .slice(0, 64)
          .map((c) => Math.round(c))
          .join(' ')} %${cores.length > 64 ? ' …' : ''}`;
  return `${heading('CPU', v)}\n${table(['', 'now'], rows)}\n${escapeHtml(load)}${escapeHtml(coreLine)}`;
}

function ramView(v: ViewInput): string {
  const m = v.latest?.metrics;
  if (m === undefined) return noData(v, 'Memory');
  const total = m['memory.total'] ?? 0;
  const used = m['memory.used'] ?? 0;
  const share = (n: number) => (total > 0 ? percent((n / total) * 100) : '-');
  const rows = [
    ['used', formatBytes(used), share(used)],
    ['available', formatBytes(m['memory.available'] ?? 0), share(m['memory.available'] ?? 0)],
    ['total', formatBytes(total), ''],
    ['swap used', formatBytes(m['swap.used'] ?? 0), ''],
  ];
  return `${heading('Memory', v)}\n${table(['', 'bytes', 'share'], rows)}`;
}

function systemView(v: ViewInput): string {
  const s = v.host.system as SystemInfo | null;
  const lines = [heading('System', v), ''];
  if (s !== null) {
    lines.push(
      `OS: ${text(s.os, 80)}`,
      `Kernel: ${text(s.kernel)} (${text(s.arch)})`,
      `CPU: ${text(s.cpuModel, 80)}, ${s.cores} cores`,
      `Memory: ${formatBytes(s.memory)}`,
    );
    if (s.virtualization) lines.push(`Virtualization: ${text(s.virtualization)}`);
    lines.push(`Booted: ${escapeHtml(clock(s.bootTime, v.timeZone))}`);
  }
  if (v.latest?.uptime != null) lines.push(`Uptime: ${uptime(v.latest.uptime)}`);
  lines.push(
    `Agent: ${text(v.host.agentVersion ?? 'unknown')}, every ${((v.host.intervalMs ?? 0) / 1000).toString()} s`,
  );
  const labels = Object.entries(v.host.labels);
  if (labels.length > 0)
    lines.push(
      `Labels: ${labels
        .slice(0, 10)
        .map(([k, val]) => code(`${k}=${val}`))
        .join(' ')}`,
    );
  lines.push(`Last seen: ${ago(v.host.lastSeen, v.now)}`);
  return lines.join('\n');
}

function diskView(v: ViewInput): string {
  const disks = area<Disk[]>(v, 'disks');
  if (disks === undefined) return noData(v, 'Disks');
  const rows = disks.data
    .slice(0, 30)
    .map((d) => [d.mount, formatBytes(d.used), formatBytes(d.size), percent(d.usedPct)]);
  const io = v.latest?.metrics;
  const ioLine =
    io === undefined
      ? ''
      : `\nI/O: read ${formatValue(io['disk.read'] ?? 0, 'bytes/s')}, write ${formatValue(io['disk.write'] ?? 0, 'bytes/s')}`;
  return `${heading('Disks', v, disks.ts)}\n${table(['mount', 'used', 'size', 'use'], rows)}${escapeHtml(ioLine)}`;
}

function topView(v: ViewInput): string {
  const p = area<Processes>(v, 'processes');
  if (p === undefined) return noData(v, 'Processes');
  const row = (x: Processes['topCpu'][number]) => [String(x.pid), x.name, percent(x.cpu), formatBytes(x.rss)];
  // Rows of at most 36 monospace characters (a phone's width): no user column, names clipped to 12, one space apart.
  const rows = (list: Processes['topCpu']) =>
    table(['pid', 'name', 'cpu', 'rss'], list.slice(0, 10).map(row), TOP_NAME, 1);
  return [
    `${heading('Top processes', v, p.ts)} · ${p.data.count} running`,
    'By CPU',
    rows(p.data.topCpu),
    'By memory',
    rows(p.data.topMem),
  ].join('\n');
}

const TOP_NAME = 12;

function portsView(v: ViewInput): string {
  const ports = area<Port[]>(v, 'ports');
  if (ports === undefined) return noData(v, 'Ports');
  const sorted = [...ports.data].sort((a, b) => a.port - b.port);
  const shown = sorted.slice(0, 60);
  const rows = shown.map((p) => [p.proto, p.address, String(p.port), p.process ?? '']);
  const more = sorted.length > shown.length ? `\n… and ${sorted.length - shown.length} more` : '';
  return `${heading('Listening ports', v, ports.ts)}\n${table(['proto', 'address', 'port', 'process'], rows)}${more}`;
}

function checksView(v: ViewInput): string {
  const checks = area<CheckResult[]>(v, 'checks');
  if (checks === undefined) return noData(v, 'Checks');
  const lines = checks.data
    .slice(0, 40)
    .map(
      (c) =>
        `${c.ok ? '✅' : '❌'} ${text(c.name)} ${code(c.target)} ${c.ok ? `${c.latencyMs.toFixed(1)} ms` : text(c.error ?? 'failing', 120)}`,
    );
  return `${heading('Checks', v, checks.ts)}\n${lines.length === 0 ? 'No checks configured on this agent.' : lines.join('\n')}`;
}

function containersView(v: ViewInput): string {
  const containers = area<Container[]>(v, 'containers');
  if (containers === undefined) return noData(v, 'Containers');
  const rows = containers.data
    .slice(0, 40)
    .map((c) => [
      c.name,
      containerState(c),
      c.state === 'running' && c.startedAt ? uptime(Math.max(0, (v.now - c.startedAt) / 1000)) : '-',
      c.restarts === undefined ? '-' : String(c.restarts),
      percent(c.cpu),
      formatBytes(c.memory),
    ]);
  if (rows.length === 0) return `${heading('Containers', v, containers.ts)}\nNo containers.`;
  return `${heading('Containers', v, containers.ts)}\n${table(['name', 'state', 'up', 'restarts', 'cpu', 'memory'], rows)}\nCPU is per core, as docker stats: 200 % is two cores busy.`;
}

/** "running", "running, unhealthy", "exited 137", "exited, OOM". */
function containerState(c: Container): string {
  if (c.state === 'running') return c.health && c.health !== 'healthy' ? `running, ${c.health}` : 'running';
  if (c.oomKilled) return `${c.state}, OOM`;
  return c.exitCode === undefined || c.state === 'created' ? c.state : `${c.state} ${c.exitCode}`;
}
