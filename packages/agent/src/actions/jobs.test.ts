import { existsSync, readFileSync } from 'node:fs';
import type { JobEndFrame, JobOutputFrame, JobRejectedFrame, JobStartFrame } from '@pantau/shared';
import { Limits, outputParts } from '@pantau/shared';
import { describe, expect, it, vi } from 'vitest';
import { FakeTime } from '../../../../test/support/fake-time.ts';
import { monotonicMs } from '../clock.ts';
import type { ActionsConfig, CustomActionConfig } from '../config/types.ts';
import { silentLog } from '../log.ts';
import { JobManager } from './jobs.ts';

type Sent = JobOutputFrame | JobEndFrame | JobRejectedFrame;

function manager(
  overrides: Partial<ActionsConfig> = {},
  custom: CustomActionConfig[] = [],
  pacing: ConstructorParameters<typeof JobManager>[3] = {},
) {
  const sent: Sent[] = [];
  const config: ActionsConfig = {
    allow: ['ping', 'uptime', 'disk-usage', 'service-status', ...custom.map((c) => c.name)],
    custom,
    containers: [],
    maxConcurrent: 2,
    outputCapBytes: 1024 * 1024,
    timeoutMs: 60_000,
    killGraceMs: 1_000,
    offlineCapBytes: 1024 * 1024,
    offlineFrames: 1_000,
    ...overrides,
  };
  const jobs = new JobManager(config, (f) => sent.push(f), silentLog, pacing);
  const ended = (jobId: string) =>
    new Promise<JobEndFrame>((resolve) => {
      const poll = setInterval(() => {
        const end = sent.find((f): f is JobEndFrame => f.t === 'job.end' && f.jobId === jobId);
        if (end) {
          clearInterval(poll);
          resolve(end);
        }
      }, 20);
    });
  const output = (jobId: string, stream = 'stdout') =>
    sent
      .filter((f): f is JobOutputFrame => f.t === 'job.output' && f.jobId === jobId)
      .flatMap(outputParts)
      .filter((p) => p.stream === stream)
      .map((p) => p.data)
      .join('');
  const rejected = () => sent.filter((f): f is JobRejectedFrame => f.t === 'job.rejected');
  return { jobs, sent, ended, output, rejected };
}

const start = (
  jobId: string,
  action: string,
  params: JobStartFrame['params'] = {},
  timeoutMs?: number,
): JobStartFrame => ({
  t: 'job.start',
  jobId,
  action,
  params,
  ...(timeoutMs ? { timeoutMs } : {}),
});

function custom(name: string, argv: string[], params: CustomActionConfig['params'] = []): CustomActionConfig {
  return { name, argv, params, dangerous: false };
}

/** A process is gone when /proc has no entry for it or only a zombie waiting to be reaped. */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

describe('JobManager with real child processes', () => {
  it('runs an allowed action and streams its output', async () => {
    const { jobs, ended, output, rejected } = manager();
    jobs.start(start('j1', 'uptime'));
    const end = await ended('j1');
    expect(rejected()).toEqual([]);
    expect(end).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      cancelled: false,
      truncated: false,
    });
    expect(output('j1')).toMatch(/load average/);
  });

  it('passes validated parameters as whole arguments, never through a shell', async () => {
    const { jobs, ended, output } = manager({}, [
      custom(
        'echo-word',
        ['printf', '%s|', '{{word}}', 'fixed'],
        [{ name: 'word', kind: 'regex', pattern: '[a-z ;$()]+' }],
      ),
    ]);
    jobs.start(start('j1', 'echo-word', { word: 'a b; $(id)' }));
    await ended('j1');
    // One argument, spaces and shell syntax included, nothing expanded.
    expect(output('j1')).toBe('a b; $(id)|fixed|');
  });

  it('rejects actions the config does not allow, and runs nothing', async () => {
    const { jobs, sent, rejected } = manager();
    jobs.start(start('j1', 'reboot'));
    jobs.start(start('j2', 'apt-upgrade'));
    jobs.start(start('j3', 'no-such-action'));
    expect(rejected().map((r) => [r.jobId, r.code])).toEqual([
      ['j1', 'ACTION_NOT_ALLOWED'],
      ['j2', 'ACTION_NOT_ALLOWED'],
      ['j3', 'ACTION_NOT_ALLOWED'],
    ]);
    expect(rejected()[0]?.reason).toMatch(/actions\.allow/);
    expect(sent.every((f) => f.t === 'job.rejected')).toBe(true);
    expect(jobs.running).toBe(0);
  });

  it('rejects bad parameters with the reason', () => {
    const { jobs, rejected } = manager();
    jobs.start(start('a', 'ping', { target: 'example.com', count: 11 }));
    jobs.start(start('b', 'ping', { target: '-f', count: 1 }));
    jobs.start(start('c', 'ping', { target: 'host; rm -rf /' }));
    jobs.start(start('d', 'ping', {}));
    jobs.start(start('e', 'ping', { target: 'example.com', extra: 'x' }));
    jobs.start(start('f', 'service-status', { unit: '--all' }));
    jobs.start(start('g', 'ping', { target: 'a..b' }));
    const reasons = Object.fromEntries(rejected().map((r) => [r.jobId, `${r.code}: ${r.reason}`]));
    expect(reasons.a).toMatch(/INVALID_PARAMS: count must be at most 10/);
    expect(reasons.b).toMatch(/INVALID_PARAMS: target must match/);
    expect(reasons.c).toMatch(/INVALID_PARAMS: target/);
    expect(reasons.d).toMatch(/INVALID_PARAMS: parameter target is required/);
    expect(reasons.e).toMatch(/INVALID_PARAMS: unknown parameter "extra"/);
    expect(reasons.f).toMatch(/INVALID_PARAMS: unit must match/);
    expect(reasons.g).toMatch(/INVALID_PARAMS: target must be a host name or an IP address/);
    expect(jobs.running).toBe(0);
  });

  it('rejects a job over the concurrency limit', async () => {
    const { jobs, ended, rejected } = manager({ maxConcurrent: 1 }, [
      custom('nap', ['sleep', '{{s}}'], [{ name: 's', kind: 'integer', min: 0, max: 5 }]),
    ]);
    jobs.start(start('j1', 'nap', { s: 1 }));
    jobs.start(start('j2', 'nap', { s: 1 }));
    expect(rejected()).toMatchObject([{ jobId: 'j2', code: 'JOB_LIMIT' }]);
    await ended('j1');
    jobs.start(start('j3', 'nap', { s: 0 }));
    expect((await ended('j3')).exitCode).toBe(0);
  });

  it('kills the whole process tree on timeout, SIGKILL after the grace (fake time, real processes)', async () => {
    // Two grandchildren in the background plus a wait: killing only bash would leave them running.
    // All of them ignore SIGTERM (the trap is inherited), so only the SIGKILL after the grace ends them.
    const time = new FakeTime(0);
    const { jobs, sent, output } = manager(
      { killGraceMs: 500 },
      [custom('tree', ['bash', '-c', 'trap "" TERM; sleep 100 & echo $!; sleep 100 & echo $!; wait'])],
      { timers: time.timers, now: time.now, flushMs: 1 },
    );
    jobs.start(start('t', 'tree', {}, 700));
    // Output is paced on fake time: move it a millisecond per look until both pids are out.
    await vi.waitFor(
      () => {
        time.advance(1);
        expect(output('t').trim().split('\n')).toHaveLength(2);
      },
      { timeout: 10_000 },
    );
    expect(time.now()).toBeLessThan(700);
    const pids = output('t').trim().split('\n').map(Number);
    time.advance(700 - time.now()); // the timeout: SIGTERM, which the tree ignores
    time.advance(499);
    for (const pid of pids) expect(gone(pid)).toBe(false);
    time.advance(1); // the grace is over: SIGKILL
    await vi.waitFor(() => expect(pids.filter(gone)).toEqual(pids), { timeout: 10_000 });
    const end = await vi.waitFor(
      () => {
        time.advance(1);
        const frame = sent.find((f): f is JobEndFrame => f.t === 'job.end' && f.jobId === 't');
        expect(frame).toBeDefined();
        return frame as JobEndFrame;
      },
      { timeout: 10_000 },
    );
    expect(end).toMatchObject({ timedOut: true, cancelled: false, signal: 'SIGKILL' });
    // Measured on the same fake clock: at least the timeout and the grace.
    expect(end.durationMs).toBeGreaterThanOrEqual(1_200);
  });

  it('ends a tree that honours SIGTERM without waiting for the grace period', async () => {
    const { jobs, ended, output } = manager({ killGraceMs: 10_000 }, [
      custom('tree', ['bash', '-c', 'sleep 100 & echo $!; sleep 100 & echo $!; wait']),
    ]);
    const started = monotonicMs();
    jobs.start(start('t', 'tree', {}, 500));
    const end = await ended('t');
    const observed = monotonicMs() - started;
    const pids = output('t').trim().split('\n').map(Number);
    expect(end).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    // Ended by the timeout's SIGTERM, not by a SIGKILL after the grace: the run lasted from the
    // 500 ms timeout to no longer than the test itself saw, and that was shorter than the grace.
    expect(end.durationMs).toBeGreaterThanOrEqual(499);
    expect(end.durationMs).toBeLessThanOrEqual(Math.ceil(observed));
    expect(observed).toBeLessThan(500 + 10_000);
    for (const pid of pids) expect(gone(pid)).toBe(true);
  });

  it('caps the output, says it was truncated and counts the bytes dropped', async () => {
    const cap = 100 * 1024;
    const { jobs, ended, sent } = manager({ outputCapBytes: cap }, [custom('lots', ['seq', '1', '1000000'])]);
    jobs.start(start('o', 'lots'));
    const end = await ended('o');
    const frames = sent.filter((f): f is JobOutputFrame => f.t === 'job.output');
    const text = frames
      .flatMap(outputParts)
      .map((p) => p.data)
      .join('');
    expect(end.truncated).toBe(true);
    expect(end.exitCode).toBe(0);
    expect(Buffer.byteLength(text)).toBe(cap);
    // `seq 1 1000000` writes 6,888,896 bytes: what is not kept is counted.
    expect(end.droppedBytes).toBe(6_888_896 - cap);
    for (const f of frames) {
      expect(outputParts(f).reduce((n, p) => n + p.data.length, 0)).toBeLessThanOrEqual(Limits.outputFrame);
    }
    expect(text.startsWith('1\n2\n3\n')).toBe(true);
  });

  it('cancels a running job', async () => {
    const { jobs, ended, output } = manager({}, [custom('long', ['bash', '-c', 'echo up; exec sleep 30'])]);
    const started = monotonicMs();
    jobs.start(start('c', 'long'));
    // Cancelled once it is really running, not between spawn and exec.
    await vi.waitFor(() => expect(output('c')).toBe('up\n'), { timeout: 5_000 });
    jobs.cancel({ t: 'job.cancel', jobId: 'c' });
    const end = await ended('c');
    const observed = monotonicMs() - started;
    expect(end).toMatchObject({ cancelled: true, timedOut: false, signal: 'SIGTERM', exitCode: null });
    // The run ended by the cancel: measured, no longer than the test saw, and short of the 30 s
    // sleep it would otherwise have run.
    expect(end.durationMs).toBeGreaterThan(0);
    expect(end.durationMs).toBeLessThanOrEqual(Math.ceil(observed));
    expect(end.durationMs).toBeLessThan(30_000);
  });

  it('reports a program that cannot start', async () => {
    const { jobs, ended } = manager({}, [custom('missing', ['/nonexistent/program'])]);
    jobs.start(start('m', 'missing'));
    const end = await ended('m');
    expect(end.exitCode).toBe(null);
    expect(end.error).toMatch(/cannot run \/nonexistent\/program: .*ENOENT/);
  });

  it('ends a run Node refuses to spawn (a NUL in argv) as failed with the reason, and runs the next', async () => {
    // The config refuses a NUL; this is the agent's last line should one reach the runner.
    const { jobs, ended, output } = manager({}, [custom('nul', ['echo', 'a\0b'])]);
    jobs.start(start('n', 'nul'));
    const end = await ended('n');
    expect(end).toMatchObject({ exitCode: null, timedOut: false, cancelled: false });
    expect(end.error).toMatch(/^cannot run echo: .*null bytes/);
    jobs.start(start('u', 'uptime'));
    expect((await ended('u')).exitCode).toBe(0);
    expect(output('u')).toMatch(/load average/);
  });

  it('never passes the agent token to a job', async () => {
    process.env.PANTAU_TOKEN = 'secret-token';
    try {
      const { jobs, ended, output } = manager({}, [custom('env', ['env'])]);
      jobs.start(start('e', 'env'));
      await ended('e');
      expect(output('e')).not.toMatch(/secret-token|PANTAU_/);
      expect(output('e')).toMatch(/^PATH=/m);
    } finally {
      delete process.env.PANTAU_TOKEN;
    }
  });

  it('announces only allowed actions, with param specs and the dangerous flag', () => {
    const { jobs } = manager({ allow: ['ping', 'reboot'] });
    const specs = jobs.specs();
    expect(specs.map((s) => [s.name, s.dangerous])).toEqual([
      ['ping', false],
      ['reboot', true],
    ]);
    expect(specs[0]?.params.map((p) => p.name)).toEqual(['target', 'count']);
  });
});
