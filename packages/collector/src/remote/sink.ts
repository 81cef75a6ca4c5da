import type { Snapshot } from '@pantau/shared';
import type { EventBus } from '../events.ts';
import type { HostRepo } from '../store/hosts.ts';
import type { SnapshotSink } from '../store/writer.ts';
import type { RemoteQueueRepo } from './queue-repo.ts';
import { hostLabels, snapshotSamples } from './series.ts';

/** Puts every stored snapshot's samples on the remote-write queue, labelled with its host's labels. */
export class RemoteQueueSink implements SnapshotSink {
  readonly #queue: RemoteQueueRepo;
  readonly #hosts: HostRepo;
  /** host id → its labels as JSON; dropped when the host's labels change or it is removed. */
  readonly #labels = new Map<number, string>();

  constructor(queue: RemoteQueueRepo, hosts: HostRepo, events: EventBus) {
    this.#queue = queue;
    this.#hosts = hosts;
    events.on('host.labels', ({ hostId }) => this.#labels.delete(hostId));
    events.on('host.removed', ({ hostId }) => this.#labels.delete(hostId));
  }

  append(hostId: number, snapshot: Snapshot): void {
    let labels = this.#labels.get(hostId);
    if (labels === undefined) {
      const host = this.#hosts.get(hostId);
      labels = JSON.stringify(hostLabels(host?.name ?? `host-${hostId}`, host?.labels ?? {}));
      this.#labels.set(hostId, labels);
    }
    this.#queue.append(snapshot.ts, labels, snapshotSamples(snapshot));
  }
}
