// The agents Pantau's is measured against, each started as a child process with its own config
// on loopback and driven the way a server would drive it:
// - prometheus-node-exporter (Debian, default collectors), scraped over HTTP every interval;
// - zabbix_agentd (Debian's zabbix-agent, passive checks), 21 items polled every interval. Debian
//   does not package zabbix_get, so the bench speaks the passive protocol itself: per item a TCP
//   connection sending "ZBXD\x01", the key's length (8 bytes, little-endian) and the key; the
//   agent answers in the same framing and closes;
// - collectd (Debian's default plugins: cpu, df, disk, entropy, interface, irq, load, memory,
//   processes, swap, users, writing RRD files), at the same interval.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export interface Peer {
  name: string;
  /** The process whose tree is measured. */
  child: ChildProcess;
  /** Requests answered so far (scrapes, zabbix items); collectd polls itself. */
  answered(): number;
  stop(): Promise<void>;
}

export const PEERS = ['node_exporter', 'zabbix', 'collectd'] as const;
export type PeerName = (typeof PEERS)[number];

const PROGRAMS: Record<PeerName, { bin: string; pkg: string }> = {
  node_exporter: { bin: 'prometheus-node-exporter', pkg: 'prometheus-node-exporter' },
  zabbix: { bin: 'zabbix_agentd', pkg: 'zabbix-agent' },
  collectd: { bin: 'collectd', pkg: 'collectd' },
};

/** The peers that are not installed, with the apt package that brings each. */
export function missingPeers(names: readonly PeerName[]): string[] {
  return names.flatMap((name) => {
    const { bin, pkg } = PROGRAMS[name];
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      return [];
    } catch {
      return [`${bin} (apt-get install ${pkg})`];
    }
  });
}

/** The version line each peer prints, for the report. */
export function peerVersion(name: PeerName): string {
  const args = name === 'collectd' ? ['-h'] : ['--version'];
  try {
    const out = execFileSync(PROGRAMS[name].bin, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return /\d+\.\d+\.\d+/.exec(out)?.[0] ?? '?';
  } catch (err) {
    return /\d+\.\d+\.\d+/.exec(String((err as { stdout?: string }).stdout))?.[0] ?? '?';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free loopback port below 32768 (zabbix_agentd takes ListenPort 1024–32767 only). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Calls `poll` every `intervalMs` until stopped; counts the polls that succeeded. */
function poller(intervalMs: number, poll: () => Promise<unknown>) {
  let running = true;
  let answered = 0;
  const loop = (async () => {
    await sleep(500);
    while (running) {
      await poll().then(
        () => answered++,
        () => undefined,
      );
      await sleep(intervalMs);
    }
  })();
  return {
    answered: () => answered,
    async stop() {
      running = false;
      await loop;
    },
  };
}

function scrape(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

/** Items a Zabbix "Linux by Zabbix agent" template polls often: CPU, load, memory, swap, net, fs, processes. */
const ZABBIX_ITEMS = [
  'system.cpu.util[,user]',
  'system.cpu.util[,system]',
  'system.cpu.util[,iowait]',
  'system.cpu.util[,steal]',
  'system.cpu.util[,idle]',
  'system.cpu.load[all,avg1]',
  'system.cpu.load[all,avg5]',
  'system.cpu.load[all,avg15]',
  'system.cpu.num',
  'vm.memory.size[total]',
  'vm.memory.size[available]',
  'vm.memory.size[pavailable]',
  'system.swap.size[,total]',
  'system.swap.size[,free]',
  'system.uptime',
  'proc.num[]',
  'proc.num[,,run]',
  'vfs.fs.size[/,used]',
  'vfs.fs.size[/,pused]',
  'net.if.in[lo]',
  'net.if.out[lo]',
];

/** One passive Zabbix check: header "ZBXD", flags 0x01, data length as 8 bytes little-endian, then the key. */
export function zabbixGet(port: number, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(key);
    const head = Buffer.alloc(13);
    head.write('ZBXD\x01', 0, 'latin1');
    head.writeUInt32LE(body.length, 5);
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.concat([head, body])));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const reply = Buffer.concat(chunks);
      if (reply.length < 13 || reply.toString('latin1', 0, 4) !== 'ZBXD')
        return reject(new Error(`no ZBXD reply to ${key}`));
      const value = reply.toString('utf8', 13, 13 + reply.readUInt32LE(5));
      if (value.startsWith('ZBX_NOTSUPPORTED')) reject(new Error(`${key}: ${value}`));
      else resolve(value);
    });
  });
}

export async function startPeer(name: PeerName, dir: string, intervalMs: number): Promise<Peer> {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  switch (name) {
    case 'node_exporter': {
      const child = spawn(PROGRAMS[name].bin, [`--web.listen-address=127.0.0.1:${port}`], {
        stdio: 'ignore',
      });
      const poll = poller(intervalMs, () => scrape(port));
      return {
        name,
        child,
        answered: poll.answered,
        stop: () => poll.stop().then(() => stopChild(child)),
      };
    }
    case 'zabbix': {
      const conf = join(home, 'zabbix_agentd.conf');
      writeFileSync(
        conf,
        [
          'Server=127.0.0.1',
          'ServerActive=',
          'ListenIP=127.0.0.1',
          `ListenPort=${port}`,
          'Hostname=bench',
          `PidFile=${join(home, 'zabbix_agentd.pid')}`,
          `LogFile=${join(home, 'zabbix_agentd.log')}`,
          'AllowRoot=1', // the bench runs as root; the packaged service drops to user zabbix
          '',
        ].join('\n'),
      );
      const child = spawn(PROGRAMS[name].bin, ['--foreground', '-c', conf], { stdio: 'ignore' });
      const poll = poller(intervalMs, async () => {
        for (const key of ZABBIX_ITEMS) await zabbixGet(port, key);
      });
      return {
        name,
        child,
        answered: poll.answered,
        stop: () => poll.stop().then(() => stopChild(child)),
      };
    }
    case 'collectd': {
      const conf = join(home, 'collectd.conf');
      const plugins = [
        'cpu',
        'df',
        'disk',
        'entropy',
        'interface',
        'irq',
        'load',
        'memory',
        'processes',
        'swap',
        'users',
      ];
      writeFileSync(
        conf,
        [
          'Hostname "bench"',
          'FQDNLookup false',
          `BaseDir "${home}"`,
          `PIDFile "${join(home, 'collectd.pid')}"`,
          `Interval ${intervalMs / 1000}`,
          'LoadPlugin logfile',
          `<Plugin logfile>\n  File "${join(home, 'collectd.log')}"\n</Plugin>`,
          ...plugins.map((p) => `LoadPlugin ${p}`),
          '<Plugin df>\n  FSType rootfs\n  FSType sysfs\n  FSType proc\n  FSType devtmpfs\n  FSType devpts\n  FSType tmpfs\n  FSType fusectl\n  FSType cgroup\n  IgnoreSelected true\n</Plugin>',
          'LoadPlugin rrdtool',
          `<Plugin rrdtool>\n  DataDir "${join(home, 'rrd')}"\n</Plugin>`,
          '',
        ].join('\n'),
      );
      const child = spawn(PROGRAMS[name].bin, ['-f', '-C', conf], { stdio: 'ignore' });
      return { name, child, answered: () => 0, stop: () => stopChild(child) };
    }
  }
}
