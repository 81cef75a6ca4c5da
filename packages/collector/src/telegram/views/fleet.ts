import type { CheckResult, Disk } from '@pantau/shared';
import type { Incident } from '../../monitor/incidents.ts';
import type { Host } from '../../store/hosts.ts';
import type { LatestState } from '../../store/latest.ts';
import { ago, clock, percent } from '../format.ts';
import { bold, escapeHtml, MAX_MESSAGE, paginate, table, text } from '../html.ts';

export interface FleetInput {
  hosts: readonly Host[];
  /** Hosts with an open or acknowledged incident. */
  problems: ReadonlySet<number>;
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
  lines.push(`<i>${escapeHtml(clock(f.now, f.timeZone))}</i>`);
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

/** Offline hosts first, then those with a problem, then the healthy ones, and those never connected last. */
function attention(h: Host, problems: ReadonlySet<number>): number {
  if (h.status === 'offline') return 0;
  if (problems.has(h.id)) return 1;
  return h.status === 'online' ? 2 : 3;
}

/** /hosts [filter], one page of it, the hosts that need attention first; `pages` says how many there are. */
export function hostsView(
  f: FleetInput,
  filter: string,
  page: number,
): { html: string; page: number; pages: number } {
  const matched = filterHosts(f.hosts, filter).sort(
    (a, b) => attention(a, f.problems) - attention(b, f.problems) || a.name.localeCompare(b.name),
  );
  const line = (h: Host) => {
    const m = h.status === 'online' ? f.latest(h.id)?.metrics : undefined;
    const numbers = m === undefined ? `seen ${ago(h.lastSeen, f.now)}` : `cpu ${percent(m.cpu ?? 0)}`;
    const mark = h.status === 'online' && f.problems.has(h.id) ? '⚠️' : MARK[h.status];
    return `${mark} ${text(h.name)} · ${numbers}`;
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

/** How /incidents reads each incident's marks. */
export interface IncidentMarksInput {
  hostName(id: number): string;
  /** End of the silence holding the incident's notices back now, or null. */
  silencedUntil(incident: Incident): number | null;
  now: number;
  timeZone: string;
  personName(actor: string): string;
}

/** /incidents: the active ones, newest first, each marked flapping, silenced until, acknowledged by. */
export function incidentsView(active: readonly Incident[], m: IncidentMarksInput): string {
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
    const until = m.silencedUntil(i);
    const marks = [
      ...(i.flappingSince !== null ? ['〰️ flapping'] : []),
      ...(until !== null ? [`🔕 silenced until ${escapeHtml(clock(until, m.timeZone))}`] : []),
      ...(i.status === 'acknowledged'
        ? [`ack by ${text(i.acknowledgedBy ? m.personName(i.acknowledgedBy) : '?', 32)}`]
        : []),
    ];
    const tail = marks.length === 0 ? '' : `\n    ${marks.join(' · ')}`;
    return `${mark} #${i.id} ${text(i.title, 80)} · ${text(m.hostName(i.hostId))} · ${ago(i.openedAt, m.now)}${tail}`;
  });
  const more = active.length > 30 ? `\n… and ${active.length - 30} more` : '';
  return `${bold(`Open incidents · ${active.length}`)}\n${lines.join('\n')}${more}`;
}
