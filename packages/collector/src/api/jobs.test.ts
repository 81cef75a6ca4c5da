import type { ActionSpec, CollectorFrame, JobStartFrame } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { RawAgent } from '../../../../test/support/agent-client.ts';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { until } from '../../../../test/support/until.ts';
import { systemTime } from '../clock.ts';

/**
 * Jobs through the REST API with protocol-speaking agents: what is sent, what comes back, and
 * every bad input answered with a clear 4xx or protocol error that changes nothing.
 */

const ACTIONS: ActionSpec[] = [
  { name: 'uptime', dangerous: false, params: [] },
  {
    name: 'ping',
    dangerous: false,
    params: [{ name: 'target', kind: 'regex', pattern: '[a-z0-9.-]+', required: true }],
  },
  { name: 'reboot', dangerous: true, params: [] },
  { name: 'sleep', dangerous: false, params: [] },
];

let t: TestApp;
/** The jobs module's clock: deadlines, timeouts and grace periods pass only when a test says so. */
const time = new FakeTime();
let tokens: { viewer: string; operator: string; admin: string; admin2: string };
let web1: { id: number; agent: RawAgent };
let web2: { id: number; agent: RawAgent };
let db1: number;

async function online(name: string, labels: Record<string, string>) {
  const { id, token } = t.addHost(name, labels);
  const agent = await RawAgent.connect(t.wsUrl, token);
  await agent.hello({ actions: ACTIONS });
  return { id, agent };
}

beforeAll(async () => {
  t = await startTestApp({ jobs: { maxTargets: 3, lostGrace: 400, outputCap: 1024 } }, undefined, {
    jobsTime: { now: time.now, timers: time.timers },
  });
  tokens = {
    viewer: t.token('viewer'),
    operator: t.token('operator'),
    admin: t.token('admin'),
    admin2: t.token('admin'),
  };
  web1 = await online('web-1', { env: 'prod', role: 'web' });
  web2 = await online('web-2', { env: 'prod', role: 'db' });
  db1 = t.addHost('db-1', { env: 'prod' }).id;
  t.addHost('other-1', { env: 'dev' });
});
afterAll(async () => {
  web1.agent.close();
  web2.agent.close();
  await t.close();
});

async function call(who: keyof typeof tokens, method: string, url: string, body?: unknown) {
  const res = await t.app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${tokens[who]}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
}

const jobCount = () => t.app.pantau.jobs.repo.list({ limit: 500 }).length;
const audit = (action: string) =>
  t.app.pantau.store.audit.list(Number.MAX_SAFE_INTEGER, 500).filter((a) => a.action === action);

/** The job.start frame for a job, once it arrives. */
async function started(agent: RawAgent, jobId: number, timeoutMs = 3_000): Promise<JobStartFrame> {
  const match = (f: CollectorFrame) => f.t === 'job.start' && f.jobId.startsWith(`${jobId}:`);
  await agent.until(() => agent.frames.some(match), timeoutMs, `job.start of job ${jobId}`);
  return agent.frames.find(match) as JobStartFrame;
}

const barriers = new Map<RawAgent, number>();
/**
 * Everything the collector sent this agent so far has arrived, and every frame the agent sent
 * has been handled: the ack of a snapshot sent now comes after them on the same socket. How a
 * test sees that nothing happened, without sleeping.
 */
async function settled(agent: RawAgent): Promise<void> {
  const seq = (barriers.get(agent) ?? 0) + 1;
  barriers.set(agent, seq);
  agent.send({ t: 'metrics', snapshot: sampleSnapshot(seq) });
  await agent.waitAck(seq);
}

const sent = (agent: RawAgent, jobId: number) =>
  agent.frames.some((f) => f.t === 'job.start' && f.jobId.startsWith(`${jobId}:`));

function end(agent: RawAgent, jobId: string, exitCode = 0, extra: { cancelled?: boolean } = {}) {
  agent.send({
    t: 'job.end',
    jobId,
    exitCode,
    signal: null,
    durationMs: 12,
    truncated: false,
    timedOut: false,
    cancelled: extra.cancelled ?? false,
  });
}

/** The job once it is in `state`; a timeout names the state it was left in. */
async function jobState(id: number, state: string, timeoutMs = 5_000) {
  let last: unknown;
  return until(
    () => `job ${id} ${state}; it is ${JSON.stringify(last)}`,
    async () => {
      const job = (await call('viewer', 'GET', `/jobs/${id}`)).body;
      last = job;
      return job.state === state ? job : undefined;
    },
    timeoutMs,
  );
}

describe('preview', () => {
  it('resolves ids, names, globs and selectors, and names the skipped hosts with the reason', async () => {
    const res = await call('operator', 'POST', '/jobs/preview', {
      activity: 'uptime',
      targets: { hosts: ['web-*', db1], selector: 'role=db' },
    });
    expect(res.status).toBe(200);
    expect(res.body.hosts).toEqual([
      { id: web1.id, name: 'web-1' },
      { id: web2.id, name: 'web-2' },
    ]);
    expect(res.body.skipped).toEqual([
      { id: db1, name: 'db-1', reason: 'offline', message: 'db-1 is offline' },
    ]);
    const notAllowed = await call('operator', 'POST', '/jobs/preview', {
      activity: 'disk-usage',
      targets: { selector: 'role=web' },
    });
    expect(notAllowed.body.hosts).toEqual([]);
    expect(notAllowed.body.skipped).toMatchObject([{ name: 'web-1', reason: 'action-not-allowed' }]);
    expect(jobCount()).toBe(0);
  });
});

describe('a job on two hosts', () => {
  it('sends job.start to each, stores output in order, and ends succeeded with the report', async () => {
    const created = await call('operator', 'POST', '/jobs', {
      activity: 'uptime',
      targets: { hosts: ['web-*'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      activity: 'uptime',
      state: 'running',
      dangerous: false,
      timeoutMs: 10_000,
    });
    const id = created.body.id as number;
    const s1 = await started(web1.agent, id);
    const s2 = await started(web2.agent, id);
    expect(s1).toEqual({
      t: 'job.start',
      jobId: `${id}:${web1.id}`,
      action: 'uptime',
      params: {},
      timeoutMs: 10_000,
    });
    expect(s2.jobId).toBe(`${id}:${web2.id}`);
    for (const [i, line] of ['one\n', 'two\n', 'three\n'].entries()) {
      web1.agent.send({
        t: 'job.output',
        jobId: s1.jobId,
        stream: i === 1 ? 'stderr' : 'stdout',
        data: line,
      });
    }
    end(web1.agent, s1.jobId);
    web2.agent.send({ t: 'job.output', jobId: s2.jobId, stream: 'stdout', data: 'up 3 days\n' });
    end(web2.agent, s2.jobId, 3);
    const job = await jobState(id, 'failed');
    expect(job.counts).toEqual({ succeeded: 1, failed: 1 });
    expect(
      job.runs.map((r: { host: string; state: string; exitCode: number }) => [r.host, r.state, r.exitCode]),
    ).toEqual([
      ['web-1', 'succeeded', 0],
      ['web-2', 'failed', 3],
    ]);
    const out = await call('viewer', 'GET', `/jobs/${id}/runs/${web1.id}/output`);
    expect(out.body.items.map((c: { stream: string; data: string }) => [c.stream, c.data])).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\n'],
      ['stdout', 'three\n'],
    ]);
    const csv = await t.app.inject({
      url: `/api/v1/jobs/${id}/export?format=csv`,
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'jobId,activity,actor,actorName,hostId,host,state,exitCode,startedAt,endedAt,durationMs,outputTail,error',
    );
    // The id for machines, the name for people.
    expect(lines[1]).toMatch(new RegExp(`^"${id}","uptime","token:\\d+","operator test",`));
    expect(lines[1]).toContain('"web-1","succeeded","0"');
    // Both streams in order, each line marked with its stream as the CLI prints it.
    expect(lines[1]).toContain('"| one\n! two\n| three\n"');
    expect(lines[2]).toContain('"web-2","failed","3"');
    const json = await call('viewer', 'GET', `/jobs/export?from=0&format=json`);
    expect(json.body.items.filter((r: { jobId: number }) => r.jobId === id)).toHaveLength(2);
    const listed = await call('viewer', 'GET', `/jobs?activity=uptime&host=${web2.id}&state=failed`);
    expect(listed.body.items.map((j: { id: number }) => j.id)).toContain(id);
    expect(
      (await call('viewer', 'GET', '/jobs?state=succeeded')).body.items.map((j: { id: number }) => j.id),
    ).not.toContain(id);
    expect(audit('job.create').some((a) => a.target === `job:${id}` && a.surface === 'api')).toBe(true);
  });

  it('caps stored output per host and marks the run truncated', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-1'] } })
    ).body.id;
    const s = await started(web1.agent, id);
    web1.agent.send({ t: 'job.output', jobId: s.jobId, stream: 'stdout', data: 'x'.repeat(800) });
    web1.agent.send({ t: 'job.output', jobId: s.jobId, stream: 'stdout', data: 'y'.repeat(800) });
    web1.agent.send({ t: 'job.output', jobId: s.jobId, stream: 'stdout', data: 'z'.repeat(10) });
    end(web1.agent, s.jobId);
    const job = await jobState(id, 'succeeded');
    expect(job.runs[0].truncated).toBe(true);
    const out = (await call('viewer', 'GET', `/jobs/${id}/runs/${web1.id}/output`)).body.items;
    expect(out.map((c: { data: string }) => c.data).join('')).toBe(`${'x'.repeat(800)}${'y'.repeat(224)}`);
  });
});

describe('live events (SSE)', () => {
  it('streams job, run and output events in order, resumes after Last-Event-ID, and ends', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-1'] } })
    ).body.id;
    const s = await started(web1.agent, id);
    const res = await fetch(`${t.url}/api/v1/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = res.text();
    web1.agent.send({ t: 'job.output', jobId: s.jobId, stream: 'stdout', data: 'live-1\n' });
    web1.agent.send({ t: 'job.output', jobId: s.jobId, stream: 'stdout', data: 'live-2\n' });
    end(web1.agent, s.jobId);
    const events = parseSse(await text);
    expect(events.map((e) => e.event)).toEqual(['job', 'run', 'output', 'output', 'run', 'job', 'end']);
    expect(events.slice(0, -1).map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(events[2]!.data).toMatchObject({
      hostId: web1.id,
      host: 'web-1',
      stream: 'stdout',
      data: 'live-1\n',
    });
    expect(events[4]!.data).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect(events[6]!.data).toEqual({ state: 'succeeded' });

    const resumed = await fetch(`${t.url}/api/v1/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${tokens.viewer}`, 'last-event-id': '4' },
    });
    expect(parseSse(await resumed.text()).map((e) => e.id ?? e.event)).toEqual(['5', '6', 'end']);
    const bad = await call('viewer', 'GET', `/jobs/${id}/events?lastEventId=-1`);
    expect(bad.status).toBe(400);
  });
});

describe('shutdown', () => {
  it('ends open event streams so the collector can close; the client resumes elsewhere with Last-Event-ID', async () => {
    // A short lost grace: a shutdown must not count as the host going away. The rest of the
    // collector runs on fake time that never moves, so closing cannot lean on any timeout.
    const t3 = await startTestApp({ jobs: { lostGrace: 100 } }, undefined, {
      time: new FakeTime(),
      jobsTime: systemTime,
    });
    const host = t3.addHost('short-1');
    const agent = await RawAgent.connect(t3.wsUrl, host.token);
    await agent.hello({ actions: ACTIONS });
    const res = await t3.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { authorization: `Bearer ${t3.adminToken}` },
      payload: { activity: 'uptime', targets: { all: true } },
    });
    const stream = await fetch(`${t3.url}/api/v1/jobs/${res.json().id}/events`, {
      headers: { authorization: `Bearer ${t3.adminToken}` },
    });
    const text = stream.text();
    await t3.close({ keepData: true });
    const events = parseSse(await text);
    expect(events.map((e) => e.event)).toEqual(['job', 'run']);
    agent.close();
    // The run is still running for the next start to reconcile with the agent.
    const again = await startTestApp({ jobs: { lostGrace: 60_000 } }, t3.dataDir);
    expect(again.app.pantau.jobs.repo.runs(res.json().id).map((r) => r.state)).toEqual(['running']);
    await again.close();
  });
});

describe('fan-out', () => {
  it('batch: 1 starts the second host only after the first ended', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-*'] }, batch: 1 })
    ).body.id;
    const s1 = await started(web1.agent, id);
    await settled(web2.agent);
    expect(sent(web2.agent, id)).toBe(false);
    end(web1.agent, s1.jobId);
    end(web2.agent, (await started(web2.agent, id)).jobId);
    await jobState(id, 'succeeded');
  });

  it('stopAfterFailures cancels the hosts not yet started', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', {
        activity: 'uptime',
        targets: { hosts: ['web-*'] },
        batch: '50%',
        stopAfterFailures: 1,
      })
    ).body.id;
    end(web1.agent, (await started(web1.agent, id)).jobId, 1);
    const job = await jobState(id, 'failed');
    expect(job.runs[1]).toMatchObject({
      host: 'web-2',
      state: 'cancelled',
      error: expect.stringContaining('stopAfterFailures 1'),
    });
    expect(sent(web2.agent, id)).toBe(false);
  });

  it('a host that refuses the job ends rejected with its reason, audited', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-1'] } })
    ).body.id;
    const s = await started(web1.agent, id);
    web1.agent.send({
      t: 'job.rejected',
      jobId: s.jobId,
      code: 'ACTION_NOT_ALLOWED',
      reason: 'not in actions.allow',
    });
    const job = await jobState(id, 'failed');
    expect(job.runs[0]).toMatchObject({
      state: 'rejected',
      error: 'ACTION_NOT_ALLOWED: not in actions.allow',
    });
    expect(audit('job.rejected').some((a) => a.target === `job:${id}` && a.actor === `host:${web1.id}`)).toBe(
      true,
    );
  });
});

describe('cancel', () => {
  it('asks the agent to stop; the job ends cancelled when it reports', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-1'] } })
    ).body.id;
    const s = await started(web1.agent, id);
    const res = await call('operator', 'POST', `/jobs/${id}/cancel`);
    expect(res.status).toBe(200);
    // The id for machines, the name for people.
    expect(res.body).toMatchObject({
      cancelledBy: expect.stringMatching(/^token:\d+$/),
      cancelledByName: 'token operator test',
    });
    await web1.agent.until(
      () => web1.agent.frames.some((f) => f.t === 'job.cancel' && f.jobId === s.jobId),
      3_000,
      'job.cancel',
    );
    end(web1.agent, s.jobId, 143, { cancelled: true });
    const job = await jobState(id, 'cancelled');
    expect(job.runs[0].state).toBe('cancelled');
    expect((await call('operator', 'POST', `/jobs/${id}/cancel`)).status).toBe(409);
  });

  it('names who cancelled on the hosts it never started, as people read it', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-*'] }, batch: 1 })
    ).body.id;
    const s = await started(web1.agent, id);
    expect((await call('operator', 'POST', `/jobs/${id}/cancel`)).status).toBe(200);
    end(web1.agent, s.jobId, 143, { cancelled: true });
    const job = await jobState(id, 'cancelled');
    expect(job.runs[1]).toMatchObject({
      host: 'web-2',
      state: 'cancelled',
      error: 'job cancelled by token operator test before this host started',
    });
  });

  it("refuses an operator cancelling someone else's job, audits it and changes nothing", async () => {
    const id = (await call('admin', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-2'] } }))
      .body.id;
    const s = await started(web2.agent, id);
    const res = await call('operator', 'POST', `/jobs/${id}/cancel`);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('job.cancel.any');
    expect(audit('job.denied').some((a) => a.target === `job:${id}`)).toBe(true);
    expect((await call('operator', 'POST', `/jobs/${id}/runs/${web2.id}/cancel`)).status).toBe(403);
    expect((await call('viewer', 'GET', `/jobs/${id}`)).body.state).toBe('running');
    expect(web2.agent.frames.some((f) => f.t === 'job.cancel' && f.jobId === s.jobId)).toBe(false);
    const byAdmin = await call('admin2', 'POST', `/jobs/${id}/runs/${web2.id}/cancel`);
    expect(byAdmin.status).toBe(200);
    end(web2.agent, s.jobId, null as unknown as number, { cancelled: true });
    await jobState(id, 'cancelled');
  });
});

describe('disconnects', () => {
  it('a run whose agent never reports ends timed_out at the timeout plus the report margin', async () => {
    const id = (
      await call('operator', 'POST', '/jobs', {
        activity: 'uptime',
        targets: { hosts: ['web-2'] },
        timeoutMs: 200,
      })
    ).body.id;
    const s = await started(web2.agent, id);
    time.advance(5_199);
    expect((await call('viewer', 'GET', `/jobs/${id}`)).body.state).toBe('running');
    time.advance(1);
    const job = await jobState(id, 'failed');
    expect(job.runs[0]).toMatchObject({
      state: 'timed_out',
      error: expect.stringContaining('did not report'),
    });
    expect(job.runs[0].durationMs).toBe(5_200);
    // The agent is told to stop, in case it still runs it.
    await web2.agent.until(
      () => web2.agent.frames.some((f) => f.t === 'job.cancel' && f.jobId === s.jobId),
      2_000,
      'job.cancel after the collector timed the run out',
    );
  });

  it('a run whose agent disconnects and does not come back within the grace period ends lost', async () => {
    const { id: hostId, token } = t.addHost('flaky-1');
    const agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello({ actions: ACTIONS });
    const id = (await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: [hostId] } }))
      .body.id;
    await started(agent, id);
    agent.close();
    await agent.closed;
    await until('the collector to see the host go', () => !t.app.pantau.gateway.isOnline(hostId));
    time.advance(399);
    expect((await call('viewer', 'GET', `/jobs/${id}`)).body.state).toBe('running');
    time.advance(1);
    const job = await jobState(id, 'failed');
    expect(job.runs[0]).toMatchObject({ state: 'lost', error: expect.stringContaining('did not report') });
  });

  it('an agent that reconnects holding the job finishes it; one that reconnects without it ends lost', async () => {
    const { id: hostId, token } = t.addHost('flaky-2');
    let agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello({ actions: ACTIONS });
    const kept = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: [hostId] } })
    ).body.id;
    const dropped = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: [hostId] } })
    ).body.id;
    await started(agent, dropped);
    agent.close();
    await agent.closed;
    agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello({ actions: ACTIONS, jobs: [`${kept}:${hostId}`] });
    expect((await jobState(dropped, 'failed')).runs[0].state).toBe('lost');
    expect((await call('viewer', 'GET', `/jobs/${kept}`)).body.state).toBe('running');
    end(agent, `${kept}:${hostId}`);
    await jobState(kept, 'succeeded');
    agent.close();
  });
});

describe('dangerous activities', () => {
  it('need the admin role: an operator is refused, audited, and nothing is created', async () => {
    const before = jobCount();
    const res = await call('operator', 'POST', '/jobs', {
      activity: 'reboot',
      targets: { hosts: ['web-1'] },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'FORBIDDEN',
      message: expect.stringContaining('job.run.dangerous needs the admin role'),
    });
    expect(jobCount()).toBe(before);
    expect(audit('job.denied').some((a) => a.details?.activity === 'reboot')).toBe(true);
  });

  it("an action the agent marks dangerous makes its activity dangerous, and the form can't say otherwise", async () => {
    // An activity made before any agent announced the action.
    const purge = {
      name: 'purge',
      action: 'purge',
      description: '',
      fixed: {},
      params: [],
      dangerous: false,
    };
    expect((await call('admin', 'POST', '/activities', { ...purge, minRole: 'operator' })).status).toBe(201);
    const { id: hostId, token } = t.addHost('purger-1');
    const agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello({ actions: [...ACTIONS, { name: 'purge', dangerous: true, params: [] }] });

    const listed = (await call('viewer', 'GET', '/activities')).body.items as { id: string }[];
    expect(listed.find((a) => a.id === 'purge')).toMatchObject({ dangerous: true, minRole: 'admin' });
    const byOperator = await call('operator', 'POST', '/jobs', {
      activity: 'purge',
      targets: { hosts: [hostId] },
    });
    expect(byOperator.status).toBe(403);
    const byAdmin = await call('admin', 'POST', '/jobs', { activity: 'purge', targets: { hosts: [hostId] } });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body).toMatchObject({ dangerous: true, state: 'awaiting_confirmation' });
    expect(sent(agent, byAdmin.body.id)).toBe(false);

    // Saying "not dangerous" over it now is refused with the reason, on create and on edit.
    for (const [method, url, body] of [
      ['POST', '/activities', { ...purge, name: 'purge-2', minRole: 'operator' }],
      ['PUT', '/activities/purge', { ...purge, minRole: 'operator' }],
    ] as const) {
      const res = await call('admin', method, url, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        "body.dangerous must be true: the agent on purger-1 marks purge dangerous (the agent's flag wins)",
      );
    }
    expect((await call('admin', 'POST', `/jobs/${byAdmin.body.id}/cancel`)).status).toBe(200);
    agent.close();
  });

  it('wait for a confirmation, then run; confirming twice is a conflict', async () => {
    const created = await call('admin', 'POST', '/jobs', {
      activity: 'reboot',
      targets: { hosts: ['web-1'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('awaiting_confirmation');
    expect(created.body.decideBy).toBeGreaterThan(Date.now() + 60_000);
    const id = created.body.id;
    await settled(web1.agent);
    expect(sent(web1.agent, id)).toBe(false);
    expect((await call('admin2', 'POST', `/jobs/${id}/confirm`)).status).toBe(403);
    const confirmed = await call('admin', 'POST', `/jobs/${id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.state).toBe('running');
    const again = await call('admin', 'POST', `/jobs/${id}/confirm`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('not awaiting confirmation');
    end(web1.agent, (await started(web1.agent, id)).jobId);
    await jobState(id, 'succeeded');
    expect(audit('job.confirm').some((a) => a.target === `job:${id}`)).toBe(true);
  });
});

describe('bad input changes nothing', () => {
  const cases: [string, keyof typeof tokens, unknown, number, string, string][] = [
    [
      'an unknown activity',
      'operator',
      { activity: 'nope', targets: { all: true } },
      404,
      'NOT_FOUND',
      'no activity "nope"',
    ],
    [
      'a parameter failing its schema',
      'operator',
      { activity: 'ping', params: { target: '-rf /' }, targets: { all: true } },
      400,
      'INVALID_PARAMS',
      'target must match',
    ],
    [
      'an unknown parameter',
      'operator',
      { activity: 'uptime', params: { x: 1 }, targets: { all: true } },
      400,
      'INVALID_PARAMS',
      'unknown parameter "x"',
    ],
    [
      'a missing parameter',
      'operator',
      { activity: 'ping', targets: { all: true } },
      400,
      'INVALID_PARAMS',
      'parameter target is required',
    ],
    [
      'no targets',
      'operator',
      { activity: 'uptime', targets: {} },
      400,
      'VALIDATION_FAILED',
      'targets needs hosts',
    ],
    [
      'targets matching nothing',
      'operator',
      { activity: 'uptime', targets: { selector: 'env=nowhere' } },
      400,
      'VALIDATION_FAILED',
      'targets match no host',
    ],
    [
      'an unknown host name',
      'operator',
      { activity: 'uptime', targets: { hosts: ['web-9'] } },
      404,
      'NOT_FOUND',
      'no host named "web-9"',
    ],
    [
      'more targets than the cap',
      'operator',
      { activity: 'uptime', targets: { all: true } },
      400,
      'VALIDATION_FAILED',
      'at most 3 (jobs.maxTargets)',
    ],
    [
      'a selector without =',
      'operator',
      { activity: 'uptime', targets: { selector: 'env' } },
      400,
      'VALIDATION_FAILED',
      '"env" is not key=value',
    ],
    [
      'a selector with two =',
      'operator',
      { activity: 'uptime', targets: { selector: 'env=a=b' } },
      400,
      'VALIDATION_FAILED',
      'more than one "="',
    ],
    [
      'a batch of 0%',
      'operator',
      { activity: 'uptime', targets: { all: true }, batch: '0%' },
      400,
      'VALIDATION_FAILED',
      'body.batch',
    ],
    [
      'a batch over 100%',
      'operator',
      { activity: 'uptime', targets: { all: true }, batch: '150%' },
      400,
      'VALIDATION_FAILED',
      'body.batch',
    ],
    [
      'an unknown field',
      'operator',
      { activity: 'uptime', targets: { all: true }, shell: 'rm' },
      400,
      'VALIDATION_FAILED',
      'unknown field "shell"',
    ],
    [
      'a viewer creating a job',
      'viewer',
      { activity: 'uptime', targets: { hosts: ['web-1'] } },
      403,
      'FORBIDDEN',
      'operator role',
    ],
    [
      'only offline hosts',
      'operator',
      { activity: 'uptime', targets: { hosts: ['db-1'] } },
      400,
      'VALIDATION_FAILED',
      'db-1: db-1 is offline',
    ],
  ];
  it.each(cases)('%s', async (_what, who, body, status, code, message) => {
    const before = jobCount();
    const res = await call(who, 'POST', '/jobs', body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toContain(message);
    expect(jobCount()).toBe(before);
  });
});

describe('job frames the collector never sent', () => {
  it('get an UNKNOWN_JOB error frame naming the job id; the agent stays connected', async () => {
    const { id: hostId, token } = t.addHost('liar-1');
    const agent = await RawAgent.connect(t.wsUrl, token);
    await agent.hello({ actions: ACTIONS });
    const other = (
      await call('operator', 'POST', '/jobs', { activity: 'uptime', targets: { hosts: ['web-1'] } })
    ).body.id;
    const s = await started(web1.agent, other);
    agent.send({ t: 'job.output', jobId: '999:1', stream: 'stdout', data: 'forged' });
    agent.send({
      t: 'job.end',
      jobId: s.jobId,
      exitCode: 0,
      signal: null,
      durationMs: 1,
      truncated: false,
      timedOut: false,
      cancelled: false,
    });
    agent.send({ t: 'job.rejected', jobId: `${other}:${hostId}`, code: 'JOB_LIMIT', reason: 'x' });
    await agent.until(
      () => agent.frames.filter((f) => f.t === 'error').length === 3,
      3_000,
      'three error frames',
    );
    const errors = agent.frames.filter((f) => f.t === 'error');
    expect(errors.map((e) => e.code)).toEqual(['UNKNOWN_JOB', 'UNKNOWN_JOB', 'UNKNOWN_JOB']);
    expect(errors[0]!.message).toContain('job 999:1');
    expect(errors[1]!.message).toContain(`job ${s.jobId}, which this collector never sent to liar-1`);
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    // Nothing changed: the real run is still running and stored no output.
    const job = (await call('viewer', 'GET', `/jobs/${other}`)).body;
    expect(job.runs[0].state).toBe('running');
    end(web1.agent, s.jobId);
    await jobState(other, 'succeeded');
    // A late frame for a run that has ended is dropped without an error.
    end(web1.agent, s.jobId);
    await settled(web1.agent);
    expect(web1.agent.frames.some((f) => f.t === 'error')).toBe(false);
    agent.close();
  });
});

describe('activities', () => {
  it('admins define, edit and remove activities over agent actions; built-ins cannot change; all audited', async () => {
    const list = (await call('viewer', 'GET', '/activities')).body.items;
    expect(list.find((a: { id: string }) => a.id === 'service-restart')).toMatchObject({
      dangerous: true,
      builtin: true,
      minRole: 'admin',
    });
    const body = {
      name: 'ping-gateway',
      description: 'ping the gateway',
      action: 'ping',
      fixed: {},
      params: [{ name: 'target', kind: 'enum', values: ['gw1.example.com', 'gw2.example.com'] }],
      minRole: 'operator',
    };
    const created = await call('admin', 'POST', '/activities', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'ping-gateway', builtin: false, dangerous: false });
    expect((await call('admin', 'POST', '/activities', body)).status).toBe(409);
    expect((await call('operator', 'POST', '/activities', { ...body, name: 'x' })).status).toBe(403);

    // Its own parameter spec is enforced before anything is sent.
    const bad = await call('operator', 'POST', '/jobs', {
      activity: 'ping-gateway',
      params: { target: 'evil.example.com' },
      targets: { hosts: ['web-1'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('target must be one of gw1.example.com, gw2.example.com');
    const id = (
      await call('operator', 'POST', '/jobs', {
        activity: 'ping-gateway',
        params: { target: 'gw2.example.com' },
        targets: { hosts: ['web-1'] },
      })
    ).body.id;
    const s = await started(web1.agent, id);
    expect(s).toMatchObject({ action: 'ping', params: { target: 'gw2.example.com' } });
    end(web1.agent, s.jobId);
    await jobState(id, 'succeeded');

    const invalid: [unknown, string][] = [
      [{ ...body, name: 'a1', fixed: { count: 99 } }, 'count must be at most 10'],
      [
        { ...body, name: 'a2', params: [{ name: 'bogus', kind: 'integer' }] },
        'bogus is not a parameter of ping',
      ],
      [
        { ...body, name: 'a3', params: [{ name: 'target', kind: 'regex', pattern: '(' }] },
        'pattern that cannot be run',
      ],
      [
        { ...body, name: 'a5', params: [{ name: 'target', kind: 'regex', pattern: '(?=gw)[a-z.]+' }] },
        'pattern that cannot be run',
      ],
      [{ ...body, name: 'a4', action: 'reboot', params: [] }, 'body.dangerous must be true'],
      [{ ...body, name: 'uptime' }, 'exists already'],
    ];
    for (const [payload, message] of invalid) {
      const res = await call('admin', 'POST', '/activities', payload);
      expect(res.status, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(res.body.error.message).toContain(message);
    }
    // Whole numbers stay numbers, in a parameter's default and in a fixed value.
    const counted = await call('admin', 'POST', '/activities', {
      name: 'ping-counted',
      action: 'ping',
      fixed: { count: 4 },
      params: [{ name: 'target', kind: 'regex', pattern: '^[a-z.]+$', default: 'gw' }],
    });
    expect(counted.status, JSON.stringify(counted.body)).toBe(201);
    expect(counted.body.fixed).toEqual({ count: 4 });
    const waits = await call('admin', 'POST', '/activities', {
      name: 'ping-waits',
      action: 'ping',
      params: [
        { name: 'target', kind: 'regex', pattern: '^[a-z0-9.]+$', default: '30' },
        { name: 'count', kind: 'integer', min: 1, max: 10, default: 3 },
      ],
    });
    expect(waits.status, JSON.stringify(waits.body)).toBe(201);
    // A regex parameter's "30" stays text.
    expect(waits.body.params.map((p: { default: unknown }) => p.default)).toEqual(['30', 3]);
    const listed = (await call('viewer', 'GET', '/activities')).body.items;
    expect(listed.find((a: { id: string }) => a.id === 'ping-counted').fixed).toEqual({ count: 4 });
    expect(listed.find((a: { id: string }) => a.id === 'ping-waits').params[1].default).toBe(3);
    const edited = await call('admin', 'PUT', '/activities/ping-gateway', { ...body, dangerous: true });
    expect(edited.body.dangerous).toBe(true);
    expect((await call('admin', 'PUT', '/activities/uptime', { ...body, name: 'uptime' })).status).toBe(409);
    expect((await call('admin', 'DELETE', '/activities/reboot')).status).toBe(409);
    expect((await call('admin', 'DELETE', '/activities/ping-gateway')).status).toBe(204);
    expect((await call('admin', 'DELETE', '/activities/ping-gateway')).status).toBe(404);
    for (const action of ['activity.create', 'activity.update', 'activity.delete']) {
      expect(audit(action).some((a) => a.target === 'activity:ping-gateway')).toBe(true);
    }
  });
});

describe('expiry and four-eyes approval', () => {
  let t2: TestApp;
  let time: FakeTime;
  let agent: RawAgent;
  let ann: { id: number; token: string };
  let bob: { id: number; token: string };
  let hostId: number;
  let hostToken: string;
  let starts = 0;
  const call2 = async (token: string, method: string, url: string, body?: object) => {
    const res = await t2.app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body }),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const create = async (token: string) =>
    (await call2(token, 'POST', '/jobs', { activity: 'reboot', targets: { hosts: [hostId] } })).body
      .id as number;
  const confirmed = async (token: string) => {
    const id = await create(token);
    expect((await call2(token, 'POST', `/jobs/${id}/confirm`)).body.state).toBe('awaiting_approval');
    return id;
  };
  const start = async (dataDir?: string, at = Date.now()) => {
    time = new FakeTime(at);
    t2 = await startTestApp({ jobs: { fourEyes: true, confirmTimeout: 400 } }, dataDir, {
      jobsTime: { now: time.now, timers: time.timers },
    });
    // Fresh users on each start: a restarted collector keeps the old ones.
    const n = ++starts;
    ann = t2.user(`ann-${n}`, 'admin');
    bob = t2.user(`bob-${n}`, 'admin');
  };

  beforeAll(async () => {
    await start();
    const host = t2.addHost('four-1');
    hostId = host.id;
    hostToken = host.token;
    agent = await RawAgent.connect(t2.wsUrl, host.token);
    await agent.hello({ actions: ACTIONS });
  });
  afterAll(async () => {
    agent.close();
    await t2.close();
  });

  it('a job not confirmed in time expires, and confirming it then is a conflict', async () => {
    const id = await create(ann.token);
    time.advance(399);
    expect((await call2(ann.token, 'GET', `/jobs/${id}`)).body.state).toBe('awaiting_confirmation');
    time.advance(1);
    const res = await call2(ann.token, 'POST', `/jobs/${id}/confirm`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(`job ${id} expired`);
    const job = (await call2(ann.token, 'GET', `/jobs/${id}`)).body;
    expect(job.state).toBe('expired');
    expect(job.runs[0].state).toBe('cancelled');
    expect(agent.frames.some((f) => f.t === 'job.start')).toBe(false);
  });

  it('an approval not given in time expires the job', async () => {
    const id = await confirmed(ann.token);
    time.advance(400);
    expect((await call2(bob.token, 'POST', `/jobs/${id}/approve`)).status).toBe(409);
    expect((await call2(bob.token, 'GET', `/jobs/${id}`)).body.state).toBe('expired');
  });

  it('a confirmation deadline survives a collector restart', async () => {
    const id = await create(ann.token);
    agent.close();
    const dataDir = t2.dataDir;
    await t2.close({ keepData: true });
    // Down for longer than the deadline.
    await start(dataDir, time.now() + 500);
    // The new start finds the deadline passed: it expires the job at once.
    time.advance(0);
    const job = (await call2(ann.token, 'GET', `/jobs/${id}`)).body;
    expect(job.state).toBe('expired');
    expect(
      t2.app.pantau.store.audit
        .list(Number.MAX_SAFE_INTEGER, 50)
        .some((a) => a.action === 'job.expire' && a.target === `job:${id}`),
    ).toBe(true);
    agent = await RawAgent.connect(t2.wsUrl, hostToken);
    await agent.hello({ actions: ACTIONS });
  });

  it('after the confirmation another admin approves; nobody approves their own job', async () => {
    const id = await confirmed(ann.token);
    const own = await call2(ann.token, 'POST', `/jobs/${id}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error.message).toContain('nobody approves their own job');
    expect(agent.frames.some((f) => f.t === 'job.start')).toBe(false);
    const approved = await call2(bob.token, 'POST', `/jobs/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('running');
    expect(approved.body.approvedBy).toBe(`user:${bob.id}`);
    const s = await started(agent, id);
    end(agent, s.jobId);
    expect((await call2(bob.token, 'POST', `/jobs/${id}/approve`)).status).toBe(409);
  });

  it('a token approves as the person who minted it; a token with no person cannot approve', async () => {
    const id = await confirmed(ann.token);
    // ann mints an admin service token, and with it another one.
    const minted = (await call2(ann.token, 'POST', '/tokens', { name: 'ann-ci', role: 'admin' })).body;
    expect(minted.secret).toBeTypeOf('string');
    const grandchild = (await call2(minted.secret, 'POST', '/tokens', { name: 'ann-ci-2', role: 'admin' }))
      .body;
    for (const secret of [minted.secret, grandchild.secret]) {
      const res = await call2(secret, 'POST', `/jobs/${id}/approve`);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('nobody approves their own job');
    }
    // The config token and a token made at the collector's machine belong to nobody.
    for (const secret of [t2.adminToken, t2.token('admin')]) {
      const res = await call2(secret, 'POST', `/jobs/${id}/approve`);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('belongs to no person');
    }
    // A job created with ann's minted token is still ann's.
    const viaToken = await confirmed(minted.secret);
    expect((await call2(ann.token, 'POST', `/jobs/${viaToken}/approve`)).status).toBe(403);
    const denied = t2.app.pantau.store.audit
      .list(Number.MAX_SAFE_INTEGER, 100)
      .filter((a) => a.action === 'job.denied' && a.target === `job:${id}`);
    expect(denied).toHaveLength(4);
    expect(agent.frames.some((f) => f.t === 'job.start' && f.jobId.startsWith(`${id}:`))).toBe(false);
    // bob is another person.
    expect((await call2(bob.token, 'POST', `/jobs/${id}/approve`)).body.state).toBe('running');
    end(agent, (await started(agent, id)).jobId);
    expect((await call2(bob.token, 'POST', `/jobs/${viaToken}/cancel`)).status).toBe(200);
  });

  it('each command is one transaction: a failed write leaves no job, no half state and no event', async () => {
    const db = t2.app.pantau.store.db;
    const { repo } = t2.app.pantau.jobs;
    const failOn = (action: string) =>
      db.exec(`CREATE TEMP TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.action = '${action}'
        BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`);
    const heal = () => db.exec('DROP TRIGGER fail_audit');
    const jobs = () => repo.list({ limit: 1000 }).length;
    // Nobody hears of a change that was rolled back (the approval requests listen to this).
    const heard: string[] = [];
    const off = t2.app.pantau.events.on('job.changed', (e) => heard.push(`${e.job.id}:${e.job.state}`));

    const before = jobs();
    failOn('job.create');
    expect(
      (await call2(ann.token, 'POST', '/jobs', { activity: 'reboot', targets: { hosts: [hostId] } })).status,
    ).toBe(500);
    heal();
    expect(jobs()).toBe(before);

    const id = await create(ann.token);
    const events = repo.events(id).length;
    failOn('job.confirm');
    expect((await call2(ann.token, 'POST', `/jobs/${id}/confirm`)).status).toBe(500);
    heal();
    expect(repo.get(id)).toMatchObject({ state: 'awaiting_confirmation', confirmedBy: null });
    expect(repo.events(id)).toHaveLength(events);

    expect((await call2(ann.token, 'POST', `/jobs/${id}/confirm`)).body.state).toBe('awaiting_approval');
    failOn('job.approve');
    expect((await call2(bob.token, 'POST', `/jobs/${id}/approve`)).status).toBe(500);
    heal();
    expect(repo.get(id)).toMatchObject({ state: 'awaiting_approval', approvedBy: null });
    expect(agent.frames.some((f) => f.t === 'job.start' && f.jobId.startsWith(`${id}:`))).toBe(false);

    failOn('job.cancel');
    expect((await call2(ann.token, 'POST', `/jobs/${id}/cancel`)).status).toBe(500);
    heal();
    expect(repo.get(id)).toMatchObject({ state: 'awaiting_approval', cancelledBy: null });
    expect(repo.runs(id)[0]!.state).toBe('queued');
    // Only the commands that went through were heard: the create and the one good confirm.
    off();
    // (The earlier tests' jobs may still be ending meanwhile: only new jobs and this one count.)
    expect(heard.filter((h) => Number(h.split(':')[0]) >= id)).toEqual([
      `${id}:awaiting_confirmation`,
      `${id}:awaiting_approval`,
    ]);
    // The deadline still holds after the failed commands.
    time.advance(400);
    expect(repo.get(id)!.state).toBe('expired');
  });
});

interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return { id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data ?? 'null') };
    });
}
