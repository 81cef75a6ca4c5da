import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netBetween, parseNetDev } from './network.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('network', () => {
  it('parses /proc/net/dev without loopback', () => {
    const counters = parseNetDev(data('net-dev-a.txt'));
    expect(counters.map((c) => c.iface)).toEqual(['eth0', 'docker0', 'wlan0']);
    expect(counters[0]).toEqual({
      iface: 'eth0',
      rxBytes: 485_717_451,
      rxPackets: 14_110,
      rxErrors: 0,
      txBytes: 943_379,
      txPackets: 8_399,
      txErrors: 0,
    });
    expect(counters[2]?.rxErrors).toBe(3);
  });

  it('turns two readings into bytes/s; a reset counter or a new interface reads 0', () => {
    const net = netBetween(parseNetDev(data('net-dev-a.txt')), parseNetDev(data('net-dev-b.txt')), 2);
    const by = Object.fromEntries(net.map((n) => [n.iface, n]));
    expect(by.eth0).toMatchObject({ rxBps: 10_000, txBps: 5_000, rxPackets: 14_150, txPackets: 8_420 });
    expect(by.wlan0).toMatchObject({ rxBps: 0, txBps: 0 }); // counter went back (driver reset)
    expect(by.tun0).toMatchObject({ rxBps: 0, txBps: 0, rxPackets: 4 });
  });
});
