import { EventEmitter } from 'node:events';
import type { Snapshot } from '@pantau/shared';
import type { Role } from './access/roles.ts';
import type { UserStatus } from './access/user-repo.ts';
import type { Job, Run } from './jobs/types.ts';

/** Why a host went offline, as the gateway saw it. The monitor applies its own grace period. */
export type OfflineReason =
  | 'closed'
  | 'silent'
  | 'revoked'
  | 'deleted'
  | 'shutdown'
  | 'protocol-error'
  | 'rate-limited';

/**
 * Facts the collector announces on its internal bus. Detection, notifications and the console
 * subscribe here, so none of them needs to touch the gateway or the store.
 */
export interface CollectorEvents {
  /** A host's agent said hello and got welcome. */
  'host.online': {
    hostId: number;
    name: string;
    reason: 'connected';
    at: number;
    intervalMs: number;
    agentVersion: string;
    /** The version the host's agent had before this connection; null for its first. */
    previousAgentVersion: string | null;
    /** Job ids the agent still runs or holds results for (`hello.jobs`); null when it did not say. */
    jobs: string[] | null;
  };
  /** The host's live connection ended (a replacement by a newer connection is not an offline). */
  'host.offline': {
    hostId: number;
    name: string;
    reason: OfflineReason;
    at: number;
    /** Last frame or pong from the agent: a cut link goes quiet then, not when the socket ends. */
    lastHeardAt?: number;
  };
  /** A snapshot was committed to the database (emitted after the transaction). */
  'snapshot.stored': { hostId: number; name: string; snapshot: Snapshot };
  'host.added': { hostId: number; name: string; labels: Record<string, string>; at: number };
  'host.removed': { hostId: number; name: string; at: number };
  /** A host's labels were replaced (selectors and silences match on them). */
  'host.labels': { hostId: number; name: string; labels: Record<string, string>; at: number };
  /** Somebody applied through Telegram and waits for an admin (the bot tells the admins). */
  'user.pending': {
    userId: number;
    name: string;
    email: string | null;
    telegramId: number | null;
    at: number;
  };
  /**
   * A user's role, status or identity changed: the bot refreshes their command menu, the
   * console ends their sessions. `removed` users no longer exist.
   */
  'user.changed': {
    userId: number;
    name: string;
    role: Role;
    status: UserStatus;
    change: UserChange;
    at: number;
  };
  /** A job was created or changed state (seq: its number in the job's event history). */
  'job.changed': { job: Job; seq: number };
  /** A host run of a job changed state. */
  'job.run': { jobId: number; seq: number; run: Run };
  /** A chunk of a host run's output, after it was stored. */
  'job.output': {
    jobId: number;
    seq: number;
    hostId: number;
    host: string;
    stream: 'stdout' | 'stderr';
    data: string;
    ts: number;
  };
}

export type UserChange =
  | 'created'
  | 'approved'
  | 'rejected'
  | 'role'
  | 'disabled'
  | 'enabled'
  | 'password'
  | 'email'
  | 'telegram'
  | 'removed';

type Listener<T> = (payload: T) => void;

/** A small typed wrapper over EventEmitter: listener errors are logged, never thrown into the emitter. */
export class EventBus<E extends object = CollectorEvents> {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  readonly #onError: (err: unknown, event: string) => void;

  constructor(onError: (err: unknown, event: string) => void = () => {}) {
    this.#emitter.setMaxListeners(100);
    this.#onError = onError;
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    const wrapped = (payload: E[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.#onError(err, event);
      }
    };
    this.#emitter.on(event, wrapped);
    return () => this.#emitter.off(event, wrapped);
  }

  emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    this.#emitter.emit(event, payload);
  }

  listenerCount(event: keyof E & string): number {
    return this.#emitter.listenerCount(event);
  }
}
