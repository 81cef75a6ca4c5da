import type { Snapshot } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import type { Host } from '../store/hosts.ts';
import type { LatestState } from '../store/latest.ts';

const Num = Type.Union([Type.Number(), Type.Null()]);

/** One host as the console's live stream shows it: status plus the numbers its pages chart. */
export const LiveHost = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  status: Type.Union([Type.Literal('new'), Type.Literal('online'), Type.Literal('offline')]),
  /** Time of the latest snapshot, ms since the epoch; null before the first. */
  ts: Num,
  cpu: Num,
  /** Memory used, % of total. */
  mem: Num,
  /** The fullest filesystem, % used (disks are reported every 30 s, so this may lag). */
  disk: Num,
  load1: Num,
  memUsed: Num,
  netRx: Num,
  netTx: Num,
  diskRead: Num,
  diskWrite: Num,
});
export type LiveHost = Static<typeof LiveHost>;

/** What the console's stream sends, one SSE event each. */
export const StreamEvents = {
  /** Every host, sent first on each connection. */
  hello: Type.Object({ hosts: Type.Array(LiveHost), incidents: Type.Record(Type.String(), Type.Integer()) }),
  /** Hosts whose snapshot or status changed since the last batch (at most one entry per host). */
  hosts: Type.Object({ hosts: Type.Array(LiveHost) }),
  removed: Type.Object({ ids: Type.Array(Type.Integer()) }),
  /** Open or acknowledged incidents per host id, whenever any of them changes. */
  incidents: Type.Object({ counts: Type.Record(Type.String(), Type.Integer()) }),
  /** Jobs created or changed since the last batch; the page reads them through the API. */
  jobs: Type.Object({ ids: Type.Array(Type.Integer()) }),
};
export type StreamHello = Static<typeof StreamEvents.hello>;
export type StreamHosts = Static<typeof StreamEvents.hosts>;
export type StreamRemoved = Static<typeof StreamEvents.removed>;
export type StreamIncidents = Static<typeof StreamEvents.incidents>;
export type StreamJobs = Static<typeof StreamEvents.jobs>;

const pct = (part: number, total: number) => (total > 0 ? (part / total) * 100 : null);
const maxDisk = (disks: readonly { usedPct: number }[] | undefined) =>
  disks && disks.length > 0 ? Math.max(...disks.map((d) => d.usedPct)) : null;

/** From a host row and what the store holds now (the hello on connect). */
export function liveFromLatest(h: Host, latest: LatestState | undefined): LiveHost {
  const m = latest && latest.ts > 0 ? latest.metrics : null;
  const disks = latest?.areas.disks?.data as { usedPct: number }[] | undefined;
  const v = (name: string) => m?.[name] ?? null;
  const used = v('memory.used');
  const total = v('memory.total');
  return {
    id: h.id,
    name: h.name,
    labels: h.labels,
    status: h.status,
    ts: m ? latest!.ts : null,
    cpu: v('cpu'),
    mem: used !== null && total !== null ? pct(used, total) : null,
    disk: maxDisk(disks),
    load1: v('load.1'),
    memUsed: used,
    netRx: v('net.rx'),
    netTx: v('net.tx'),
    diskRead: v('disk.read'),
    diskWrite: v('disk.write'),
  };
}

/** A stored snapshot applied to the host's previous live view (disks only come now and then). */
export function liveFromSnapshot(previous: LiveHost, s: Snapshot): LiveHost {
  const net = (key: 'rxBps' | 'txBps') =>
    s.net.reduce((sum, n) => (n.iface === 'lo' ? sum : sum + n[key]), 0);
  return {
    ...previous,
    ts: s.ts,
    cpu: s.cpu.total,
    mem: pct(s.memory.used, s.memory.total),
    disk: maxDisk(s.disks) ?? previous.disk,
    load1: s.load.l1,
    memUsed: s.memory.used,
    netRx: net('rxBps'),
    netTx: net('txBps'),
    diskRead: s.diskIo?.readBps ?? null,
    diskWrite: s.diskIo?.writeBps ?? null,
  };
}
