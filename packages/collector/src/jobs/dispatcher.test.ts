import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorFrame, HelloFrame } from '@pantau/shared';
import Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleNewJob } from '../../../../test/fixtures/samples.ts';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { EventBus } from '../events.ts';
import { DB_FILE } from '../store/db.ts';
import { Store } from '../store/index.ts';
import { Dispatcher } from './dispatcher.ts';
import { JobRepo } from './job-repo.ts';
import { protocolJobId } from './types.ts';

const DAY = 86_400_000;
let dir: string;
let store: Store;
let repo: JobRepo;
let events: EventBus;
let sent: { hostId: number; frame: CollectorFrame }[];
let dispatcher: Dispatcher;
let time: FakeTime;
/** A second connection to the same file: it sees only what is committed. */
let reader: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-dispatch-'));
  store = new Store({
    dataDir: dir,
    busyTimeout: 1000,
    retention: { raw: DAY, minute: DAY, hour: DAY, chunkRows: 2 },
  });
  repo = new JobRepo(store.db);
  events = new EventBus();
  sent = [];
  time = new FakeTime();
  dispatcher = new Dispatcher({
    repo,
    hosts: store.hosts,
    gateway: {
      send: (hostId, frame) => {
        sent.push({ hostId, frame });
        return true;
      },
      isOnline: () => true,
    },
    events,
    audit: store.audit,
    log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
    outputCap: 1024,
    lostGrace: 60_000,
    now: time.now,
    timers: time.timers,
  });
  reader = new Database(join(dir, DB_FILE), { readonly: true });
});
afterEach(() => {
  dispatcher.stop();
  reader.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const hello = {
  t: 'hello',
  protocol: 1,
  agentVersion: 'test',
  system: {},
  actions: [{ name: 'uptime', dangerous: false, params: [] }],
  intervalMs: 10_000,
} as unknown as HelloFrame;

/** A running `uptime` job on `n` hosts, every run started. */
function runningJob(n: number): { jobId: number; hostIds: number[] } {
  const hosts = Array.from({ length: n }, (_, i) => {
    const { host } = store.hosts.add(`web-${i + 1}`, {});
    store.hosts.markOnline(host.id, hello);
    return { id: host.id, name: host.name };
  });
  const jobId = repo.insert(sampleNewJob({ state: 'awaiting_confirmation' }), hosts);
  dispatcher.start(jobId);
  return { jobId, hostIds: hosts.map((h) => h.id) };
}

const committedRun = (jobId: number, hostId: number) =>
  reader.prepare('SELECT state FROM job_runs WHERE job_id = ? AND host_id = ?').get(jobId, hostId) as {
    state: string;
  };
const tick = () => new Promise((resolve) => setImmediate(resolve));
const end = (jobId: number, hostId: number) =>
  ({
    t: 'job.end',
    jobId: protocolJobId(jobId, hostId),
    exitCode: 0,
    signal: null,
    durationMs: 5,
    timedOut: false,
    cancelled: false,
    truncated: false,
  }) as const;

describe('job frames', () => {
  it('stores a burst in one go and tells the bus only what is committed, in each run’s order', async () => {
    const { jobId, hostIds } = runningJob(3);
    expect(sent.map((s) => s.frame.t)).toEqual(['job.start', 'job.start', 'job.start']);
    const told: { type: string; hostId: number; seq: number; committed: string }[] = [];
    events.on('job.output', (e) =>
      told.push({
        type: 'output',
        hostId: e.hostId,
        seq: e.seq,
        committed: committedRun(jobId, e.hostId).state,
      }),
    );
    events.on('job.run', (e) =>
      told.push({
        type: e.run.state,
        hostId: e.run.hostId,
        seq: e.seq,
        committed: committedRun(jobId, e.run.hostId).state,
      }),
    );
    const verdicts = hostIds.flatMap((hostId) => [
      dispatcher.onFrame(hostId, {
        t: 'job.output',
        jobId: protocolJobId(jobId, hostId),
        stream: 'stdout',
        data: 'up 1 day\n',
      }),
      dispatcher.onFrame(hostId, end(jobId, hostId)),
    ]);
    // A second end of the same run in the same burst is judged before the first is stored.
    verdicts.push(dispatcher.onFrame(hostIds[0]!, end(jobId, hostIds[0]!)));
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(told).toEqual([]);
    expect(hostIds.map((h) => committedRun(jobId, h).state)).toEqual(['running', 'running', 'running']);

    await tick();
    expect(told.map((t) => [t.type, t.hostId, t.committed])).toEqual(
      hostIds.flatMap((h) => [
        // Told after the whole burst is committed, the end of the same run included.
        ['output', h, 'succeeded'],
        ['succeeded', h, 'succeeded'],
      ]),
    );
    const seqs = told.map((t) => t.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(repo.get(jobId)?.state).toBe('succeeded');
    expect(repo.events(jobId).map((e) => e.seq)).toEqual(repo.events(jobId).map((_, i) => i + 1));
    // The duplicate end changed nothing: one final run event per host.
    expect(repo.events(jobId).filter((e) => e.type === 'run' && e.hostId === hostIds[0]).length).toBe(2);
    expect(dispatcher.onFrame(hostIds[0]!, end(jobId, hostIds[0]!))).toBe('late');
  });

  it('judges frames for runs it never sent as unknown and queues nothing', async () => {
    const { jobId, hostIds } = runningJob(1);
    const [hostId] = hostIds as [number];
    expect(dispatcher.onFrame(hostId, end(jobId + 7, hostId))).toBe('unknown');
    expect(dispatcher.onFrame(hostId + 1, end(jobId, hostId))).toBe('unknown');
    expect(dispatcher.onFrame(hostId, { ...end(jobId, hostId), jobId: 'not-a-job' })).toBe('unknown');
    await tick();
    expect(repo.run(jobId, hostId)?.state).toBe('running');
  });

  it('stores what was received before a cancel: a run whose end is queued is not cancelled', () => {
    const { jobId, hostIds } = runningJob(1);
    const [hostId] = hostIds as [number];
    const before = repo.run(jobId, hostId)!;
    expect(dispatcher.onFrame(hostId, end(jobId, hostId))).toBe('ok');
    dispatcher.cancelRun(before, 'token:1');
    expect(sent.filter((s) => s.frame.t === 'job.cancel')).toEqual([]);
    expect(committedRun(jobId, hostId).state).toBe('succeeded');
    expect(repo.get(jobId)?.state).toBe('succeeded');
  });

  it('keeps the frames while the database stays locked, and stores them once it is free', async () => {
    const { jobId, hostIds } = runningJob(1);
    const [hostId] = hostIds as [number];
    store.db.pragma('busy_timeout = 20');
    // Another writer (the metric thread, a backup, the CLI) holds the write lock.
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    const told: string[] = [];
    events.on('job.run', (e) => told.push(e.run.state));
    expect(dispatcher.onFrame(hostId, end(jobId, hostId))).toBe('ok');
    await tick();
    expect({ run: committedRun(jobId, hostId).state, told }).toEqual({ run: 'running', told: [] });
    // Still locked at the first retry: kept again.
    time.advance(250);
    expect(committedRun(jobId, hostId).state).toBe('running');
    other.exec('COMMIT');
    other.close();
    time.advance(250);
    expect({ run: committedRun(jobId, hostId).state, told }).toEqual({
      run: 'succeeded',
      told: ['succeeded'],
    });
    expect(repo.get(jobId)?.state).toBe('succeeded');
  });
});
