import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { type Actor, demand } from '../access/actor.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { AuditLog } from '../store/audit.ts';
import type { MonitorConfig } from './config.ts';
import type { RuleCatalog, RuleView } from './rule-catalog.ts';
import type { RuleRepo } from './rule-repo.ts';
import { resolveThresholdRule, type ThresholdRuleInput } from './rules.ts';

export interface RuleCommandDeps {
  /** Default the system clock. */
  now?: Clock;
  db: Database;
  store: RuleRepo;
  catalog: RuleCatalog;
  config: MonitorConfig;
  audit: AuditLog;
  /** Hands the new rule set to the monitor. */
  refresh(): void;
}

/** Threshold rules through the API: create or replace, delete; the monitor picks them up at once. */
export class RuleCommands {
  readonly #d: RuleCommandDeps;

  constructor(deps: RuleCommandDeps) {
    this.#d = deps;
  }

  list(actor: Actor): RuleView[] {
    demand(actor, 'rules.read');
    return this.#d.catalog.list();
  }

  /** Creates or replaces the API rule `id`; says which it was. */
  save(actor: Actor, input: ThresholdRuleInput): { rule: RuleView; created: boolean } {
    demand(actor, 'rules.manage');
    const taken = this.#d.catalog.readOnly(input.id);
    if (taken) throw new PantauError('CONFLICT', `rule ${input.id} is ${taken} and cannot be changed here`);
    // Resolving first turns a bad duration or an impossible limit into a 400 before anything is written.
    resolveThresholdRule(input, this.#d.config.policy);
    const now = (this.#d.now ?? systemClock)();
    const created = this.#d.db.transaction(() => {
      const existed = this.#d.store.get(input.id) !== undefined;
      this.#d.store.save(input, actor.id, now);
      this.#d.audit.record(
        actor,
        existed ? 'rule.replace' : 'rule.create',
        `rule:${input.id}`,
        { definition: input },
        now,
      );
      return !existed;
    })();
    this.#d.refresh();
    return { rule: this.#d.catalog.view(input), created };
  }

  remove(actor: Actor, id: string): void {
    demand(actor, 'rules.manage');
    const taken = this.#d.catalog.readOnly(id);
    if (taken) throw new PantauError('CONFLICT', `rule ${id} is ${taken} and cannot be deleted here`);
    this.#d.db.transaction(() => {
      if (!this.#d.store.remove(id)) throw new PantauError('NOT_FOUND', `no API rule with id ${id}`);
      this.#d.audit.record(actor, 'rule.delete', `rule:${id}`);
    })();
    this.#d.refresh();
  }
}
