import { existsSync } from 'node:fs';
import type { Container } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { type AgentTime, systemTime } from '../clock.ts';
import { type DockerEvent, dockerRequest, followEvents } from './docker-api.ts';
import { round2 } from './procfs.ts';

/** The parts of Docker's GET /containers/json the agent uses. */
export interface DockerListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  /** "Up 3 minutes (unhealthy)", "Exited (1) 5 seconds ago". */
  Status?: string;
  Labels?: Record<string, string>;
}

/** The parts of Docker's GET /containers/{id}/stats the agent uses. */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: {
    usage?: number;
    stats?: { inactive_file?: number; total_inactive_file?: number; cache?: number };
  };
}

/** The parts of Docker's GET /containers/{id}/json the agent uses. */
export interface DockerInspect {
  RestartCount?: number;
  State?: {
    ExitCode?: number;
    OOMKilled?: boolean;
    StartedAt?: string;
    Health?: { Status?: string };
  };
  HostConfig?: { AutoRemove?: boolean; Memory?: number };
}

export interface CpuSample {
  container: number;
  system: number;
}

/** What a container's inspect adds to its list entry; fetched again only when it changed. */
type Details = Pick<
  Container,
  'exitCode' | 'health' | 'restarts' | 'oomKilled' | 'startedAt' | 'memoryLimit'
> & {
  autoRemove: boolean;
};

/** How long an exit after `docker stop`/`kill` waits for a removal that would explain it, ms. */
export const REMOVAL_HOLD_MS = 1_000;

/** Labels worth sending: ours (watch selection) and compose's (project and service). */
const SENT_LABEL = /^(pantau\.|com\.docker\.compose\.(project|service)$)/;

/** Event actions that change what the agent reports; exec_* (health probes, docker exec) do not. */
const STATE_ACTIONS = new Set([
  'create',
  'start',
  'restart',
  'die',
  'kill',
  'stop',
  'oom',
  'pause',
  'unpause',
  'destroy',
  'rename',
  'update',
]);

export function detailsFrom(inspect: DockerInspect | undefined): Details {
  const state = inspect?.State;
  const health = state?.Health?.Status;
  const started = state?.StartedAt ? Date.parse(state.StartedAt) : Number.NaN;
  return {
    ...(state?.ExitCode === undefined ? {} : { exitCode: Math.max(-1, Math.min(255, state.ExitCode)) }),
    ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { health } : {}),
    ...(inspect?.RestartCount === undefined ? {} : { restarts: inspect.RestartCount }),
    ...(state?.OOMKilled ? { oomKilled: true } : {}),
    // Docker says 0001-01-01T00:00:00Z for a container never started.
    ...(started > 0 ? { startedAt: started } : {}),
    ...(inspect?.HostConfig?.Memory ? { memoryLimit: inspect.HostConfig.Memory } : {}),
    autoRemove: inspect?.HostConfig?.AutoRemove === true,
  };
}

function labelsFrom(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return undefined;
  const kept = Object.entries(labels)
    .filter(([key]) => SENT_LABEL.test(key) && key.length <= 128)
    .slice(0, 32)
    .map(([key, value]) => [key, value.slice(0, Limits.name)]);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * One container's figures. CPU % (of one core, as `docker stats`: 200 is two cores busy) comes
 * from the container's and the host's CPU counters against the previous sample; memory leaves
 * out the reclaimable page cache, as `docker stats` does.
 */
export function containerFrom(
  entry: DockerListEntry,
  stats: DockerStats | undefined,
  previous: CpuSample | undefined,
  details?: Omit<Details, 'autoRemove'>,
): { container: Container; sample?: CpuSample } {
  const labels = labelsFrom(entry.Labels);
  const base = {
    id: entry.Id.slice(0, 128),
    name: (entry.Names?.[0] ?? entry.Id.slice(0, 12)).replace(/^\//, '').slice(0, Limits.name),
    image: (entry.Image ?? '').slice(0, Limits.text),
    state: (entry.State ?? 'unknown').slice(0, 64),
    ...details,
    ...(labels ? { labels } : {}),
  };
  if (!stats) return { container: { ...base, cpu: 0, memory: 0 } };
  const sample = {
    container: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
    system: stats.cpu_stats?.system_cpu_usage ?? 0,
  };
  const cpus = stats.cpu_stats?.online_cpus ?? 1;
  let cpu = 0;
  if (previous) {
    const dc = sample.container - previous.container;
    const ds = sample.system - previous.system;
    if (dc > 0 && ds > 0) cpu = round2((dc / ds) * cpus * 100);
  }
  const mem = stats.memory_stats;
  const cache = mem?.stats?.inactive_file ?? mem?.stats?.total_inactive_file ?? mem?.stats?.cache ?? 0;
  const memory = Math.max(0, (mem?.usage ?? 0) - cache);
  return { container: { ...base, cpu, memory }, sample };
}

interface Known {
  container: Container;
  details: Details;
  /** The list entry's state and health words: a change means inspect again. */
  key: string;
}

/**
 * Containers from the Docker Engine API on its unix socket. No socket means no Docker: the
 * collector returns undefined and reports nothing, so hosts without Docker see no errors.
 * With `follow()`, Docker's event stream marks containers changed and asks for a report at once.
 */
export class ContainerCollector {
  readonly #socket: string;
  #previous = new Map<string, CpuSample>();
  #known = new Map<string, Known>();
  /** Containers with an event since their last inspect. */
  readonly #dirty = new Set<string>();
  /** Containers a person or tool asked to stop or kill since their last start. */
  readonly #stopAsked = new Set<string>();
  /** Containers Docker destroyed since the last report; true when on purpose. */
  readonly #destroyed = new Map<string, boolean>();
  /** Exits after a requested stop, reported as the previous state until this time (ms). */
  readonly #held = new Map<string, number>();
  #events: { stop(): void } | undefined;
  readonly #time: Pick<AgentTime, 'now' | 'timers'>;
  #retry: unknown;
  #release: unknown;
  #following = false;
  #everFollowed = false;

  /** `time`: the clock of held exits and the timers of reconnects and releases. */
  constructor(socketPath: string, time: Pick<AgentTime, 'now' | 'timers'> = systemTime) {
    this.#socket = socketPath;
    this.#time = time;
  }

  /**
   * Follows Docker's container events until `unfollow()`; `onChange` runs after each event that
   * changes a container's state. Reconnects every `retryMs` while Docker is away.
   */
  follow(onChange: () => void, retryMs = 5_000): void {
    if (this.#following) return;
    this.#following = true;
    const connect = async () => {
      this.#retry = undefined;
      if (!this.#following) return;
      const again = () => {
        this.#events = undefined;
        if (this.#following) this.#retry = this.#time.timers.setTimeout(connect, retryMs);
      };
      if (!existsSync(this.#socket)) return again();
      const reconnected = this.#events === undefined && this.#everFollowed;
      this.#everFollowed = true;
      this.#events = await followEvents(
        this.#socket,
        (event) => {
          if (this.observe(event)) onChange();
          const due = this.nextRelease();
          if (due !== undefined) {
            this.#time.timers.clearTimeout(this.#release);
            this.#release = this.#time.timers.setTimeout(onChange, Math.max(0, due - this.#time.now()) + 10);
          }
        },
        again,
      );
      if (!this.#following) this.#events.stop();
      // Back after a gap: what changed meanwhile had no event here, so report now.
      else if (reconnected) onChange();
    };
    void connect();
  }

  unfollow(): void {
    this.#following = false;
    this.#time.timers.clearTimeout(this.#retry);
    this.#time.timers.clearTimeout(this.#release);
    this.#events?.stop();
    this.#events = undefined;
  }

  /**
   * Takes one event into account; true when the next report should go at once. An exit that
   * follows a stop or kill through the API is held for REMOVAL_HOLD_MS: `docker rm -f` and
   * `compose down` remove right after stopping, and a removal on purpose must page nobody.
   */
  observe(event: DockerEvent, now = this.#time.now()): boolean {
    const id = event.id ?? event.Actor?.ID;
    if ((event.Type !== undefined && event.Type !== 'container') || !id) return false;
    const verb = (event.Action ?? '').split(':')[0] ?? '';
    if (verb !== 'health_status' && !STATE_ACTIONS.has(verb)) return false;
    this.#dirty.add(id);
    if (verb === 'kill' || verb === 'stop') this.#stopAsked.add(id);
    if (verb === 'start') {
      this.#stopAsked.delete(id);
      this.#held.delete(id);
    }
    if (verb === 'die' && this.#stopAsked.has(id)) {
      this.#held.set(id, now + REMOVAL_HOLD_MS);
      return false;
    }
    if (verb === 'destroy') {
      const known = this.#known.get(id);
      const asked = this.#stopAsked.has(id);
      const running = known?.container.state === 'running' || known?.container.state === 'restarting';
      // A crashed --rm container is removed by Docker itself: gone, not removed by anyone.
      const selfRemoved = known?.details.autoRemove === true && !asked;
      this.#destroyed.set(id, !selfRemoved && (asked || !running));
      this.#stopAsked.delete(id);
      this.#held.delete(id);
    }
    return verb !== 'kill' && verb !== 'stop';
  }

  /** When the next held exit is due to be reported, ms since the epoch; undefined if none. */
  nextRelease(): number | undefined {
    const times = [...this.#held.values()];
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /**
   * Every container, with CPU and memory when `stats` (an event-driven report keeps the last
   * figures instead: a stats round takes longer than the news should wait), and once each
   * container that disappeared since the last report, as state `removed`.
   */
  async collect(options: { stats?: boolean } = {}, now = this.#time.now()): Promise<Container[] | undefined> {
    if (!existsSync(this.#socket)) return undefined;
    for (const [id, until] of this.#held) if (until <= now) this.#held.delete(id);
    const withStats = options.stats ?? true;
    const list = await dockerRequest<DockerListEntry[]>(this.#socket, '/containers/json?all=1');
    const nextSamples = new Map<string, CpuSample>();
    const nextKnown = new Map<string, Known>();
    const out: Container[] = [];
    for (const entry of list.slice(0, Limits.items)) {
      const known = this.#known.get(entry.Id);
      if (known && this.#held.has(entry.Id)) {
        // Still within the removal hold: as last reported, until the hold ends or it is removed.
        nextKnown.set(entry.Id, known);
        out.push(known.container);
        const sample = this.#previous.get(entry.Id);
        if (sample) nextSamples.set(entry.Id, sample);
        continue;
      }
      const key = `${entry.State}|${/\((healthy|unhealthy|health: starting)\)/.exec(entry.Status ?? '')?.[1] ?? ''}`;
      let details = known?.details;
      if (!details || known?.key !== key || this.#dirty.has(entry.Id)) {
        this.#dirty.delete(entry.Id);
        const inspect = await dockerRequest<DockerInspect>(
          this.#socket,
          `/containers/${encodeURIComponent(entry.Id)}/json`,
        ).catch(() => undefined);
        details = detailsFrom(inspect);
      }
      const { autoRemove: _, ...shown } = details;
      let container: Container;
      // A container that just started has no figures yet: it gets a stats round even now.
      if (withStats || !known || (entry.State === 'running' && known.container.state !== 'running')) {
        const stats =
          entry.State === 'running'
            ? await dockerRequest<DockerStats>(
                this.#socket,
                `/containers/${encodeURIComponent(entry.Id)}/stats?stream=false&one-shot=true`,
              ).catch(() => undefined)
            : undefined;
        const result = containerFrom(entry, stats, this.#previous.get(entry.Id), shown);
        container = result.container;
        if (result.sample) nextSamples.set(entry.Id, result.sample);
      } else {
        const running = entry.State === 'running';
        container = {
          ...containerFrom(entry, undefined, undefined, shown).container,
          cpu: running ? known.container.cpu : 0,
          memory: running ? known.container.memory : 0,
        };
        const sample = this.#previous.get(entry.Id);
        if (sample && running) nextSamples.set(entry.Id, sample);
      }
      nextKnown.set(entry.Id, { container, details, key });
      out.push(container);
    }
    for (const [id, gone] of this.#known) {
      if (nextKnown.has(id)) continue;
      const deliberate = this.#destroyed.get(id) ?? !['running', 'restarting'].includes(gone.container.state);
      const { exitCode: _e, health: _h, cpu: _c, memory: _m, ...rest } = gone.container;
      out.push({ ...rest, state: 'removed', cpu: 0, memory: 0, removed: deliberate ? 'deliberate' : 'gone' });
    }
    this.#destroyed.clear();
    if (withStats) this.#previous = nextSamples;
    else for (const [id, sample] of nextSamples) this.#previous.set(id, sample);
    this.#known = nextKnown;
    return out.slice(0, Limits.items);
  }
}
