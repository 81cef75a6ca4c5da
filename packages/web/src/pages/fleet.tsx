import { useComputed, useSignal } from '@preact/signals';
import { Choice } from '../components/choice.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Windowed } from '../components/windowed.tsx';
import { ago, num, pct } from '../format.ts';
import { clock, type FleetHost, fleet, incidentCounts } from '../live.ts';

type SortKey = 'name' | 'status' | 'cpu' | 'mem' | 'disk' | 'load1' | 'incidents';

const STATUS_ORDER: Record<string, number> = { offline: 0, new: 1, online: 2 };

/** `env=prod` matches a label; anything else matches the name or any label value. */
function matches(h: FleetHost, text: string): boolean {
  if (!text) return true;
  const eq = text.indexOf('=');
  if (eq > 0) return h.labels[text.slice(0, eq).trim()] === text.slice(eq + 1).trim();
  const t = text.toLowerCase();
  return h.name.toLowerCase().includes(t) || Object.values(h.labels).some((v) => v.toLowerCase().includes(t));
}

/** Every host with its status and numbers, live; filter, sort, and only visible rows rendered. */
export function FleetPage() {
  const filter = useSignal(new URLSearchParams(location.search).get('q') ?? '');
  const status = useSignal('all');
  const sort = useSignal<SortKey>('name');
  const rows = useComputed(() => {
    const counts = incidentCounts.value;
    const key = sort.value;
    const list = [...fleet.value.values()].filter(
      (h) => (status.value === 'all' || h.status === status.value) && matches(h, filter.value.trim()),
    );
    const value = (h: FleetHost): number | string => {
      if (key === 'name') return h.name;
      if (key === 'status') return STATUS_ORDER[h.status] ?? 3;
      if (key === 'incidents') return -(counts[h.id] ?? 0);
      return -(h[key] ?? -1);
    };
    return list.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va < vb) return -1;
      if (va > vb) return 1;
      return a.name.localeCompare(b.name);
    });
  });
  const totals = useComputed(() => {
    let online = 0;
    for (const h of fleet.value.values()) if (h.status === 'online') online++;
    return { all: fleet.value.size, online };
  });

  return (
    <div class="page fleet">
      <header class="page-head">
        <h1>Fleet</h1>
        <p class="muted" data-testid="fleet-totals">
          {totals.value.online} of {totals.value.all} online · showing {rows.value.length}
        </p>
      </header>
      <div class="toolbar">
        <input
          type="search"
          placeholder="Filter by name or label (env=prod)"
          aria-label="Filter hosts"
          value={filter.value}
          onInput={(e) => {
            filter.value = e.currentTarget.value;
          }}
        />
        <Choice
          ariaLabel="Status"
          value={status.value}
          options={[['all', 'all statuses'], 'online', 'offline', 'new']}
          onChange={(v) => (status.value = v)}
        />
        <Choice<SortKey>
          ariaLabel="Sort by"
          value={sort.value}
          options={[
            ['name', 'sort: name'],
            ['status', 'sort: status (offline first)'],
            ['cpu', 'sort: CPU'],
            ['mem', 'sort: memory'],
            ['disk', 'sort: disk'],
            ['load1', 'sort: load'],
            ['incidents', 'sort: incidents'],
          ]}
          onChange={(v) => (sort.value = v)}
        />
      </div>
      <div class="fleet-head fleet-row" aria-hidden="true">
        <span>host</span>
        <span>CPU</span>
        <span>memory</span>
        <span class="wide">disk</span>
        <span class="wide">load</span>
        <span>incidents</span>
      </div>
      {fleet.value.size === 0 ? (
        <p class="empty">No hosts yet. An admin adds one with POST /api/v1/hosts or the CLI.</p>
      ) : (
        <Windowed items={rows.value} rowHeight={52} row={(h) => <HostRow key={h.id} host={h} />} />
      )}
    </div>
  );
}

function HostRow({ host }: { host: FleetHost }) {
  const open = incidentCounts.value[host.id] ?? 0;
  const labels = Object.entries(host.labels);
  // An offline host's figures are its last snapshot's: greyed, never shown as current.
  const stale = host.status === 'online' ? '' : ' stale';
  return (
    <div class={`fleet-row host-${host.status}`} data-host={host.name} data-testid="host-row">
      <span class="host-name">
        <StatusBadge status={host.status} />
        <a href={`/hosts/${host.id}`}>{host.name}</a>
        <span class="labels">
          {labels.slice(0, 3).map(([k, v]) => (
            <span class="label" key={k}>
              {k}={v}
            </span>
          ))}
        </span>
        <span class="seen muted">{host.ts ? ago(host.ts, clock.value) : 'no data yet'}</span>
      </span>
      <span class={`metric${stale}`}>
        <span data-testid="cpu">{pct(host.cpu)}</span>
        <Sparkline values={host.sparkCpu} label="CPU, recent" />
      </span>
      <span class={`metric${stale}`}>
        <span data-testid="mem">{pct(host.mem)}</span>
        <Sparkline values={host.sparkMem} label="memory, recent" />
      </span>
      <span class={`metric wide${stale}`}>{pct(host.disk)}</span>
      <span class={`metric wide${stale}`}>{num(host.load1)}</span>
      <span>
        {open > 0 ? (
          <a class="badge incident" href={`/incidents?hostId=${host.id}`}>
            {open} open
          </a>
        ) : (
          <span class="muted">–</span>
        )}
      </span>
    </div>
  );
}
