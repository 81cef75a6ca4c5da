import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemInfo, validate } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import {
  collectSystem,
  guessVirtualization,
  parseCpuModel,
  parseOsRelease,
  parsePortRange,
} from './system.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('system info', () => {
  it("reads the kernel's ephemeral port range, and refuses anything else", () => {
    expect(parsePortRange('32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(parsePortRange('1024 65535')).toEqual({ low: 1024, high: 65535 });
    for (const odd of [undefined, '', '60999 32768', '1 99999', 'x y'])
      expect(parsePortRange(odd)).toBeUndefined();
  });

  it('reads the OS name from os-release', () => {
    expect(parseOsRelease(data('os-release.txt'))).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(parseOsRelease('NAME="Alpine Linux"\nVERSION="3.20"\n')).toBe('Alpine Linux 3.20');
  });

  it('reads the CPU model on x86 and ARM', () => {
    expect(parseCpuModel(data('cpuinfo.txt'))).toBeTruthy();
    expect(parseCpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\n')).toBe(
      'AMD EPYC 7763 64-Core Processor',
    );
    expect(parseCpuModel('processor : 0\nBogoMIPS : 108.00\nModel : Raspberry Pi 4 Model B Rev 1.4\n')).toBe(
      'Raspberry Pi 4 Model B Rev 1.4',
    );
  });

  it('guesses containers and hypervisors from readable files', () => {
    const files = (map: Record<string, string>) => (path: string) => map[path];
    expect(guessVirtualization(files({ '/.dockerenv': '' }))).toBe('docker');
    expect(guessVirtualization(files({ '/proc/1/cgroup': '0::/kubepods/besteffort/pod1' }))).toBe(
      'kubernetes',
    );
    expect(guessVirtualization(files({ '/sys/class/dmi/id/sys_vendor': 'QEMU\n' }))).toBe('kvm');
    expect(guessVirtualization(files({ '/proc/cpuinfo': 'flags\t\t: fpu vme hypervisor lahf_lm\n' }))).toBe(
      'vm',
    );
    expect(guessVirtualization(files({}))).toBeUndefined();
  });

  it('collects a valid SystemInfo for this machine', async () => {
    const info = await collectSystem();
    expect(validate(SystemInfo, info)).toBe(true);
    expect(info.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.ephemeralPorts).toEqual(
      parsePortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')),
    );
    expect(
      Math.abs(
        info.bootTime - (Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000),
      ),
    ).toBeLessThan(2_000);
  });
});
