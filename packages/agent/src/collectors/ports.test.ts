import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PortCollector,
  parseNetSockets,
  pastListeners,
  REREAD_MS,
  SocketOwners,
  toPorts,
  UNOWNED_REREAD_MS,
} from './ports.ts';
import { readProc, readProcUntil } from './procfs.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('ports', () => {
  it('parses listening TCP sockets and skips connections', () => {
    expect(parseNetSockets(data('net-tcp.txt'), 'tcp')).toEqual([
      { proto: 'tcp', address: '0.0.0.0', port: 22, inode: 18471 },
      { proto: 'tcp', address: '127.0.0.1', port: 8080, inode: 29911 },
      { proto: 'tcp', address: '127.0.0.53', port: 53, inode: 17520 },
      { proto: 'tcp', address: '0.0.0.0', port: 8081, inode: 29912 },
      { proto: 'tcp', address: '0.0.0.0', port: 8081, inode: 29913 },
    ]);
  });

  it('decodes IPv6 addresses, compressed, with v4-mapped ones in dotted form', () => {
    expect(parseNetSockets(data('net-tcp6.txt'), 'tcp6').map((l) => `[${l.address}]:${l.port}`)).toEqual([
      '[::]:22',
      '[::1]:3306',
      '[::ffff:127.0.0.1]:8082',
      '[fe80::5254:ff:fe34:12]:80',
    ]);
  });

  it('keeps bound, unconnected UDP sockets only', () => {
    expect(parseNetSockets(data('net-udp.txt'), 'udp').map((l) => `${l.address}:${l.port}`)).toEqual([
      '127.0.0.53:53',
      '0.0.0.0:68',
    ]);
  });

  it('reads the same listeners as a field-by-field reading, in the fixtures and on this machine', () => {
    // The reference: split every line on blanks, as the format's documentation reads.
    const reference = (text: string, proto: 'tcp' | 'tcp6' | 'udp' | 'udp6') =>
      text
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter(
          (f) =>
            f[3] === (proto.startsWith('tcp') ? '0A' : '07') &&
            (proto.startsWith('tcp') || f[2]?.endsWith(':0000')),
        )
        .map((f) => ({ port: Number.parseInt(f[1]?.split(':')[1] ?? '', 16), inode: Number(f[9]) }));
    const texts: Array<[string, 'tcp' | 'tcp6' | 'udp' | 'udp6']> = [
      [data('net-tcp.txt'), 'tcp'],
      [data('net-tcp6.txt'), 'tcp6'],
      [data('net-udp.txt'), 'udp'],
      ...(['tcp', 'tcp6', 'udp', 'udp6'] as const).map(
        (proto) => [readFileSync(`/proc/net/${proto}`, 'utf8'), proto] as [string, typeof proto],
      ),
    ];
    for (const [text, proto] of texts) {
      expect(parseNetSockets(text, proto).map((l) => ({ port: l.port, inode: l.inode }))).toEqual(
        reference(text, proto),
      );
    }
  });

  it('skips lines that are not records (truncated, empty, another layout)', () => {
    const [header, first, second] = data('net-tcp.txt').split('\n');
    const text = [header, '', (first ?? '').slice(0, 30), '   7: garbage', second, ''].join('\n');
    expect(parseNetSockets(text, 'tcp')).toEqual([
      { proto: 'tcp', address: '127.0.0.1', port: 8080, inode: 29911 },
    ]);
  });

  it('merges SO_REUSEPORT twins, attaches owners and sorts by port', () => {
    const listeners = parseNetSockets(data('net-tcp.txt'), 'tcp');
    const ports = toPorts(listeners, new Map([[29912, { pid: 812, process: 'node' }]]));
    expect(ports).toEqual([
      { proto: 'tcp', address: '0.0.0.0', port: 22 },
      { proto: 'tcp', address: '127.0.0.53', port: 53 },
      { proto: 'tcp', address: '127.0.0.1', port: 8080 },
      { proto: 'tcp', address: '0.0.0.0', port: 8081, pid: 812, process: 'node' },
    ]);
  });

  it('orders one port by protocol, then address, in code-unit order', () => {
    const listener = (proto: 'tcp' | 'udp' | 'tcp6', address: string, inode: number) => ({
      proto,
      address,
      port: 53,
      inode,
    });
    const ports = toPorts(
      [
        listener('udp', '0.0.0.0', 1),
        listener('tcp6', '::', 2),
        listener('tcp', '::', 3),
        listener('tcp', '0.0.0.0', 4),
      ],
      new Map(),
    );
    // ICU's collation (localeCompare) would put '::' before '0.0.0.0'.
    expect(ports.map((p) => `${p.proto} ${p.address}`)).toEqual([
      'tcp 0.0.0.0',
      'tcp ::',
      'tcp6 ::',
      'udp 0.0.0.0',
    ]);
  });

  it('finds a port this process listens on, with its pid', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const mine = new PortCollector().collect().find((p) => p.port === port); // the first scan looks for every owner
      expect(mine).toMatchObject({ proto: 'tcp', address: '127.0.0.1', port, pid: process.pid });
    } finally {
      server.close();
    }
  });
});

describe('port owners', () => {
  it('names a Node process by its script (not "MainThread") and gives its pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantau-ports-'));
    const script = join(dir, 'listener.mjs');
    writeFileSync(
      script,
      "import { createServer } from 'node:net';\n" +
        "const s = createServer().listen(0, '127.0.0.1', () => console.log(s.address().port));\n",
    );
    const collector = new PortCollector();
    collector.collect(); // the child is new to the next search
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve) =>
        child.stdout.once('data', (d) => resolve(Number(d))),
      );
      expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim()).toBe('MainThread');
      collector.collect(); // a new listener's owner is looked for from its second scan on
      expect(collector.collect().find((p) => p.port === port)).toEqual({
        proto: 'tcp',
        address: '127.0.0.1',
        port,
        pid: child.pid,
        process: 'listener.mjs',
      });
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a new listener on an fd number a closed listener used before, at the next full reread', async () => {
    let now = 0;
    const collector = new PortCollector(() => now);
    const listen = async () => {
      const s = createServer();
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return s;
    };
    const portOf = (s: Server) => (s.address() as { port: number }).port;
    const fdOf = (s: Server) => (s as unknown as { _handle: { fd: number } })._handle.fd;
    const a = await listen();
    const fdA = fdOf(a);
    expect(collector.collect().find((p) => p.port === portOf(a))?.pid).toBe(process.pid);
    await new Promise((resolve) => a.close(resolve));
    const b = await listen();
    try {
      expect(fdOf(b)).toBe(fdA); // the case under test: same fd, another socket
      expect(collector.collect().find((p) => p.port === portOf(b))?.pid).toBeUndefined(); // seen once
      collector.collect(); // found here only if no full reread happened within REREAD_MS
      now += REREAD_MS;
      expect(collector.collect().find((p) => p.port === portOf(b))?.pid).toBe(process.pid);
    } finally {
      b.close();
    }
  });

  it('finds a new listener of a process that already owned one, and keeps the known one', async () => {
    const [a, b] = [createServer(), createServer()];
    await new Promise<void>((resolve) => a.listen(0, '127.0.0.1', resolve));
    let now = 0;
    const collector = new PortCollector(() => now);
    const portOf = (s: Server) => (s.address() as { port: number }).port;
    try {
      expect(collector.collect().find((p) => p.port === portOf(a))?.pid).toBe(process.pid);
      await new Promise<void>((resolve) => b.listen(0, '127.0.0.1', resolve));
      collector.collect();
      collector.collect(); // found here unless b reuses the fd number of a closed socket
      now += REREAD_MS;
      const ports = collector.collect();
      expect(ports.find((p) => p.port === portOf(a))?.pid).toBe(process.pid);
      expect(ports.find((p) => p.port === portOf(b))?.pid).toBe(process.pid);
    } finally {
      a.close();
      b.close();
    }
  });

  it("looks for a new listener's owner from its second scan on, in an old process that owned none at the next full walk", async () => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        "process.stdin.once('data', () => { const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port)); });",
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      let now = 0;
      const collector = new PortCollector(() => now);
      collector.collect(); // the child is now an old process without listeners
      child.stdin.write('listen\n');
      const port = await new Promise<number>((resolve) =>
        child.stdout.once('data', (d) => resolve(Number(d))),
      );
      expect(collector.collect().find((p) => p.port === port)).toEqual({
        proto: 'tcp',
        address: '127.0.0.1',
        port,
      });
      // Not a new process, not an owner of listeners: found at the next walk over every process.
      expect(collector.collect().find((p) => p.port === port)?.pid).toBeUndefined();
      now += REREAD_MS;
      expect(collector.collect().find((p) => p.port === port)).toMatchObject({ port, pid: child.pid });
    } finally {
      child.kill();
    }
  });
});

/**
 * A listening socket no process holds: its only reference is in flight in a unix socket's queue
 * (sent with SCM_RIGHTS, never received), so /proc/net/tcp lists it and no /proc/PID/fd links to
 * it, like a kernel socket (nfsd) or one held by a process in another pid namespace.
 */
const HOLDER = `
import array, socket, sys
listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen()
a, b = socket.socketpair()
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [listener.fileno()]))])
print(listener.getsockname()[1], flush=True)
listener.close()
sys.stdin.readline()
b.recvmsg(1, socket.CMSG_SPACE(4))  # now this process holds it
print('taken', flush=True)
sys.stdin.read()
`;

/** The real search, counting the walks over every process's links. */
class CountingOwners extends SocketOwners {
  walks = 0;
  override search(inodes: ReadonlySet<number>, pids: Iterable<number>, reread = false) {
    if (reread) this.walks++;
    return super.search(inodes, pids, reread);
  }
}

describe('a listener without owner', () => {
  it('makes a walk over every process only every UNOWNED_REREAD_MS once a walk missed it, and is found then', async () => {
    const holder = spawn('python3', ['-c', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve) =>
        holder.stdout.once('data', (d) => resolve(Number(d))),
      );
      const tcp = readFileSync('/proc/net/tcp', 'utf8');
      expect(parseNetSockets(tcp, 'tcp').some((l) => l.port === port)).toBe(true);
      let now = 0;
      const sockets = new CountingOwners();
      const collector = new PortCollector(() => now, sockets);
      // The first search reads every process's links: no owner.
      expect(collector.collect().find((p) => p.port === port)).toEqual({
        proto: 'tcp',
        address: '127.0.0.1',
        port,
      });
      now += REREAD_MS;
      collector.collect();
      expect(sockets.walks).toBe(0);
      // An old process that owned no listener takes it over: found at that rare walk.
      holder.stdin.write('take\n');
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      now += UNOWNED_REREAD_MS - REREAD_MS - 1;
      expect(collector.collect().find((p) => p.port === port)?.pid).toBeUndefined();
      now += 1;
      expect(collector.collect().find((p) => p.port === port)?.pid).toBe(holder.pid);
    } finally {
      holder.kill();
    }
  });
});

describe('readProc of a seq_file', () => {
  it('reads /proc/net/tcp completely over several kernel chunks without the final empty read', async () => {
    // 150 listeners: /proc/net/tcp is then more than five 4 KiB chunks (150-byte lines).
    const servers = await Promise.all(
      Array.from({ length: 150 }, async () => {
        const s = createServer();
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        return s;
      }),
    );
    try {
      const ports = servers.map((s) => (s.address() as { port: number }).port);
      const listening = (text: string) => {
        const found = new Set(parseNetSockets(text, 'tcp').map((l) => l.port));
        return ports.every((p) => found.has(p));
      };
      const text = readProc('/proc/net/tcp', true);
      expect(Buffer.byteLength(text)).toBeGreaterThan(5 * 4096);
      expect(listening(text)).toBe(true);
      expect(text.endsWith('\n')).toBe(true);
      expect(listening(readFileSync('/proc/net/tcp', 'utf8'))).toBe(true);
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});

describe('reading /proc/net/tcp up to the last listener', () => {
  it('gets every listener and stops before the established part, which the kernel lists after them', async () => {
    const servers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const s = createServer((c) => c.on('error', () => {}));
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        return s;
      }),
    );
    const ports = servers.map((s) => (s.address() as { port: number }).port);
    // 60 established connections (120 sockets) fill more than a chunk after the listeners.
    const clients = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const c = connect(ports[i % ports.length] as number, '127.0.0.1');
        return new Promise<typeof c>((resolve) => c.once('connect', () => resolve(c)));
      }),
    );
    try {
      const full = readFileSync('/proc/net/tcp', 'utf8');
      const part = readProcUntil('/proc/net/tcp', 1024, (t) => pastListeners(t, 8));
      expect(part.length).toBeLessThan(full.length);
      // The records read are the listeners, then the connections that filled the last chunk.
      const listening = part
        .split('\n')
        .slice(1, -1)
        .map((r) => r.trim().split(/\s+/)[3] === '0A');
      const firstOther = listening.indexOf(false);
      expect(firstOther).toBeGreaterThan(0);
      expect(listening.slice(firstOther).every((l) => !l)).toBe(true);
      expect(parseNetSockets(part, 'tcp')).toHaveLength(firstOther);
      const found = new Set(parseNetSockets(part, 'tcp').map((l) => l.port));
      expect(ports.every((p) => found.has(p))).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('knows a listener, a connection and a header from the last complete line', () => {
    const [header, listener] = data('net-tcp.txt').split('\n');
    const established =
      '   9: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 31000 1';
    expect(pastListeners(`${header}\n`, 8)).toBe(false);
    expect(pastListeners(`${header}\n${listener}\n`, 8)).toBe(false);
    expect(pastListeners(`${header}\n${listener}\n${established}\n`, 8)).toBe(true);
    expect(pastListeners(`${header}\n${listener}\n${established.slice(0, 40)}`, 8)).toBe(false); // partial line
    expect(pastListeners(`${established}\n`, 8)).toBe(true); // a chunk holding one record
    expect(pastListeners(`${listener}\n`, 8)).toBe(false);
  });
});
