import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleNewJob } from '../../../../test/fixtures/samples.ts';
import { Store } from '../store/index.ts';
import { JobRepo, type NewJob } from './job-repo.ts';

const DAY = 86_400_000;
let dir: string;
let store: Store;
let repo: JobRepo;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-jobs-'));
  store = new Store({
    dataDir: dir,
    busyTimeout: 1000,
    retention: { raw: DAY, minute: DAY, hour: DAY, chunkRows: 2 },
  });
  repo = new JobRepo(store.db);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const newJob = (createdAt: number, state: NewJob['state'] = 'succeeded'): NewJob =>
  sampleNewJob({ createdAt, state });

describe('job repository', () => {
  it('numbers each job’s events from 1 and replays them after a given id', () => {
    const a = repo.insert(newJob(1), [{ id: 1, name: 'web-1' }]);
    const b = repo.insert(newJob(1), [{ id: 1, name: 'web-1' }]);
    expect([repo.appendEvent(a, 'job', null, {}, 1), repo.appendEvent(a, 'run', 1, {}, 2)]).toEqual([1, 2]);
    expect(repo.appendEvent(b, 'job', null, {}, 3)).toBe(1);
    expect(repo.appendEvent(a, 'output', 1, { data: 'x' }, 4)).toBe(3);
    expect(repo.events(a, 1).map((e) => [e.seq, e.type])).toEqual([
      [2, 'run'],
      [3, 'output'],
    ]);
    expect(repo.output(a, 1).map((e) => e.data)).toEqual([{ data: 'x' }]);
  });

  it('keeps numbering without gaps after a rolled-back event and across a restart', () => {
    const a = repo.insert(newJob(1), [{ id: 1, name: 'web-1' }]);
    expect(repo.appendEvent(a, 'job', null, {}, 1)).toBe(1);
    expect(() =>
      repo.transaction(() => {
        repo.appendEvent(a, 'run', 1, {}, 2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(repo.appendEvent(a, 'run', 1, {}, 3)).toBe(2);
    // A second repository on the same file (a restarted collector) goes on from the stored seq.
    expect(new JobRepo(store.db).appendEvent(a, 'output', 1, {}, 4)).toBe(3);
    expect(repo.events(a).map((e) => [e.seq, e.at])).toEqual([
      [1, 1],
      [2, 3],
      [3, 4],
    ]);
  });

  it('numbers a new job from 1 when it reuses the id of a deleted one', () => {
    const a = repo.insert(newJob(1), [{ id: 1, name: 'web-1' }]);
    repo.appendEvent(a, 'job', null, {}, 1);
    repo.appendEvent(a, 'job', null, {}, 2);
    expect(repo.deleteEnded(DAY, 10)).toBe(1);
    const b = repo.insert(newJob(1), [{ id: 1, name: 'web-1' }]);
    expect(repo.appendEvent(b, 'job', null, {}, 3)).toBe(1);
  });

  it('reads the head of a job: state, fan-out settings and run counts', () => {
    const a = repo.insert({ ...newJob(1, 'running'), batch: '10%', stopAfterFailures: 2 }, [
      { id: 1, name: 'web-1' },
      { id: 2, name: 'web-2' },
    ]);
    repo.updateRun(a, 2, { state: 'running' });
    expect(repo.head(a)).toEqual({
      id: a,
      activity: 'uptime',
      action: 'uptime',
      state: 'running',
      cancelledBy: null,
      batch: '10%',
      stopAfterFailures: 2,
      timeoutMs: 10_000,
      counts: { queued: 1, running: 1 },
    });
    expect(repo.head(a + 1)).toBeUndefined();
  });

  it('retention deletes ended jobs older than the cutoff with their runs and events, in chunks, and keeps running ones', async () => {
    const now = 100 * DAY;
    const old = [1, 2, 3].map(() => repo.insert(newJob(now - 91 * DAY), [{ id: 1, name: 'web-1' }]));
    for (const id of old) repo.appendEvent(id, 'job', null, {}, 0);
    const running = repo.insert(newJob(now - 91 * DAY, 'running'), [{ id: 1, name: 'web-1' }]);
    const recent = repo.insert(newJob(now - DAY), [{ id: 1, name: 'web-1' }]);
    store.retention.addTask('jobs', (at) => repo.deleteEnded(at - 90 * DAY, 2));
    const result = await store.retention.run(now);
    expect(result.deleted.jobs).toBe(3);
    expect(old.map((id) => repo.get(id))).toEqual([undefined, undefined, undefined]);
    expect(repo.get(running)?.state).toBe('running');
    expect(repo.get(recent)).toBeDefined();
    const left = store.db
      .prepare('SELECT count(*) AS n FROM job_events WHERE job_id IN (?, ?, ?)')
      .get(...old) as { n: number };
    expect(left.n).toBe(0);
    expect(repo.runs(old[0]!)).toEqual([]);
  });
});
