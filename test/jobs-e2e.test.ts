import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { markedText } from '../packages/collector/src/jobs/output-text.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { type CollectorProcess, freePort, startCollectorProcess } from './support/collector-process.ts';
import { until } from './support/until.ts';

/**
 * Remote jobs end to end: a collector process, real agent processes running real commands, and
 * the REST API and SSE stream a user would call.
 */

// A marker no other test (nor another copy of this one) uses, to find the job's process tree.
const SLEEP_MARK = `37.${process.pid}`;
const ACTIONS = {
  allow: ['uptime', 'nap', 'sleepy', 'danger'],
  custom: [
    { name: 'nap', argv: ['sleep', '0.6'] },
    { name: 'sleepy', argv: ['sh', '-c', `sleep ${SLEEP_MARK} & sleep ${SLEEP_MARK}; wait`] },
    { name: 'danger', argv: ['echo', 'pretending to reboot'], dangerous: true },
  ],
};
const ENV = { PANTAU_JOBS_LOST_GRACE: '2s' };

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

interface Run {
  hostId: number;
  host: string;
  state: string;
  exitCode: number | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  error: string | null;
}
interface Job {
  id: number;
  state: string;
  actorName: string;
  runs: Run[];
}

class Client {
  readonly c: CollectorProcess;
  readonly token: string;

  constructor(c: CollectorProcess, token: string) {
    this.c = c;
    this.token = token;
  }

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.c.url}/api/v1${path}`, {
      // A hung collector fails the call with its name instead of the whole test's timeout.
      signal: AbortSignal.timeout(10_000),
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // CSV and SSE stay text
    }
    return { status: res.status, body: parsed as T };
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  job(id: number): Promise<Job> {
    return this.ok<Job>('GET', `/jobs/${id}`);
  }

  async ended(id: number, timeoutMs = 20_000): Promise<Job> {
    let job: Job | undefined;
    return until(
      () => `job ${id} to end (still ${job?.state}: ${JSON.stringify(job?.runs)})`,
      async () => {
        job = await this.job(id);
        return !['running', 'awaiting_confirmation', 'awaiting_approval'].includes(job.state) && job;
      },
      timeoutMs,
      100,
    );
  }
}

async function collector(options: { dataDir?: string; adminToken?: string; port?: number } = {}) {
  const c = await startCollectorProcess({ ...options, env: ENV });
  cleanup.push(() => c.stop('SIGKILL'));
  return c;
}

function agent(c: CollectorProcess, token: string, extra: Record<string, unknown> = {}): AgentProcess {
  const a = new AgentProcess({ ...testConfig([c.wsUrl], { actions: ACTIONS, ...extra }), token });
  cleanup.push(() => a.stop());
  return a;
}

/** Fails with the collector's last output when a step takes longer than it may. */
async function within<T>(promise: Promise<T>, ms: number, what: string, c: CollectorProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}:\n${c.output().slice(-4000)}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A collector, an admin and an operator client, and `n` online hosts with real agents. */
async function fleet(n: number, options: { dataDir?: string; adminToken?: string; port?: number } = {}) {
  const c = await collector(options);
  const admin = new Client(c, c.adminToken);
  const operator = new Client(
    c,
    (await admin.ok<{ secret: string }>('POST', '/tokens', { name: 'ops', role: 'operator' })).secret,
  );
  const hosts: { id: number; name: string; token: string; agent: AgentProcess }[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `web-${i}`;
    const { host, token } = await admin.ok<{ host: { id: number }; token: string }>('POST', '/hosts', {
      name,
      labels: { env: 'prod' },
    });
    hosts.push({ id: host.id, name, token, agent: agent(c, token) });
  }
  for (const h of hosts) {
    await until(
      `${h.name} online`,
      async () =>
        (await admin.ok<{ status: string }>('GET', `/hosts/${h.id}`)).status === 'online' || undefined,
    );
  }
  for (const name of ['nap', 'sleepy']) await admin.ok('POST', '/activities', { name, action: name });
  await admin.ok('POST', '/activities', {
    name: 'danger',
    action: 'danger',
    dangerous: true,
    minRole: 'admin',
  });
  return { c, admin, operator, hosts };
}

interface SseEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a job's SSE stream until `end`, collecting every event. */
async function stream(c: CollectorProcess, token: string, jobId: number): Promise<SseEvent[]> {
  const res = await fetch(`${c.url}/api/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '' && !b.startsWith(':'))
    .map((b) => {
      const f = Object.fromEntries(
        b.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      return {
        id: f.id,
        event: f.event ?? 'message',
        data: JSON.parse(f.data ?? 'null') as Record<string, unknown>,
      };
    });
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

/** Pids of the processes whose command line carries the marker (read from /proc, no ps needed). */
const sleepers = (): string[] =>
  readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .replaceAll('\0', ' ')
          .includes(`sleep ${SLEEP_MARK}`);
      } catch {
        return false; // gone meanwhile
      }
    });

describe('jobs end to end', { timeout: 120_000 }, () => {
  let f: Awaited<ReturnType<typeof fleet>>;
  beforeAll(async () => {
    f = await fleet(3);
    // The fleet outlives this describe's tests; afterEach must not stop it.
    const mine = cleanup.splice(0);
    afterAllCleanup.push(...mine);
  }, 60_000);
  const afterAllCleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    while (afterAllCleanup.length > 0) await afterAllCleanup.pop()?.();
  });

  it('preview, then uptime on 3 hosts with live output per host in order, results, and a CSV that matches them', async () => {
    const preview = await f.operator.ok<{ hosts: { name: string }[]; skipped: unknown[] }>(
      'POST',
      '/jobs/preview',
      {
        activity: 'uptime',
        targets: { hosts: ['web-*'] },
      },
    );
    expect(preview.hosts.map((h) => h.name)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(preview.skipped).toEqual([]);

    const created = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'uptime',
      targets: { selector: 'env=prod' },
    });
    const events = await stream(f.c, f.operator.token, created.id);
    expect(events.at(-1)).toEqual({ id: undefined, event: 'end', data: { state: 'succeeded' } });
    const ids = events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    for (const h of f.hosts) {
      const mine = events
        .filter((e) => e.data.hostId === h.id)
        .map((e) => (e.event === 'run' ? `run:${e.data.state}` : e.event));
      // running, then the output, then the result: in order for each host.
      expect(mine[0]).toBe('run:running');
      expect(mine.at(-1)).toBe('run:succeeded');
      expect(mine.slice(1, -1).length).toBeGreaterThan(0);
      expect(new Set(mine.slice(1, -1))).toEqual(new Set(['output']));
      const text = events
        .filter((e) => e.event === 'output' && e.data.hostId === h.id)
        .map((e) => e.data.data)
        .join('');
      expect(text).toMatch(/load average/);
    }

    const job = await f.operator.job(created.id);
    expect(job.state).toBe('succeeded');
    expect(job.runs.map((r) => [r.host, r.state, r.exitCode])).toEqual([
      ['web-1', 'succeeded', 0],
      ['web-2', 'succeeded', 0],
      ['web-3', 'succeeded', 0],
    ]);
    const csv = parseCsv(
      (await f.operator.call<string>('GET', `/jobs/${created.id}/export?format=csv`)).body,
    );
    expect(csv[0]).toEqual([
      'jobId',
      'activity',
      'actor',
      'actorName',
      'hostId',
      'host',
      'state',
      'exitCode',
      'startedAt',
      'endedAt',
      'durationMs',
      'outputTail',
      'error',
    ]);
    expect(csv.slice(1)).toHaveLength(3);
    for (const [i, run] of job.runs.entries()) {
      const row = csv[i + 1]!;
      const output = await f.operator.ok<{ items: { stream: 'stdout' | 'stderr'; data: string }[] }>(
        'GET',
        `/jobs/${job.id}/runs/${run.hostId}/output`,
      );
      expect(row).toEqual([
        String(job.id),
        'uptime',
        expect.stringMatching(/^token:\d+$/),
        job.actorName,
        String(run.hostId),
        run.host,
        run.state,
        String(run.exitCode),
        new Date(run.startedAt!).toISOString(),
        new Date(run.endedAt!).toISOString(),
        String(run.durationMs),
        // The stored output, each line marked with its stream (`| ` stdout, `! ` stderr).
        markedText(output.items),
        '',
      ]);
    }
    const range = await f.operator.ok<{ items: { jobId: number }[] }>(
      'GET',
      `/jobs/export?from=${job.runs[0]!.startedAt! - 60_000}`,
    );
    expect(range.items.filter((r) => r.jobId === job.id)).toHaveLength(3);
  });

  it('a dangerous activity needs the admin role and a confirmation', async () => {
    const refused = await f.operator.call<{ error: { code: string } }>('POST', '/jobs', {
      activity: 'danger',
      targets: { hosts: ['web-1'] },
    });
    expect(refused.status).toBe(403);
    const job = await f.admin.ok<Job>('POST', '/jobs', { activity: 'danger', targets: { hosts: ['web-1'] } });
    expect(job.state).toBe('awaiting_confirmation');
    // A job created after it on the same host runs to its end: the unconfirmed one had its chance.
    const later = await f.admin.ok<Job>('POST', '/jobs', {
      activity: 'uptime',
      targets: { hosts: ['web-1'] },
    });
    expect((await f.admin.ended(later.id)).state).toBe('succeeded');
    expect((await f.admin.job(job.id)).runs[0]!.state).toBe('queued');
    await f.admin.ok('POST', `/jobs/${job.id}/confirm`);
    const done = await f.admin.ended(job.id);
    expect(done.state).toBe('succeeded');
    const out = await f.admin.ok<{ items: { data: string }[] }>(
      'GET',
      `/jobs/${job.id}/runs/${done.runs[0]!.hostId}/output`,
    );
    expect(out.items.map((c) => c.data).join('')).toBe('pretending to reboot\n');
  });

  it('a non-allowed action is never sent; forced through stale stored actions, the agent refuses it and it is audited', async () => {
    const preview = await f.operator.ok<{ hosts: unknown[]; skipped: { reason: string }[] }>(
      'POST',
      '/jobs/preview',
      {
        activity: 'disk-usage',
        targets: { hosts: ['web-1'] },
      },
    );
    expect(preview.hosts).toEqual([]);
    expect(preview.skipped.map((s) => s.reason)).toEqual(['action-not-allowed']);
    const refused = await f.operator.call<{ error: { message: string } }>('POST', '/jobs', {
      activity: 'disk-usage',
      targets: { hosts: ['web-1'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('does not allow disk-usage');

    // The collector's copy of web-2's actions goes stale: it now believes disk-usage is allowed.
    const db = new Database(join(f.c.dataDir, 'pantau.db'));
    const web2 = f.hosts[1]!;
    const row = db.prepare('SELECT actions FROM hosts WHERE id = ?').get(web2.id) as { actions: string };
    const stale = [...JSON.parse(row.actions), { name: 'disk-usage', dangerous: false, params: [] }];
    db.prepare('UPDATE hosts SET actions = ? WHERE id = ?').run(JSON.stringify(stale), web2.id);
    db.close();
    const job = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'disk-usage',
      targets: { hosts: ['web-2'] },
    });
    const done = await f.operator.ended(job.id);
    expect(done.runs[0]).toMatchObject({
      state: 'rejected',
      error: expect.stringContaining('ACTION_NOT_ALLOWED'),
    });
    await web2.agent.waitForLog('job rejected');
    const audit = await f.admin.ok<{ items: { action: string; target: string; actor: string }[] }>(
      'GET',
      '/audit?limit=100',
    );
    expect(audit.items).toContainEqual(
      expect.objectContaining({ action: 'job.rejected', target: `job:${job.id}`, actor: `host:${web2.id}` }),
    );
  });

  it('a timeout kills the whole process tree and reports timed_out', async () => {
    const job = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'sleepy',
      targets: { hosts: ['web-3'] },
      timeoutMs: 1_000,
    });
    await until('the job tree running', () => sleepers().length >= 2 || undefined, 5_000);
    const done = await f.operator.ended(job.id);
    expect(done.runs[0]).toMatchObject({ state: 'timed_out' });
    // Killed at its 1 s timeout, not after the 37 s sleep; wide for a busy machine.
    expect(done.runs[0]!.durationMs).toBeLessThan(15_000);
    await until('every sleeper gone', () => sleepers().length === 0 || undefined, 10_000);
  });

  it('cancel stops a running job', async () => {
    const job = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'sleepy',
      targets: { hosts: ['web-1'] },
    });
    await until(
      'running',
      async () => (await f.operator.job(job.id)).runs[0]!.state === 'running' || undefined,
    );
    await f.operator.ok('POST', `/jobs/${job.id}/cancel`);
    const done = await f.operator.ended(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.runs[0]!.state).toBe('cancelled');
    await until('every sleeper gone', () => sleepers().length === 0 || undefined, 10_000);
  });

  it('batch: 1 on 3 hosts runs them one after another', async () => {
    const job = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'nap',
      targets: { all: true },
      batch: 1,
    });
    const done = await f.operator.ended(job.id);
    expect(done.state).toBe('succeeded');
    const [a, b, c] = done.runs;
    expect(b!.startedAt!).toBeGreaterThanOrEqual(a!.endedAt!);
    expect(c!.startedAt!).toBeGreaterThanOrEqual(b!.endedAt!);
    expect(c!.endedAt! - a!.startedAt!).toBeGreaterThanOrEqual(3 * 600);
  });
});

describe('jobs across failures', { timeout: 180_000 }, () => {
  it('an agent killed mid-job ends lost after the grace period', async () => {
    const f = await fleet(1);
    const job = await f.operator.ok<Job>('POST', '/jobs', { activity: 'sleepy', targets: { all: true } });
    await until(
      'running',
      async () => (await f.operator.job(job.id)).runs[0]!.state === 'running' || undefined,
    );
    f.hosts[0]!.agent.child.kill('SIGKILL');
    const done = await f.operator.ended(job.id, 15_000);
    expect(done.runs[0]).toMatchObject({ state: 'lost', error: expect.stringContaining('did not report') });
    for (const pid of sleepers()) process.kill(Number(pid), 'SIGKILL');
  });

  it('a collector restarted mid-job reconciles every run', async () => {
    const port = await freePort();
    const f = await fleet(3, { port });
    const job = await f.operator.ok<Job>('POST', '/jobs', {
      activity: 'sleepy',
      targets: { all: true },
      // Long enough that the restart below and the 2 s lost grace fit before it on a busy machine.
      timeoutMs: 20_000,
    });
    await until(
      'all running',
      async () => (await f.operator.job(job.id)).runs.every((r) => r.state === 'running') || undefined,
    );
    const stopped = await within(f.c.stop('SIGTERM'), 20_000, 'the collector to stop', f.c);
    expect(stopped.code).toBe(0);
    // While it is down: web-2's agent dies for good, web-3's agent restarts without the job.
    const [, web2, web3] = f.hosts;
    web2!.agent.child.kill('SIGKILL');
    await web3!.agent.stop();
    const fresh = agent(f.c, web3!.token);
    const c2 = await collector({ dataDir: f.c.dataDir, adminToken: f.c.adminToken, port });
    const admin = new Client(c2, c2.adminToken);
    const done = await within(admin.ended(job.id, 30_000), 40_000, 'the job to end after the restart', c2);
    expect(done.runs.map((r) => [r.host, r.state])).toEqual([
      ['web-1', 'timed_out'],
      ['web-2', 'lost'],
      ['web-3', 'lost'],
    ]);
    expect(done.runs[2]!.error).toContain('reconnected without the job');
    expect(done.runs[1]!.error).toContain('did not report');
    expect(done.state).toBe('failed');
    await fresh.waitForLog('welcomed by the collector');
    for (const pid of sleepers()) process.kill(Number(pid), 'SIGKILL');
  });
});
