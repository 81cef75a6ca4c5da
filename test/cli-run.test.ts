// End to end: `pantau-collector run` as a child process against a collector child process with
// real agents, through the REST API and its SSE stream.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunIo, runCommand } from '../packages/collector/src/cli/run.ts';
import type { AgentProcess } from './support/agent-process.ts';
import { COLLECTOR_BIN, type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

let collector: CollectorProcess;
let api: Api;
const agents: AgentProcess[] = [];

/** web-1 and web-2 define the same custom actions differently, as two real hosts might. */
function agentConfig(host: 'web-1' | 'web-2') {
  return {
    actions: {
      allow: ['uptime', 'check', 'slow'],
      custom: [
        {
          name: 'check',
          argv:
            host === 'web-1'
              ? ['sh', '-c', 'echo ok from web-1; sleep 0.2; echo careful >&2; sleep 0.2; printf tail']
              : ['sh', '-c', 'echo partial from web-2; exit 3'],
        },
        { name: 'slow', argv: ['sh', '-c', 'echo first; sleep 2; echo second'] },
      ],
    },
  };
}

beforeAll(async () => {
  collector = await startCollectorProcess();
  api = new Api(collector.url, collector.adminToken);
  for (const name of ['web-1', 'web-2'] as const) {
    const { token } = await api.addHost(name);
    agents.push(startAgent(collector.wsUrl, token, agentConfig(name)));
  }
  await api.addHost('db-1'); // never connects: skipped as offline
  for (const body of [
    { name: 'check', description: 'a custom check', action: 'check' },
    { name: 'slow', description: 'prints, waits, prints', action: 'slow' },
    { name: 'risky-check', description: 'the check, marked dangerous', action: 'check', dangerous: true },
  ]) {
    const { status, body: answer } = await api.call('POST', '/activities', body);
    if (status !== 201) throw new Error(`POST /activities: ${status} ${JSON.stringify(answer)}`);
  }
  await until('both agents online', async () => {
    const { body } = await api.call<{ hosts: unknown[] }>('POST', '/jobs/preview', {
      activity: 'check',
      targets: { hosts: ['web-*'] },
    });
    return body.hosts?.length === 2;
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await collector?.stop('SIGKILL');
  if (collector) rmSync(collector.dataDir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout lines with the ms since the start at which each arrived. */
  timed: Array<{ ms: number; line: string }>;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
  const child = spawn(process.execPath, [COLLECTOR_BIN, 'run', ...args], {
    env: { ...clean, PANTAU_URL: collector.url, PANTAU_TOKEN: collector.adminToken, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  let partial = '';
  const timed: CliResult['timed'] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) timed.push({ ms: performance.now() - started, line });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr, timed })));
}

const jobCount = async () => (await api.get<{ items: unknown[] }>('/jobs')).items.length;

describe('pantau-collector run (CLI process, collector process, real agents)', () => {
  it('prints the preview, streams each host with a prefix, then a summary, and exits 1 when a host fails', async () => {
    const r = await cli(['check', '--hosts', 'web-*,db-1']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('check on 2 hosts: web-1, web-2');
    expect(lines[1]).toMatch(/^ {2}skipped db-1: \w+/);
    // Each host's lines in its own order; stderr marked with "!"; the unterminated last line kept.
    const web1 = lines.filter((l) => /^web-1 [|!=] /.test(l));
    expect(web1).toEqual([
      'web-1 | ok from web-1',
      'web-1 ! careful',
      'web-1 | tail',
      expect.stringMatching(/^web-1 = succeeded \(exit 0, \d+\.\d\d s\)$/),
    ]);
    const web2 = lines.filter((l) => /^web-2 [|!=] /.test(l));
    expect(web2).toEqual(['web-2 | partial from web-2', expect.stringMatching(/^web-2 = failed \(exit 3, /)]);
    // A host skipped at preview time still gets its row: it was unreachable.
    expect(lines).toContainEqual(expect.stringMatching(/^db-1 {2}= unreachable \(.+\)$/));
    const table = lines.slice(lines.indexOf('HOST   STATE        EXIT  DURATION  NOTE'));
    expect(table[1]).toMatch(/^web-1 {2}succeeded {4}0 {5}\d+\.\d\d s$/);
    expect(table[2]).toMatch(/^web-2 {2}failed {7}3 {5}\d+\.\d\d s$/);
    expect(table[3]).toMatch(/^db-1 {3}unreachable {2}- {5}- {9}\S.*offline/);
    expect(table[4]).toBe('3 hosts: 1 succeeded, 1 failed, 1 unreachable');
    expect(lines).toContainEqual(expect.stringMatching(/^job \d+: failed$/));
    expect(r.code).toBe(1);
  }, 30_000);

  it('exits 1 when the only host fails, 0 when every host succeeded', async () => {
    const failed = await cli(['check', '--hosts', 'web-2']);
    expect(failed.stdout).toMatch(/^web-2 = failed \(exit 3, /m);
    expect(failed.code).toBe(1);

    const r = await cli(['uptime', '--hosts', 'web-1']);
    expect(r.stdout).toMatch(/^web-1 \| .*load average/m);
    expect(r.stdout).toMatch(/^1 host: 1 succeeded$/m);
    expect(r.code).toBe(0);
  }, 30_000);

  it('streams output as it arrives, not at the end', async () => {
    const r = await cli(['slow', '--hosts', 'web-2']);
    const first = r.timed.find((t) => t.line === 'web-2 | first');
    const second = r.timed.find((t) => t.line === 'web-2 | second');
    expect(first && second).toBeTruthy();
    expect((second?.ms ?? 0) - (first?.ms ?? 0)).toBeGreaterThan(1_500);
    expect(r.code).toBe(0);
  }, 30_000);

  it('resumes a dropped event stream with Last-Event-ID and prints every line once', async () => {
    const proxy = await cuttingProxy(collector.port);
    try {
      const running = cli(['slow', '--hosts', 'web-*'], { PANTAU_URL: `http://127.0.0.1:${proxy.port}` });
      await until('the first lines', () => proxy.bytes > 0 && proxy.sawFirst());
      proxy.cutAll();
      const r = await running;
      expect(r.stderr).toMatch(/event stream dropped; resuming after event \S+/);
      for (const host of ['web-1', 'web-2']) {
        expect(r.stdout.split('\n').filter((l) => l.startsWith(`${host} |`))).toEqual([
          `${host} | first`,
          `${host} | second`,
        ]);
      }
      expect(r.code).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('refuses a dangerous activity without a terminal or --yes, creating nothing', async () => {
    const before = await jobCount();
    const r = await cli(['risky-check', '--hosts', 'web-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /risky-check is a dangerous activity and there is no terminal to confirm it; pass --yes/,
    );
    expect(await jobCount()).toBe(before);

    const yes = await cli(['risky-check', '--hosts', 'web-1', '--yes']);
    expect(yes.stdout).toMatch(/^web-1 \| ok from web-1$/m);
    expect(yes.code).toBe(0);
    expect(await jobCount()).toBe(before + 1);
  }, 30_000);

  it('asks at a terminal before a dangerous activity: "no" creates nothing, "yes" runs it', async () => {
    const env = { PANTAU_URL: collector.url, PANTAU_TOKEN: collector.adminToken };
    const questions: string[] = [];
    const out: string[] = [];
    const terminal = (answer: string): RunIo => ({
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      interactive: true,
      ask: async (q) => {
        questions.push(q);
        return answer;
      },
      onInterrupt: () => () => {},
    });
    const before = await jobCount();
    expect(await runCommand(['risky-check', '--hosts', 'web-1'], terminal('no'), env)).toBe(1);
    expect(questions).toEqual(['risky-check is dangerous. Run it on 1 host? Type yes to go on: ']);
    expect(out.at(-1)).toBe('not confirmed; nothing was started');
    expect(await jobCount()).toBe(before);

    expect(await runCommand(['risky-check', '--hosts', 'web-1'], terminal('yes'), env)).toBe(0);
    expect(questions).toHaveLength(2);
    expect(out).toContain('web-1 | ok from web-1');
    expect(await jobCount()).toBe(before + 1);
  }, 30_000);

  it('exits 2 naming what to fix: unknown activity, bad token, bad param, bad flag', async () => {
    const unknown = await cli(['reboto', '--all']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown activity "reboto"; this collector has: .*uptime/);

    const token = await cli(['uptime', '--all'], { PANTAU_TOKEN: 'not-a-token' });
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/UNAUTHORIZED: .*\ncheck --token/);

    const param = await cli(['uptime', '--hosts', 'web-1', '--param', 'nope=1']);
    expect(param.code).toBe(2);
    expect(param.stderr).toMatch(/nope/);

    const flag = await cli(['uptime']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/say where to run: --hosts PATTERN, --selector LABELS or --all/);
  }, 30_000);
});

/** A TCP proxy to the collector that can cut every connection at once, like a network drop. */
async function cuttingProxy(target: number) {
  const sockets = new Set<Socket>();
  let bytes = 0;
  let seen = '';
  const server: Server = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      seen += chunk.toString();
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get bytes() {
      return bytes;
    },
    /** Both hosts' first line went through. */
    sawFirst: () => (seen.match(/first/g) ?? []).length >= 2,
    cutAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
