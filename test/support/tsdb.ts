import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.ts';

/** A time-series database run for real: Debian's `victoria-metrics` or `prometheus`. */
export interface Tsdb {
  kind: 'victoria-metrics' | 'prometheus';
  /** Base URL of its Prometheus query API. */
  url: string;
  /** Its remote-write receiver. */
  writeUrl: string;
  /** Stops the process (the data directory stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
  /** GET a query API path (`/api/v1/query_range?…`), parsed. */
  get<T>(path: string): Promise<T>;
  /** The running process' id (benchmarks read its CPU and memory). */
  pid(): number | undefined;
}

export function hasTsdb(kind: Tsdb['kind']): boolean {
  return spawnSync('sh', ['-c', `command -v ${kind}`]).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TsdbOptions {
  /** VictoriaMetrics only: serve HTTPS with this certificate and require this basic auth. */
  tls?: { cert: string; key: string; ca: string };
  basicAuth?: { username: string; password: string };
}

/** Starts the database on a free port with a temporary data directory and waits until it answers. */
export async function startTsdb(kind: Tsdb['kind'], options: TsdbOptions = {}): Promise<Tsdb> {
  const dir = mkdtempSync(join(tmpdir(), `pantau-${kind}-`));
  const port = await freePort();
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = options.tls ? readFileSync(options.tls.ca) : undefined;
  const headers: Record<string, string> = options.basicAuth
    ? {
        authorization: `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`,
      }
    : {};
  // node:http(s) rather than fetch: fetch cannot be given a CA per request.
  const fetchText = (path: string) =>
    new Promise<{ ok: boolean; status: number; text: string }>((resolve, reject) => {
      const req = (ca ? httpsRequest : httpRequest)(
        `${url}${path}`,
        { headers, ...(ca ? { ca } : {}) },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  let args: string[];
  if (kind === 'victoria-metrics') {
    const tls = options.tls
      ? ['-tls', `-tlsCertFile=${options.tls.cert}`, `-tlsKeyFile=${options.tls.key}`]
      : [];
    const auth = options.basicAuth
      ? [
          `-httpAuth.username=${options.basicAuth.username}`,
          `-httpAuth.password=${options.basicAuth.password}`,
        ]
      : [];
    args = [
      ...tls,
      ...auth,
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-retentionPeriod=100y',
      // Tests read back at once: show the newest points, do not hold them back for late arrivals.
      '-search.latencyOffset=0s',
      '-loggerLevel=ERROR',
    ];
  } else {
    writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
    args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=error',
    ];
  }
  let child: ChildProcess | null = null;
  let output = '';
  const db: Tsdb = {
    kind,
    url,
    writeUrl: `${url}/api/v1/write`,
    async start() {
      output = '';
      child = spawn(kind, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const ready = kind === 'victoria-metrics' ? '/health' : '/-/ready';
      await until(
        `${kind} on port ${port} to answer`,
        async () => {
          if (child?.exitCode !== null) throw new Error(`${kind} exited: ${output.slice(-500)}`);
          return (await fetchText(ready)).ok;
        },
        30_000,
      );
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      await exited;
      child = null;
    },
    async close() {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => (child as ChildProcess | null)?.pid,
    async get<T>(path: string): Promise<T> {
      const res = await fetchText(path);
      if (!res.ok) throw new Error(`${kind} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
      return JSON.parse(res.text) as T;
    },
  };
  await db.start();
  return db;
}
