import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.ts';

export const AGENT_BIN = join(import.meta.dirname, '..', '..', 'packages', 'agent', 'bin', 'pantau-agent.js');

/** One line the agent logged (pino JSON on stderr). */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * The agent as a real child process: `node bin/pantau-agent.js run --config <temp file>`, or
 * another program (`program`: the bundle under Node, or the single executable).
 */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly dir: string;
  stderr = '';
  #exit: Promise<number | null>;

  constructor(
    config: unknown,
    env: Record<string, string> = {},
    args: string[] = ['run'],
    program: string[] = [process.execPath, AGENT_BIN],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pantau-agent-test-'));
    const file = join(this.dir, 'agent.yaml');
    // JSON is YAML, and keeps the test free of a YAML writer; a string is written as it is.
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
    this.child = spawn(program[0] as string, [...program.slice(1), ...args, '--config', file], {
      env: { ...clean, PANTAU_LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not JSON: kept in stderr for failure messages
        }
      }
    });
    this.child.stdout?.resume();
    this.#exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Log lines whose message contains `text`. */
  logged(text: string): LogLine[] {
    return this.logs.filter((l) => l.msg.includes(text));
  }

  waitForLog(text: string, timeoutMs = 15_000): Promise<LogLine> {
    return until(
      () => `the agent to log "${text}"; its stderr:\n${this.stderr.slice(-3000)}`,
      () => this.logged(text)[0],
      timeoutMs,
    );
  }

  /** SIGTERM, wait for the exit, remove the temp dir. Returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.#exit;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}

/** A config for tests: 1 s interval, quick reconnects, short pings. */
export function testConfig(urls: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    collector: {
      urls,
      pingInterval: '1s',
      reconnect: { minDelay: '200ms', maxDelay: '2s', fatalDelay: '1h' },
    },
    token: 'test-token',
    interval: '1s',
    ...extra,
  };
}
