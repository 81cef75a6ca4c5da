import type { FastifyBaseLogger } from 'fastify';
import type { Time } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Store } from '../store/index.ts';
import { Activities } from './activities.ts';
import { ActivityRepo } from './activity-repo.ts';
import { Dispatcher } from './dispatcher.ts';
import { JobRepo } from './job-repo.ts';
import { JobService } from './service.ts';
import type { JobsConfig } from './types.ts';

/** Activities and jobs, wired to the gateway, the bus and the retention pass. */
export interface Jobs {
  activities: Activities;
  service: JobService;
  repo: JobRepo;
  dispatcher: Dispatcher;
  start(): void;
  stop(): void;
}

export function buildJobs(deps: {
  config: Readonly<JobsConfig>;
  /** Rows per retention chunk (`retention.chunkRows`). */
  chunkRows: number;
  store: Store;
  gateway: Gateway;
  events: EventBus;
  log: FastifyBaseLogger;
  /** Clock and timers for deadlines and timeouts; default the real ones (tests pass fake time). */
  time?: Time | undefined;
  /** An actor id as people read it, for the errors stored on runs. */
  nameOf?: ((actor: string) => string) | undefined;
}): Jobs {
  const { config, store, gateway, events, log } = deps;
  const time = deps.time ?? {};
  const repo = new JobRepo(store.db);
  const activities = new Activities({
    repo: new ActivityRepo(store.db),
    audit: store.audit,
    announced: () => store.hosts.announcedActions(),
    markingDangerous: (action) => store.hosts.markingDangerous(action),
  });
  const dispatcher = new Dispatcher({
    repo,
    hosts: store.hosts,
    gateway,
    events,
    audit: store.audit,
    log: log.child({ part: 'jobs' }),
    outputCap: config.outputCap,
    lostGrace: config.lostGrace,
    nameOf: deps.nameOf,
    ...time,
  });
  const service = new JobService({
    repo,
    hosts: store.hosts,
    activities,
    dispatcher,
    audit: store.audit,
    isOnline: (id) => gateway.isOnline(id),
    settings: config,
    ...time,
  });
  gateway.onJobFrame((hostId, frame) => dispatcher.onFrame(hostId, frame));
  const off = [
    // A collector shutting down keeps its runs running: the next start reconciles them.
    events.on('host.offline', (e) => {
      if (e.reason !== 'shutdown') dispatcher.hostOffline(e.hostId);
    }),
    events.on('host.online', (e) => dispatcher.hostOnline(e.hostId, e.jobs)),
  ];
  store.retention.addTask('jobs', (now) => repo.deleteEnded(now - config.retention, deps.chunkRows));
  return {
    activities,
    service,
    repo,
    dispatcher,
    start: () => service.start(),
    stop() {
      for (const f of off) f();
      service.stop();
    },
  };
}
