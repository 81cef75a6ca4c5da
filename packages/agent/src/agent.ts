import { randomUUID } from 'node:crypto';
import { checkSnapshot, explainSnapshot, PROTOCOL_VERSION, type Snapshot } from '@pantau/shared/lite';
import { JobManager } from './actions/jobs.ts';
import type { AgentTime } from './clock.ts';
import type { AgentConfig } from './config/types.ts';
import type { Log as Logger } from './log.ts';
import { Scheduler } from './scheduler.ts';
import { Sampler, type SnapshotBody } from './snapshot.ts';
import { StatusFile } from './status-file.ts';
import { Connection } from './transport/connection.ts';
import { JobBacklog } from './transport/job-backlog.ts';
import { Outbox } from './transport/outbox.ts';
import { AGENT_VERSION } from './version.ts';

const HOUR = 3_600_000;

/** Optional parts a snapshot can lose if, against expectations, it fails the protocol schema. */
const OPTIONAL_PARTS = ['disks', 'processes', 'ports', 'checks', 'containers', 'system', 'errors'] as const;

export interface RunningAgent {
  stop(): Promise<void>;
}

/**
 * Renders a snapshot as JSON with `seq` first. A snapshot the collector would refuse is never
 * queued (it would be refused again at every replay): its optional parts go first, with a log.
 * The check is the generated one (plain code, no TypeBox in the agent); a refused snapshot is
 * logged with the field that failed.
 */
export function renderSnapshot(seq: number, dropped: number, body: SnapshotBody, log: Logger): string {
  const snapshot: Snapshot = { seq, ...body, dropped };
  if (checkSnapshot(snapshot)) return JSON.stringify(snapshot);
  const refused = { ...snapshot };
  for (const key of OPTIONAL_PARTS) delete snapshot[key];
  log.error(
    { problem: explainSnapshot(refused) },
    'snapshot failed the protocol schema; sent the core numbers only',
  );
  return JSON.stringify(snapshot);
}

/** What `hello.jobs` announces: jobs still running, then jobs with results waiting; at most 64. */
export function heldJobs(running: readonly string[], waiting: readonly string[]): string[] {
  return [...new Set([...running, ...waiting])].slice(0, 64);
}

/**
 * Wires sampler, outbox, connection and jobs together and starts them. `time` is every part's
 * clock and timers (tests pass fake time); without it each part takes the real ones.
 */
export async function startAgent(config: AgentConfig, log: Logger, time?: AgentTime): Promise<RunningAgent> {
  const outbox = new Outbox(config.outboxMax);
  const sampler = new Sampler(config, log, time);
  let system = await sampler.system();
  let intervalMs = config.intervalMs;
  // The outbox lives in memory, so a new process is a new numbering; this tells the collector.
  const bootId = randomUUID();

  // Declared before use in the callbacks below; job frames made while disconnected wait in the backlog.
  let connection: Connection | undefined;
  const jobBacklog = new JobBacklog({
    maxBytes: config.actions.offlineCapBytes,
    maxFrames: config.actions.offlineFrames,
  });
  const status =
    config.statusFile === undefined ? undefined : new StatusFile(config.statusFile, time?.now, time?.timers);
  const jobs = new JobManager(config.actions, (frame) => connection?.send(frame), log, {
    congested: () => connection?.congested() ?? false,
    ...(time === undefined ? {} : { now: time.monotonic, timers: time.timers }),
  });

  // Said once per overflow, not per dropped snapshot: an hour-long outage would flood the log.
  let dropping = false;
  const scheduler = new Scheduler(
    intervalMs,
    async () => {
      const body = await sampler.take(Math.min(1_000, intervalMs / 2));
      if (body.system) system = body.system;
      const droppedBefore = outbox.dropped;
      outbox.push((seq, dropped) => renderSnapshot(seq, dropped, body, log));
      const dropped = outbox.dropped > droppedBefore;
      if (dropped && !dropping) log.warn({ max: outbox.max }, 'outbox full: dropping the oldest snapshots');
      dropping = dropped;
      connection?.flush();
    },
    time,
  );

  sampler.onUrgent(() => scheduler.fireNow());

  connection = new Connection(
    config.collector,
    config.token,
    outbox,
    jobBacklog,
    {
      // `jobs` always goes, empty too: a collector takes an absent list as an older agent's and
      // cannot tell which of its runs on this host are lost.
      hello: () => ({
        t: 'hello',
        protocol: PROTOCOL_VERSION,
        agentVersion: AGENT_VERSION,
        system,
        actions: jobs.specs(),
        intervalMs,
        jobs: heldJobs(jobs.ids(), jobBacklog.jobIds()),
        bootId,
      }),
      welcome: (frame) => {
        sampler.markDue('system');
        const wanted = frame.settings.intervalMs;
        if (wanted !== undefined && wanted !== intervalMs) {
          log.info({ intervalMs: wanted, was: intervalMs }, 'collector set the interval');
          intervalMs = wanted;
          scheduler.setInterval(wanted);
          if (config.outboxMaxIsDefault) outbox.setMax(Math.ceil(HOUR / wanted));
        }
      },
      jobStart: (frame) => jobs.start(frame),
      jobCancel: (frame) => jobs.cancel(frame),
      state: (connected, url) => status?.set(connected, url),
    },
    log,
    time,
  );

  status?.start();
  scheduler.start();
  sampler.startChecks();
  sampler.followContainers();
  connection.start();
  log.info(
    {
      version: AGENT_VERSION,
      // The flags the service or the single executable gave Node (memory options).
      nodeFlags: process.execArgv,
      urls: config.collector.urls,
      intervalMs,
      outboxMax: outbox.max,
      actions: jobs.specs().map((s) => s.name),
    },
    'agent started',
  );

  return {
    async stop() {
      sampler.stopChecks();
      sampler.unfollowContainers();
      await scheduler.stop();
      await jobs.stopAll();
      await connection?.stop();
      status?.stop();
      log.info({ backlog: outbox.size, dropped: outbox.dropped }, 'agent stopped');
    },
  };
}
