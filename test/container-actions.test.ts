// container-start, -stop and -restart through the Docker Engine API on a real engine: the
// agent's job manager runs them only for container names its config allows, with no process.
import type { JobEndFrame, JobOutputFrame, JobRejectedFrame } from '@pantau/shared';
import { builtinAction } from '@pantau/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobManager } from '../packages/agent/src/actions/jobs.ts';
import { loadConfig } from '../packages/agent/src/config/load.ts';
import { silentLog } from '../packages/agent/src/log.ts';
import {
  describeDocker,
  docker,
  engineSocket,
  httpContainer,
  removeContainers,
  uniqueName,
} from './support/docker.ts';
import { until } from './support/until.ts';

type Sent = JobOutputFrame | JobEndFrame | JobRejectedFrame;

describeDocker('container actions on a real engine', () => {
  const allowed = uniqueName('act-web');
  const other = uniqueName('act-db');
  const sent: Sent[] = [];
  let jobs: JobManager;

  const startedAt = async (name: string) =>
    (await docker(['inspect', '-f', '{{.State.StartedAt}}', name])).trim();
  const running = async (name: string) =>
    (await docker(['inspect', '-f', '{{.State.Running}}', name])).trim() === 'true';
  const run = async (jobId: string, action: string, container: string) => {
    jobs.start({ t: 'job.start', jobId, action, params: { container } });
    return until(
      `${action} ${container} to end`,
      () =>
        sent.find(
          (f): f is JobEndFrame | JobRejectedFrame =>
            (f.t === 'job.end' || f.t === 'job.rejected') && f.jobId === jobId,
        ),
      30_000,
    );
  };
  const output = (jobId: string) =>
    sent
      .filter((f): f is JobOutputFrame => f.t === 'job.output' && f.jobId === jobId)
      .flatMap((f) => ('parts' in f ? f.parts.map((p) => p.data) : [f.data]))
      .join('');

  beforeAll(async () => {
    await httpContainer(allowed, 'web');
    await httpContainer(other, 'db');
    const config = loadConfig({
      text: JSON.stringify({
        actions: {
          allow: ['container-start', 'container-stop', 'container-restart'],
          containers: ['act-web-*'],
        },
      }),
      env: {},
      requireCollector: false,
    });
    jobs = new JobManager(config.actions, (f) => sent.push(f), silentLog, {}, engineSocket());
  }, 60_000);
  afterAll(() => removeContainers(allowed, other));

  it('restart, stop and start an allowed container', async () => {
    const before = await startedAt(allowed);
    expect(await run('r1', 'container-restart', allowed)).toMatchObject({ t: 'job.end', exitCode: 0 });
    expect(output('r1')).toBe(`container ${allowed} restarted\n`);
    expect(await startedAt(allowed)).not.toBe(before);

    expect(await run('s1', 'container-stop', allowed)).toMatchObject({ t: 'job.end', exitCode: 0 });
    expect(await running(allowed)).toBe(false);
    expect(await run('s2', 'container-stop', allowed)).toMatchObject({ t: 'job.end', exitCode: 0 });
    expect(output('s2')).toBe(`container ${allowed} was already stopped\n`);

    expect(await run('g1', 'container-start', allowed)).toMatchObject({ t: 'job.end', exitCode: 0 });
    expect(await running(allowed)).toBe(true);
  }, 60_000);

  it('refuses containers outside actions.containers, and reports one that does not exist', async () => {
    const refused = await run('x1', 'container-stop', other);
    expect(refused).toMatchObject({ t: 'job.rejected', code: 'INVALID_PARAMS' });
    expect((refused as JobRejectedFrame).reason).toMatch(
      /is not allowed on this host \(actions\.containers: act-web-\*\)/,
    );
    expect(await running(other)).toBe(true);
    const missing = await run('x2', 'container-start', 'act-web-does-not-exist');
    expect(missing).toMatchObject({ t: 'job.end', exitCode: 1 });
    expect(output('x2')).toMatch(/HTTP 404 .*No such container/i);
  }, 30_000);

  it('container-stop is dangerous (confirmation), restart and start are not', () => {
    expect(builtinAction('container-stop')?.spec.dangerous).toBe(true);
    expect(builtinAction('container-restart')?.spec.dangerous).toBe(false);
    expect(builtinAction('container-start')?.spec.dangerous).toBe(false);
  });
});
