import type { CheckChangeBody, HostDetailBody, IncidentBody, LatestBody } from '@pantau/collector/api-types';
import { useComputed, useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, can, errorText } from '../api.ts';
import { Chart } from '../components/chart.tsx';
import { ContainerChart } from '../components/container-chart.tsx';
import { DataTable } from '../components/data-table.tsx';
import { StatusBadge } from '../components/status.tsx';
import { ago, bytes, duration, num, pct, rate, time } from '../format.ts';
import { clock, fleet } from '../live.ts';
import { HOST_CHARTS } from './host-charts.ts';

const RANGES: [string, number][] = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
  ['30d', 30 * 86_400_000],
];

/** One host: live charts over a chosen range, then what its agent last reported, area by area. */
export function HostPage({ id }: { id: number }) {
  const range = useSignal(RANGES[0]![1]);
  const detail = useSignal<HostDetailBody | null>(null);
  const latest = useSignal<LatestBody | null>(null);
  const incidents = useSignal<IncidentBody[]>([]);
  const checkHistory = useSignal<CheckChangeBody[]>([]);
  const container = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  const live = useComputed(() => fleet.value.get(id) ?? null);

  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const [d, l, i, c] = await Promise.all([
          api<HostDetailBody>(`/hosts/${id}`),
          api<LatestBody>(`/hosts/${id}/latest`).catch(() => null),
          api<{ items: IncidentBody[] }>(`/incidents?hostId=${id}&limit=20`),
          api<CheckChangeBody[]>(`/hosts/${id}/checks/history`),
        ]);
        if (stop) return;
        detail.value = d;
        latest.value = l;
        incidents.value = i.items;
        checkHistory.value = c;
        error.value = null;
      } catch (err) {
        if (!stop) error.value = errorText(err);
      }
    };
    void load();
    // Processes, ports and checks come every 15 s from the agent; the table follows.
    const timer = setInterval(load, 10_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [id]);

  const d = detail.value;
  const h = live.value;
  if (error.value && !d)
    return (
      <div class="page">
        <p class="error">{error.value}</p>
      </div>
    );
  if (!d)
    return (
      <div class="page">
        <p class="muted">Loading…</p>
      </div>
    );
  const l = latest.value;
  const at = h?.ts ?? null;
  const procs = l?.processes?.data;
  return (
    <div class="page host">
      <header class="page-head" data-ts={at ?? undefined}>
        <h1>
          <StatusBadge status={h?.status ?? d.status} /> <span data-testid="host-name">{d.name}</span>
        </h1>
        <p class="muted">
          {Object.entries(d.labels).map(([k, v]) => (
            <span class="label" key={k}>
              {k}={v}
            </span>
          ))}{' '}
          last snapshot {ago(at ?? d.lastSeen, clock.value)} · agent {d.agentVersion ?? '–'}
          {can('job.run') && (
            <>
              {' · '}
              <a href={`/actions?host=${id}`}>run an activity on this host</a>
            </>
          )}
        </p>
        <div class={(h?.status ?? d.status) === 'online' ? 'now' : 'now stale'}>
          <span>
            CPU <b data-testid="host-cpu">{pct(h?.cpu)}</b>
          </span>
          <span>
            memory <b>{pct(h?.mem)}</b>
          </span>
          <span>
            disk <b>{pct(h?.disk)}</b>
          </span>
          <span>
            load <b>{num(h?.load1)}</b>
          </span>
          <span>
            net{' '}
            <b>
              {rate(h?.netRx)} ↓ {rate(h?.netTx)} ↑
            </b>
          </span>
        </div>
      </header>
      {error.value && <p class="error">{error.value}</p>}
      <fieldset class="ranges" aria-label="Time range">
        {RANGES.map(([label, ms]) => (
          <button
            type="button"
            key={label}
            aria-pressed={range.value === ms}
            onClick={() => (range.value = ms)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      <div class="charts">
        {HOST_CHARTS.map((c) => (
          <Chart
            key={c.title}
            hostId={id}
            title={c.title}
            rangeMs={range.value}
            yMax={c.yMax}
            format={c.format}
            series={c.series}
            live={{ ts: at, values: c.live(h) }}
          />
        ))}
      </div>

      <section>
        <h2>Incidents</h2>
        {incidents.value.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <ul class="plain">
            {incidents.value.map((i) => (
              <li key={i.id}>
                <span class={`badge sev-${i.severity}`}>{i.status}</span> {i.title}{' '}
                <span class="muted">
                  {time(i.openedAt)}
                  {i.durationMs !== null && ` · lasted ${duration(i.durationMs)}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>Top processes {procs && <small class="muted">{procs.count} running</small>}</h2>
        <DataTable
          testid="processes"
          rows={procs?.topCpu ?? []}
          rowKey={(p) => p.pid}
          columns={[
            { head: 'pid', cell: (p) => p.pid },
            { head: 'user', cell: (p) => p.user },
            { head: 'CPU', cell: (p) => pct(p.cpu) },
            { head: 'memory', cell: (p) => bytes(p.rss) },
            { head: 'command', class: 'cmd', title: (p) => p.command, cell: (p) => p.command || p.name },
          ]}
        />
      </section>

      <section>
        <h2>Disks</h2>
        <DataTable
          rows={l?.disks?.data ?? []}
          rowKey={(disk) => disk.mount}
          columns={[
            { head: 'mount', cell: (disk) => disk.mount },
            { head: 'device', cell: (disk) => disk.device },
            { head: 'used', cell: (disk) => pct(disk.usedPct) },
            { head: 'size', cell: (disk) => bytes(disk.size) },
          ]}
        />
      </section>

      <section>
        <h2>Listening ports</h2>
        <DataTable
          testid="ports"
          rows={l?.ports?.data ?? []}
          rowKey={(p) => `${p.proto}${p.address}${p.port}`}
          columns={[
            { head: 'proto', cell: (p) => p.proto },
            { head: 'address', cell: (p) => p.address },
            { head: 'port', cell: (p) => p.port },
            { head: 'pid', cell: (p) => p.pid ?? '–' },
            { head: 'process', cell: (p) => p.process ?? '–' },
          ]}
        />
      </section>

      <section>
        <h2>Checks</h2>
        <DataTable
          empty="No service checks configured on this agent."
          rows={l?.checks?.data ?? []}
          rowKey={(c) => c.name}
          columns={[
            { head: 'check', cell: (c) => c.name },
            { head: 'target', cell: (c) => c.target },
            {
              head: 'state',
              cell: (c) =>
                c.ok ? (
                  <span class="badge status-online">ok</span>
                ) : (
                  <span class="badge status-offline" title={c.error}>
                    failing
                  </span>
                ),
            },
            { head: 'latency', cell: (c) => `${num(c.latencyMs, 0)} ms` },
            {
              head: 'changes (24h)',
              cell: (c) =>
                checkHistory.value
                  .filter((x) => x.name === c.name)
                  .slice(-5)
                  .map((x) => (
                    <span
                      key={x.ts}
                      class={`tick ${x.ok ? 'ok' : 'bad'}`}
                      title={`${time(x.ts)} ${x.ok ? 'ok' : (x.error ?? 'failing')}`}
                    />
                  )),
            },
          ]}
        />
      </section>

      <section>
        <h2>Containers</h2>
        <p class="muted">
          CPU is per core, as docker stats: 200 % is two cores busy. Pick a name for its charts.
        </p>
        <DataTable
          testid="containers"
          empty="None reported."
          rows={l?.containers?.data ?? []}
          rowKey={(c) => c.id}
          columns={[
            {
              head: 'name',
              cell: (c) => (
                <button
                  type="button"
                  class="link"
                  aria-pressed={container.value === c.name}
                  onClick={() => (container.value = container.value === c.name ? null : c.name)}
                >
                  {c.name}
                </button>
              ),
            },
            { head: 'image', cell: (c) => c.image },
            {
              head: 'state',
              cell: (c) => (c.exitCode && c.state !== 'running' ? `${c.state} (${c.exitCode})` : c.state),
            },
            { head: 'health', cell: (c) => c.health ?? '–' },
            {
              head: 'uptime',
              cell: (c) => (c.state === 'running' && c.startedAt ? duration(Date.now() - c.startedAt) : '–'),
            },
            { head: 'restarts', cell: (c) => c.restarts ?? '–' },
            { head: 'CPU', cell: (c) => pct(c.cpu) },
            { head: 'memory', cell: (c) => bytes(c.memory) },
          ]}
        />
        {container.value && <ContainerChart hostId={id} name={container.value} rangeMs={range.value} />}
      </section>

      <section>
        <h2>System</h2>
        {d.system ? (
          <dl class="facts">
            <dt>hostname</dt>
            <dd>{d.system.hostname}</dd>
            <dt>OS</dt>
            <dd>{d.system.os}</dd>
            <dt>kernel</dt>
            <dd>
              {d.system.kernel} ({d.system.arch})
            </dd>
            <dt>CPU</dt>
            <dd>
              {d.system.cpuModel}, {d.system.cores} cores
            </dd>
            <dt>memory</dt>
            <dd>{bytes(d.system.memory)}</dd>
            <dt>booted</dt>
            <dd>{time(d.system.bootTime)}</dd>
            {d.system.virtualization && (
              <>
                <dt>virtualization</dt>
                <dd>{d.system.virtualization}</dd>
              </>
            )}
          </dl>
        ) : (
          <p class="muted">The agent has not reported its system yet.</p>
        )}
      </section>
    </div>
  );
}
