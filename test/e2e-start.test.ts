// `pnpm start` for real: collector + this machine as a host + a local agent, then Ctrl-C.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from './support/e2e.ts';
import { until } from './support/until.ts';

const START = join(import.meta.dirname, '..', 'scripts', 'start.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()?.();
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cwd: string, env: Record<string, string>): Started {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
  const child = spawn(process.execPath, [START], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, exited };
}

describe('e2e: pnpm start', () => {
  it('prints the API address and an admin token, reports this machine, and stops cleanly on SIGINT', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pantau-start-'));
    const dataDir = join(cwd, 'state');
    cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
    const s = start(cwd, {
      PANTAU_PORT: '0',
      PANTAU_HOST: '127.0.0.1',
      PANTAU_DATA_DIR: dataDir,
      PANTAU_INTERVAL: '1s',
    });

    const banner = await until('the banner', () => {
      const out = s.output();
      if (s.child.exitCode !== null) throw new Error(`start exited early:\n${out}`);
      const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out)?.[1];
      const token = /admin API token \(shown only now; keep it\): (\S+)/.exec(out)?.[1];
      const pid = /local agent\s+pid (\d+)/.exec(out)?.[1];
      return url && token && pid ? { url, token, pid: Number(pid) } : null;
    });
    cleanup.push(() => {
      if (alive(banner.pid)) process.kill(banner.pid, 'SIGKILL');
    });
    expect(s.output()).toContain(`data          ${dataDir}`);
    expect(existsSync(join(dataDir, 'pantau.db'))).toBe(true);
    expect(statSync(join(dataDir, 'local-agent.token')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(cwd, 'data'))).toBe(false);

    const api = new Api(banner.url, banner.token);
    const host = await until('this machine online with data', async () => {
      const page = await api.get<{
        items: {
          id: number;
          name: string;
          status: string;
          labels: Record<string, string>;
          latest: unknown;
        }[];
      }>('/hosts');
      const h = page.items[0];
      return page.items.length === 1 && h?.status === 'online' && h.latest ? h : null;
    });
    expect(host.labels).toEqual({ local: 'true' });
    const latest = await api.get<{ metrics: Record<string, number> }>(`/hosts/${host.id}/latest`);
    expect(latest.metrics['memory.used']).toBeGreaterThan(0);

    s.child.kill('SIGINT');
    const exit = await s.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(alive(banner.pid)).toBe(false);
    await expect(fetch(`${banner.url}/healthz`)).rejects.toThrow();
    // The collector shut down cleanly: the WAL is folded into the database file.
    const wal = join(dataDir, 'pantau.db-wal');
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    expect(s.output()).not.toContain('no API token exists yet');

    // Started again, configured by a collector YAML file (PANTAU_CONFIG) on the same data dir:
    // the same host comes back with the token kept in the data dir, and no second admin token.
    writeFileSync(join(cwd, 'pantau.yaml'), 'host: 127.0.0.1\nport: 0\ndataDir: state\n');
    const again = start(cwd, { PANTAU_CONFIG: 'pantau.yaml', PANTAU_INTERVAL: '1s' });
    const banner2 = await until('the second banner', () => {
      const out = again.output();
      if (again.child.exitCode !== null) throw new Error(`start exited early:\n${out}`);
      const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out)?.[1];
      const pid = /local agent\s+pid (\d+)/.exec(out)?.[1];
      return url && pid ? { url, pid: Number(pid) } : null;
    });
    cleanup.push(() => {
      if (alive(banner2.pid)) process.kill(banner2.pid, 'SIGKILL');
    });
    expect(again.output()).toContain('admin API token: created on the first start');
    expect(again.output()).toContain(`this host     ${host.name} (id ${host.id})`);
    const api2 = new Api(banner2.url, banner.token);
    const before = await api2.host(host.id);
    await until('the local agent back with new data', async () => {
      const h = await api2.host(host.id);
      return h.status === 'online' && h.lastSeq > before.lastSeq;
    });
    expect(again.output()).not.toContain('the local agent exited');
    again.child.kill('SIGINT');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    expect(alive(banner2.pid)).toBe(false);
  });

  it('an agent that does not stop on SIGINT is killed, and the collector still closes cleanly', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pantau-start-'));
    cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
    const s = start(cwd, { PANTAU_PORT: '0', PANTAU_HOST: '127.0.0.1', PANTAU_INTERVAL: '1s' });
    const pid = await until('the banner', () => {
      if (s.child.exitCode !== null) throw new Error(`start exited early:\n${s.output()}`);
      return Number(/local agent\s+pid (\d+)/.exec(s.output())?.[1] ?? 0);
    });
    cleanup.push(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    // The default data dir is ./data in the working directory.
    expect(existsSync(join(cwd, 'data', 'pantau.db'))).toBe(true);
    process.kill(pid, 'SIGSTOP');
    const sent = Date.now();
    s.child.kill('SIGINT');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    // start kills a stuck agent after 3 s; far below the test's own timeout.
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(alive(pid)).toBe(false);
    const wal = join(cwd, 'data', 'pantau.db-wal');
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });

  it('pnpm start: loopback by default, agent checks from PANTAU_AGENT_CONFIG, SIGINT to pnpm alone stops all with 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pantau-pnpm-start-'));
    cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
    const backend = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => backend.close());
    const port = (backend.address() as { port: number }).port;
    const agentConfig = join(cwd, 'agent.yaml');
    writeFileSync(
      agentConfig,
      `checks:\n  - { name: backend, type: tcp, host: 127.0.0.1, port: ${port} }\ncadences: { checks: 1s }\n`,
    );
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
    // pnpm from PATH, as a user runs it (the gate itself runs under pnpm).
    const child = spawn('pnpm', ['start'], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...clean,
        PANTAU_PORT: '0',
        PANTAU_DATA_DIR: join(cwd, 'data'),
        PANTAU_INTERVAL: '1s',
        PANTAU_AGENT_CONFIG: agentConfig,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      output += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      output += c;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const banner = await until(
      'the banner',
      () => {
        if (child.exitCode !== null) throw new Error(`pnpm start exited early:\n${output}`);
        const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(output)?.[1];
        const token = /admin API token \(shown only now; keep it\): (\S+)/.exec(output)?.[1];
        const pid = /local agent\s+pid (\d+)/.exec(output)?.[1];
        return url && token && pid ? { url, token, pid: Number(pid) } : null;
      },
      30_000,
    );
    cleanup.push(() => {
      if (alive(banner.pid)) process.kill(banner.pid, 'SIGKILL');
    });
    expect(output).toContain('PANTAU_HOST=0.0.0.0');
    // Bound to loopback only: the listening socket's address is 127.0.0.1.
    const listenPort = new URL(banner.url).port;
    const listening = execFileSync('ss', ['-Hltn', `sport = :${listenPort}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3]);
    expect(listening).toEqual([`127.0.0.1:${listenPort}`]);

    const api = new Api(banner.url, banner.token);
    const checks = await until(
      'the check from PANTAU_AGENT_CONFIG',
      async () => {
        const hosts = await api.get<{ items: { id: number }[] }>('/hosts');
        const id = hosts.items[0]?.id;
        if (id === undefined) return null;
        const res = await api.get<{ data: { name: string; ok: boolean }[] | null }>(`/hosts/${id}/checks`);
        return res.data?.find((c) => c.name === 'backend');
      },
      20_000,
    );
    expect(checks.ok).toBe(true);

    const startScript = Number(
      execFileSync('pgrep', ['-P', String(child.pid), '-f', 'scripts/start.ts'], { encoding: 'utf8' }).trim(),
    );
    process.kill(child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    await until('start script and agent gone', () => !alive(startScript) && !alive(banner.pid), 8_000);
    expect(output).not.toMatch(/ELIFECYCLE|Command failed/);
  });

  it('when pnpm is killed outright, the start script and the agent stop by themselves', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pantau-pnpm-kill-'));
    cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
    const child = spawn('pnpm', ['start'], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...clean, PANTAU_PORT: '0', PANTAU_DATA_DIR: join(cwd, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      output += c;
    });
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const agentPid = await until(
      'the banner',
      () => Number(/local agent\s+pid (\d+)/.exec(output)?.[1] ?? 0),
      30_000,
    );
    cleanup.push(() => {
      if (alive(agentPid)) process.kill(agentPid, 'SIGKILL');
    });
    const startScript = Number(
      execFileSync('pgrep', ['-P', String(child.pid), '-f', 'scripts/start.ts'], { encoding: 'utf8' }).trim(),
    );
    cleanup.push(() => {
      if (alive(startScript)) process.kill(startScript, 'SIGKILL');
    });
    child.kill('SIGKILL');
    await until('start script and agent gone', () => !alive(startScript) && !alive(agentPid), 10_000);
  });
});
