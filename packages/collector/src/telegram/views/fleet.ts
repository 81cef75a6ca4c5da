import type { CheckResult, Disk } from '@pantau/shared';
import type { Incident } from '../../monitor/incidents.ts';
import type { Host } from '../../store/hosts.ts';
import type { LatestState } from '../../store/latest.ts';
import { ago, clock, percent } from '../format.ts';
import { bold, escapeHtml, MAX_MESSAGE, paginate, table, text } from '../html.ts';

export interface FleetInput {
  hosts: readonly Host[];
  latest(hostId: number): LatestState | undefined;
  now: number;
  timeZone: string;
}

/** /status: up and down counts, open incidents, the busiest hosts. */
export function statusView(f: FleetInput, active: readonly Incident[]): string {
  const count = { online: 0, offline: 0, new: 0 };
  const busy: { name: string; cpu: number; mem: number }[] = [];
  for (const h of f.hosts) {
    count[h.status] += 1;
    if (h.status !== 'online') continue;
    const m = f.latest(h.id)?.metrics;
    if (m === undefined) continue;
    const total = m['memory.total'] ?? 0;
    busy.push({
      name: h.name,
      cpu: m.cpu ?? 0,
      mem: total > 0 ? ((m['memory.used'] ?? 0) / total) * 100 : 0,
    });
  }
  busy.sort((a, b) => b.cpu - a.cpu);
  const down = f.hosts.filter((h) => h.status === 'offline').slice(0, 5);
  const lines = [
    bold(`Fleet · ${f.hosts.length} hosts`),
    `🟢 ${count.online} up · 🔴 ${count.offline} down${count.new > 0 ? ` · ⚪ ${count.new} never connected` : ''}`,
    `${active.length === 0 ? '✅ no open incidents' : `⚠️ ${active.length} open incident${active.length === 1 ? '' : 's'} (/incidents)`}`,
  ];
  if (down.length > 0) {
    lines.push('', 'Down:', ...down.map((h) => `• ${text(h.name)} since ${ago(h.statusSince, f.now)}`));
    if (count.offline > down.length) lines.push(`… and ${count.offline - down.length} more (/hosts down)`);
  }
  if (busy.length > 0) {
    lines.push(
      '',
      'Busiest:',
      table(
        ['host', 'cpu', 'mem'],
        busy.slice(0, 5).map((b) => [b.name, percent(b.cpu), percent(b.mem)]),
      ),
    );
  }
  lines.push(`<i>${escapeHtml(clock(f.now, f.timeZone))} ${escapeHtml(f.timeZone)}</i>`);
  return lines.join('\n');
}

/** Hosts whose name, a label or the words up/down/new match the filter. */
export function filterHosts(hosts: readonly Host[], filter: string): Host[] {
  const f = filter.trim().toLowerCase();
  if (f === '') return [...hosts];
  const status = f === 'up' ? 'online' : f === 'down' ? 'offline' : f === 'new' ? 'new' : undefined;
  if (status !== undefined) return hosts.filter((h) => h.status === status);
  const [key, value] = f.includes('=') ? f.split('=', 2) : [undefined, undefined];
  return hosts.filter((h) =>
    key !== undefined
      ? Object.entries(h.labels).some(([k, v]) => k.toLowerCase() === key && v.toLowerCase() === value)
      : h.name.toLowerCase().includes(f),
  );
}

const MARK = { online: '🟢', offline: '🔴', new: '⚪' } as const;

/** /hosts [filter], one page of it; `pages` says how many there are. */
export function hostsView(
  f: FleetInput,
  filter: string,
  page: number,
): { html: string; page: number; pages: number } {
  const matched = filterHosts(f.hosts, filter).sort((a, b) => a.name.localeCompare(b.name));
  const line = (h: Host) => {
    const m = h.status === 'online' ? f.latest(h.id)?.metrics : undefined;
    const numbers = m === undefined ? `seen ${ago(h.lastSeen, f.now)}` : `cpu ${percent(m.cpu ?? 0)}`;
    return `${MARK[h.status]} ${text(h.name)} · ${numbers}`;
  };
  const lines = matched.map(line);
  const pages = paginate(lines, (l) => l.length, MAX_MESSAGE - 300, 40);
  const index = Math.min(Math.max(page, 0), pages.length - 1);
  const title = filter.trim() === '' ? 'Hosts' : `Hosts matching "${text(filter, 32)}"`;
  const header = `${bold(title)} · ${matched.length}${pages.length > 1 ? ` · page ${index + 1}/${pages.length}` : ''}`;
  const body =
    lines.length === 0
      ? 'No host matches. Try /hosts with part of a name, up, down or key=value.'
      : pages[index]!.join('\n');
  return { html: `${header}\n${body}`, page: index, pages: pages.length };
}

/** /disk without a host: the fullest filesystems of the fleet. */
export function fleetDiskView(f: FleetInput): string {
  const rows: { host: string; d: Disk }[] = [];
  for (const h of f.hosts) {
    const disks = f.latest(h.id)?.areas.disks?.data as Disk[] | undefined;
    for (const d of disks ?? []) rows.push({ host: h.name, d });
  }
  rows.sort((a, b) => b.d.usedPct - a.d.usedPct);
  const shown = rows.slice(0, 25).map((r) => [r.host, r.d.mount, percent(r.d.usedPct)]);
  return `${bold('Fullest filesystems')} · ${rows.length} in the fleet\n${
    shown.length === 0 ? 'No disk reports yet.' : table(['host', 'mount', 'use'], shown)
  }\nOne host: /disk HOST`;
}

/** /checks without a host: failing checks across the fleet. */
export function fleetChecksView(f: FleetInput): string {
  const failing: string[] = [];
  let total = 0;
  for (const h of f.hosts) {
    const checks = f.latest(h.id)?.areas.checks?.data as CheckResult[] | undefined;
    for (const c of checks ?? []) {
      total += 1;
      if (!c.ok) failing.push(`❌ ${text(h.name)} · ${text(c.name)}: ${text(c.error ?? 'failing', 100)}`);
    }
  }
  const shown = failing.slice(0, 40);
  const more = failing.length > shown.length ? `\n… and ${failing.length - shown.length} more` : '';
  return `${bold('Checks')} · ${total} in the fleet, ${failing.length} failing\n${
    failing.length === 0 ? '✅ all passing' : shown.join('\n') + more
  }\nOne host: /checks HOST`;
}

/** /incidents: the active ones, newest first. */
export function incidentsView(
  active: readonly Incident[],
  hostName: (id: number) => string,
  now: number,
  personName: (actor: string) => string,
): string {
  if (active.length === 0) return '✅ No open incidents.';
  const lines = active.slice(0, 30).map((i) => {
    const mark =
      i.status === 'acknowledged'
        ? '👀'
        : i.severity === 'critical'
          ? '🔴'
          : i.severity === 'warning'
            ? '🟠'
            : '🔵';
    const ack =
      i.status === 'acknowledged'
        ? ` · ack by ${text(i.acknowledgedBy ? personName(i.acknowledgedBy) : '?', 32)}`
        : '';
    return `${mark} #${i.id} ${text(i.title, 80)} · ${text(hostName(i.hostId))} · ${ago(i.openedAt, now)}${ack}`;
  });
  const more = active.length > 30 ? `\n… and ${active.length - 30} more` : '';
  return `${bold(`Open incidents · ${active.length}`)}\n${lines.join('\n')}${more}`;
}
