import { PantauError } from '@pantau/shared';
import type { Actor } from '../access/actor.ts';
import { demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { AuditActor } from '../store/audit.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import { checkLabels } from './labels.ts';

export interface FleetDeps {
  store: Store;
  /** Absent in the CLI, which runs without agents connected to it. */
  gateway?: Gateway | undefined;
  events: EventBus;
  now?: () => number;
}

/** The host-name rule: the commands check it, the API's schema is built from it (api/schemas.ts). */
export const HOST_NAME_RULE = {
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$',
  rule: 'must be 1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit',
} as const;
const HOST_NAME = new RegExp(HOST_NAME_RULE.pattern);

export function checkName(name: string): void {
  if (!HOST_NAME.test(name))
    throw new PantauError('VALIDATION_FAILED', `host name "${name.slice(0, 64)}" ${HOST_NAME_RULE.rule}`);
}

/**
 * The host lifecycle: add (the agent token is returned once), rotate or revoke the token,
 * replace labels, remove with all its data. Each checks the actor's permission, writes,
 * audits and announces the change; a live agent is disconnected when its token dies.
 */
export class Hosts {
  readonly #d: FleetDeps;
  readonly #now: () => number;

  constructor(deps: FleetDeps) {
    this.#d = deps;
    this.#now = deps.now ?? systemClock;
  }

  get(actor: Actor, id: number): Host {
    demand(actor, 'hosts.read');
    return this.#must(id);
  }

  add(actor: Actor, name: string, labels: Record<string, string> = {}): { host: Host; token: string } {
    demand(actor, 'hosts.manage');
    return this.#add(name, labels, { by: actor, action: 'host.add', details: { name }, now: this.#now() });
  }

  /**
   * Adds the host an enrollment code stands for: fleet/enrollment.ts has checked the code, whose
   * maker held hosts.manage. `use` marks the code used in the same transaction once the host
   * exists (throwing rolls the host back); the audit entry names the code, not a person.
   */
  enroll(
    code: { by: AuditActor; details: Record<string, unknown> },
    name: string,
    labels: Record<string, string>,
    use: (host: Host) => void,
    now: number,
  ): { host: Host; token: string } {
    return this.#add(name, labels, {
      by: code.by,
      action: 'host.enroll',
      details: code.details,
      conflictHint: '; enroll with --name OTHER',
      within: use,
      now,
    });
  }

  /** The one way a host comes into being: check, insert, audit in one transaction, then `host.added`. */
  #add(
    name: string,
    labels: Record<string, string>,
    how: {
      by: AuditActor;
      action: string;
      details: Record<string, unknown>;
      conflictHint?: string;
      within?: (host: Host) => void;
      now: number;
    },
  ): { host: Host; token: string } {
    checkName(name);
    checkLabels(labels);
    const { store } = this.#d;
    const { now } = how;
    const added = store.db.transaction(() => {
      if (store.hosts.getByName(name))
        throw new PantauError('CONFLICT', `a host named ${name} exists already${how.conflictHint ?? ''}`);
      const result = store.hosts.add(name, labels, now);
      how.within?.(result.host);
      store.audit.record(how.by, how.action, `host:${result.host.id}`, how.details, now);
      return result;
    })();
    this.#d.events.emit('host.added', { hostId: added.host.id, name, labels: added.host.labels, at: now });
    return added;
  }

  /** A new agent token; the old one stops working and its connection is closed. */
  rotateToken(actor: Actor, id: number): { host: Host; token: string } {
    demand(actor, 'hosts.manage');
    const { store } = this.#d;
    const token = store.db.transaction(() => {
      const host = this.#must(id);
      const secret = store.hosts.rotateToken(host.id, this.#now());
      // Whatever the old token's holder numbered its snapshots, the new holder starts afresh.
      store.writer.restartNumbering(host.id, null);
      store.audit.record(actor, 'host.token.rotate', `host:${host.id}`);
      return secret;
    })();
    this.#d.gateway?.disconnectHost(id, 'revoked');
    return { host: this.#must(id), token };
  }

  revokeToken(actor: Actor, id: number): Host {
    demand(actor, 'hosts.manage');
    const { store } = this.#d;
    store.db.transaction(() => {
      const host = this.#must(id);
      store.hosts.revokeToken(host.id, this.#now());
      store.audit.record(actor, 'host.token.revoke', `host:${host.id}`);
    })();
    this.#d.gateway?.disconnectHost(id, 'revoked');
    return this.#must(id);
  }

  setLabels(actor: Actor, id: number, labels: Record<string, string>): Host {
    demand(actor, 'hosts.label');
    checkLabels(labels);
    const { store } = this.#d;
    const now = this.#now();
    const host = store.db.transaction(() => {
      const found = this.#must(id);
      store.hosts.setLabels(found.id, labels);
      store.audit.record(actor, 'host.labels', `host:${found.id}`, { labels }, now);
      return this.#must(id);
    })();
    this.#d.events.emit('host.labels', { hostId: host.id, name: host.name, labels: host.labels, at: now });
    return host;
  }

  /** Disconnects the agent, commits what it sent, then deletes the host and all its data. */
  remove(actor: Actor, id: number): Host {
    demand(actor, 'hosts.manage');
    const { store, gateway } = this.#d;
    const host = this.#must(id);
    gateway?.disconnectHost(host.id, 'deleted');
    gateway?.ingestQueue.flush();
    const now = this.#now();
    store.db.transaction(() => {
      store.hosts.delete(host.id);
      store.audit.record(actor, 'host.delete', `host:${host.id}`, { name: host.name }, now);
    })();
    store.writer.forget(host.id);
    this.#d.events.emit('host.removed', { hostId: host.id, name: host.name, at: now });
    return host;
  }

  #must(id: number): Host {
    const host = this.#d.store.hosts.get(id);
    if (!host) throw new PantauError('NOT_FOUND', `no host with id ${id}`);
    return host;
  }
}
