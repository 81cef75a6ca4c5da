import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const COLLECTOR_BIN = fileURLToPath(
  new URL('../../packages/collector/bin/pantau-collector.js', import.meta.url),
);

const run = promisify(execFile);

export interface CollectorProcess {
  child: ChildProcess;
  port: number;
  url: string;
  wsUrl: string;
  dataDir: string;
  /** An admin API token created with the CLI before the start. */
  adminToken: string;
  /** Everything the collector wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code (or signal) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

function env(dataDir: string, extra: Record<string, string>, port = 0): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PANTAU_DATA_DIR: dataDir,
    PANTAU_HOST: '127.0.0.1',
    PANTAU_PORT: String(port),
    PANTAU_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Runs a collector CLI command against a data dir and returns its stdout. */
export async function collectorCli(
  dataDir: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await run(process.execPath, [COLLECTOR_BIN, ...args], { env: env(dataDir, extra) });
  return stdout;
}

/** A port that was free a moment ago (for a collector that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `pantau-collector start` as a child process on a free port (or the given one) with its
 * own data dir (a new temporary one unless given), and an admin token made with `tokens create`.
 */
export async function startCollectorProcess(
  options: { dataDir?: string; adminToken?: string; port?: number; env?: Record<string, string> } = {},
): Promise<CollectorProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pantau-proc-'));
  const adminToken =
    options.adminToken ??
    (await collectorCli(dataDir, ['tokens', 'create', '--role', 'admin'], options.env)).trim();
  const child = spawn(process.execPath, [COLLECTOR_BIN, 'start'], {
    env: env(dataDir, options.env ?? {}, options.port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    // An upper bound for a 2-core machine busy with other suites: a start takes about a second alone.
    const timer = setTimeout(() => reject(new Error(`collector did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n').slice(0, -1)) {
        if (!line.includes('"collector listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/agent`,
    dataDir,
    adminToken,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - started };
    },
  };
}
