import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { SystemInfo } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { wallClock } from '../clock.ts';
import { AGENT_VERSION } from '../version.ts';
import { parseProcStat } from './cpu.ts';
import { PROC, readProc, SYS } from './procfs.ts';

/** PRETTY_NAME from /etc/os-release, falling back to NAME VERSION. */
export function parseOsRelease(text: string): string {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) values.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  return values.get('PRETTY_NAME') ?? [values.get('NAME'), values.get('VERSION')].filter(Boolean).join(' ');
}

/** The first "model name" (x86) or "Model"/"Hardware" (ARM) line of /proc/cpuinfo. */
export function parseCpuModel(text: string): string {
  for (const key of ['model name', 'Model', 'Hardware', 'cpu model']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(text);
    if (m?.[1]) return m[1].trim();
  }
  return '';
}

/** Container or hypervisor from files anyone can read, when systemd-detect-virt is not there. */
export function guessVirtualization(read: (path: string) => string | undefined): string | undefined {
  if (read('/.dockerenv') !== undefined) return 'docker';
  if (read('/run/.containerenv') !== undefined) return 'podman';
  const cgroup = read(`${PROC}/1/cgroup`) ?? '';
  if (/kubepods/.test(cgroup)) return 'kubernetes';
  if (/docker/.test(cgroup)) return 'docker';
  if (/lxc/.test(cgroup)) return 'lxc';
  const vendor = `${read(`${SYS}/class/dmi/id/sys_vendor`) ?? ''} ${read(`${SYS}/class/dmi/id/product_name`) ?? ''}`;
  const known: Array<[RegExp, string]> = [
    [/KVM|QEMU/i, 'kvm'],
    [/VMware/i, 'vmware'],
    [/VirtualBox/i, 'oracle'],
    [/Xen/i, 'xen'],
    [/Microsoft/i, 'microsoft'],
    [/Amazon EC2/i, 'amazon'],
    [/Google/i, 'google'],
  ];
  for (const [pattern, name] of known) if (pattern.test(vendor)) return name;
  if (/^flags\s*:.*\bhypervisor\b/m.test(read('/proc/cpuinfo') ?? '')) return 'vm';
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function detectVirt(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('systemd-detect-virt', [], { timeout: 2_000 }, (err, stdout) => {
      const out = stdout.trim();
      // Exit status 1 with "none" means bare metal; a missing tool falls back to the files.
      if (out === 'none') resolve(undefined);
      else if (!err && out) resolve(out);
      else resolve(guessVirtualization(readOptional));
    });
  });
}

/** "32768\t60999" from /proc/sys/net/ipv4/ip_local_port_range; undefined when unreadable or odd. */
export function parsePortRange(text: string | undefined): { low: number; high: number } | undefined {
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const [low, high] = [Number(m[1]), Number(m[2])];
  return low <= high && high <= 65535 ? { low, high } : undefined;
}

/** Hostname, OS, kernel, CPU, memory, virtualization, boot time and the ephemeral port range; runs at connect and hourly. */
export async function collectSystem(): Promise<SystemInfo> {
  const cpus = os.cpus();
  const virtualization = await detectVirt();
  const bootSeconds = parseProcStat(readProc(`${PROC}/stat`)).bootTime;
  const info: SystemInfo = {
    hostname: (os.hostname() || 'localhost').slice(0, Limits.name),
    os: parseOsRelease(readOptional('/etc/os-release') ?? '').slice(0, Limits.text) || `${os.type()}`,
    kernel: os.release().slice(0, Limits.name),
    arch: os.arch(),
    cpuModel: (parseCpuModel(readOptional(`${PROC}/cpuinfo`) ?? '') || cpus[0]?.model || '').slice(
      0,
      Limits.text,
    ),
    cores: Math.max(1, cpus.length),
    memory: os.totalmem(),
    agentVersion: AGENT_VERSION,
    bootTime: Math.round(bootSeconds > 0 ? bootSeconds * 1000 : wallClock() - os.uptime() * 1000),
  };
  if (virtualization) info.virtualization = virtualization.slice(0, Limits.name);
  // The collector ignores new listening ports in this range (clients' ports, not services).
  const ephemeralPorts = parsePortRange(readOptional(`${PROC}/sys/net/ipv4/ip_local_port_range`));
  if (ephemeralPorts) info.ephemeralPorts = ephemeralPorts;
  return info;
}
