import {
  BUILTIN_ACTION_CATALOG,
  builtinAction,
  PantauError,
  patternProblem,
  resolveParams,
} from '@pantau/shared';
import { type Actor, demand } from '../access/actor.ts';
import type { AuditLog } from '../store/audit.ts';
import type { ActivityInput, ActivityRepo } from './activity-repo.ts';
import type { Activity } from './types.ts';

/** The built-ins, one per agent action, as activities. */
const BUILTINS: readonly Activity[] = BUILTIN_ACTION_CATALOG.map(({ spec }) => ({
  id: spec.name,
  name: spec.name,
  description: spec.description ?? '',
  action: spec.name,
  fixed: {},
  params: spec.params,
  dangerous: spec.dangerous,
  minRole: spec.dangerous ? 'admin' : 'operator',
  builtin: true,
}));
const BUILTIN_IDS = new Set(BUILTINS.map((a) => a.id));

const invalid = (message: string): never => {
  throw new PantauError('VALIDATION_FAILED', message);
};

/** The activity catalog: built-ins plus admin-defined ones; changes are audited. */
export class Activities {
  readonly #repo: ActivityRepo;
  readonly #audit: AuditLog;

  constructor(deps: { repo: ActivityRepo; audit: AuditLog }) {
    this.#repo = deps.repo;
    this.#audit = deps.audit;
  }

  list(actor: Actor): Activity[] {
    demand(actor, 'activities.read');
    return [...BUILTINS, ...this.#repo.list()];
  }

  /** The activity or NOT_FOUND naming it. */
  get(id: string): Activity {
    const found = BUILTINS.find((a) => a.id === id) ?? this.#repo.get(id);
    if (!found) {
      throw new PantauError(
        'NOT_FOUND',
        `no activity ${JSON.stringify(id)} (GET /api/v1/activities lists them)`,
      );
    }
    return found;
  }

  create(actor: Actor, input: ActivityInput, now = Date.now()): Activity {
    demand(actor, 'activities.manage');
    if (BUILTIN_IDS.has(input.name) || this.#repo.get(input.name)) {
      throw new PantauError('CONFLICT', `an activity named ${input.name} exists already`);
    }
    check(input);
    const created = this.#repo.insert(input, actor.id, now);
    this.#audit.record(actor, 'activity.create', `activity:${created.id}`, { ...input }, now);
    return created;
  }

  update(actor: Actor, id: string, input: ActivityInput, now = Date.now()): Activity {
    demand(actor, 'activities.manage');
    this.#custom(id);
    if (input.name !== id) invalid(`body.name cannot change (${id}); create a new activity instead`);
    check(input);
    const updated = this.#repo.update(input, now);
    this.#audit.record(actor, 'activity.update', `activity:${id}`, { ...input }, now);
    return updated;
  }

  remove(actor: Actor, id: string, now = Date.now()): void {
    demand(actor, 'activities.manage');
    this.#custom(id);
    this.#repo.delete(id);
    this.#audit.record(actor, 'activity.delete', `activity:${id}`, undefined, now);
  }

  #custom(id: string): void {
    if (BUILTIN_IDS.has(id))
      throw new PantauError('CONFLICT', `${id} is a built-in activity; it cannot be changed`);
    if (!this.#repo.get(id)) throw new PantauError('NOT_FOUND', `no activity ${JSON.stringify(id)}`);
  }
}

/** An activity must make sense before anybody can run it. */
function check(input: ActivityInput): void {
  const names = new Set<string>();
  for (const p of input.params) {
    if (names.has(p.name)) invalid(`body.params: ${p.name} appears twice`);
    names.add(p.name);
    if (Object.hasOwn(input.fixed, p.name))
      invalid(`body.params: ${p.name} is also in body.fixed; give it once`);
    if (p.kind === 'enum' && (p.values ?? []).length === 0)
      invalid(`body.params: ${p.name} is an enum without values`);
    if (p.kind === 'regex') {
      if (!p.pattern) invalid(`body.params: ${p.name} is a regex without a pattern`);
      const problem = patternProblem(p.pattern ?? '');
      if (problem) invalid(`body.params: ${p.name} has a pattern that cannot be run: ${problem}`);
    }
    if (p.kind === 'integer' && p.min !== undefined && p.max !== undefined && p.min > p.max) {
      invalid(`body.params: ${p.name} has min above max`);
    }
    if (p.default !== undefined) {
      const result = resolveParams([p], { [p.name]: p.default });
      if (!result.ok) invalid(`body.params: the default of ${p.name} fails its own spec: ${result.reason}`);
    }
  }
  const builtin = builtinAction(input.action);
  if (!builtin) return; // an agent custom action: only the agents know its parameters
  const known = new Map(builtin.spec.params.map((p) => [p.name, p]));
  for (const name of [...names, ...Object.keys(input.fixed)]) {
    if (!known.has(name)) {
      invalid(
        `${name} is not a parameter of ${input.action} (it takes ${[...known.keys()].join(', ') || 'none'})`,
      );
    }
  }
  for (const [name, value] of Object.entries(input.fixed)) {
    const result = resolveParams([known.get(name)!], { [name]: value });
    if (!result.ok) invalid(`body.fixed.${name}: ${result.reason}`);
  }
  if (builtin.spec.dangerous && !input.dangerous) {
    invalid(`body.dangerous must be true: ${input.action} is a dangerous action`);
  }
}
