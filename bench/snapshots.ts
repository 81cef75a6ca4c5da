import type { Snapshot } from '@pantau/shared';
import { fullSnapshot, sampleSnapshot } from '../test/fixtures/samples.ts';

/**
 * A realistic snapshot for benchmarks: the fixture's shape with moving numbers, and the heavier
 * areas on the agent's default cadences (checks 10 s, processes and ports 15 s, disks 30 s).
 */
export function benchSnapshot(seq: number, ts: number, intervalMs: number): Snapshot {
  const t = Math.floor(ts / 1000);
  const due = (everyS: number) => Math.floor(t / everyS) !== Math.floor((t - intervalMs / 1000) / everyS);
  const full = fullSnapshot(seq);
  const cpu = 5 + ((seq * 7919) % 600) / 10;
  const s = sampleSnapshot(seq, {
    ts,
    uptime: 100_000 + t,
    cpu: {
      total: cpu,
      user: cpu * 0.7,
      system: cpu * 0.25,
      iowait: 0.4,
      steal: 0.1,
      cores: [cpu * 0.9, Math.min(cpu * 1.1, 100)],
    },
    load: { l1: (seq % 300) / 100, l5: 0.8, l15: 0.6 },
    memory: {
      total: 4_102_012_928,
      used: 1_500_000_000 + ((seq * 4096 * 13) % 200_000_000),
      available: 2_602_012_928 - ((seq * 4096 * 13) % 200_000_000),
      buffers: 50_000_000,
      cached: 900_000_000,
    },
    diskIo: { readBps: (seq * 131) % 200_000, writeBps: (seq * 977) % 2_000_000 },
    net: [
      {
        iface: 'eth0',
        rxBps: (seq * 311) % 500_000,
        txBps: (seq * 173) % 300_000,
        rxPackets: seq * 90,
        txPackets: seq * 70,
        rxErrors: 0,
        txErrors: 0,
      },
      {
        iface: 'lo',
        rxBps: 1200,
        txBps: 1200,
        rxPackets: seq * 10,
        txPackets: seq * 10,
        rxErrors: 0,
        txErrors: 0,
      },
    ],
  });
  if (due(10)) s.checks = full.checks!;
  if (due(15)) {
    s.processes = full.processes!;
    s.ports = full.ports!;
  }
  if (due(30)) s.disks = full.disks!;
  return s;
}
