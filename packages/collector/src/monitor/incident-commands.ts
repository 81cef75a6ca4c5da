import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { type Actor, demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { Incident, IncidentManager } from './incidents.ts';

/** Acknowledge and resolve, as every surface calls them: permission, one transaction, audit. */
export class IncidentCommands {
  readonly #db: Database;
  readonly #incidents: IncidentManager;
  readonly #audit: AuditLog;
  readonly #now: () => number;

  constructor(deps: { db: Database; incidents: IncidentManager; audit: AuditLog; now?: () => number }) {
    this.#db = deps.db;
    this.#incidents = deps.incidents;
    this.#audit = deps.audit;
    this.#now = deps.now ?? systemClock;
  }

  get(actor: Actor, id: number): Incident {
    demand(actor, 'incidents.read');
    return this.#must(id);
  }

  /** Reminders stop. Acknowledging twice is harmless (and audited once); a resolved incident is a conflict. */
  acknowledge(actor: Actor, id: number): Incident {
    demand(actor, 'incidents.ack');
    const now = this.#now();
    return this.#db.transaction(() => {
      const before = this.#must(id);
      const incident = this.#incidents.acknowledge(before.id, actor.id, now);
      if (before.status !== incident.status)
        this.#audit.record(actor, 'incident.ack', `incident:${id}`, undefined, now);
      return incident;
    })();
  }

  resolve(actor: Actor, id: number): Incident {
    demand(actor, 'incidents.ack');
    const now = this.#now();
    return this.#db.transaction(() => {
      const incident = this.#incidents.resolve(this.#must(id).id, actor.id, now);
      this.#audit.record(actor, 'incident.resolve', `incident:${id}`, undefined, now);
      return incident;
    })();
  }

  #must(id: number): Incident {
    const incident = this.#incidents.get(id);
    if (!incident) throw new PantauError('NOT_FOUND', `no incident with id ${id}`);
    return incident;
  }
}
