import {
  type ActionSpec,
  BUILTIN_ACTION_CATALOG,
  builtinAction,
  PantauError,
  patternProblem,
  resolveParams,
} from '@pantau/shared';
import { type Actor, demand } from '../access/actor.ts';
import { systemClock } from '../clock.ts';
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

export interface ActivitiesDeps {
  repo: ActivityRepo;
  audit: AuditLog;
  /** A host whose agent marks this action dangerous (its hello), or null. */
  markingDangerous(action: string): string | null;
  /** The actions agents listed in their `hello` (custom ones with their parameters). */
  announced?: () => ActionSpec[];
}

/**
 * The activity catalog: built-ins plus admin-defined ones; changes are audited. An action an
 * agent marks dangerous makes every activity over it dangerous, whatever the activity says.
 */
export class Activities {
  readonly #d: ActivitiesDeps;
  readonly #repo: ActivityRepo;
  readonly #audit: AuditLog;
  readonly #announced: () => ActionSpec[];

  constructor(deps: ActivitiesDeps) {
    this.#d = deps;
    this.#repo = deps.repo;
    this.#audit = deps.audit;
    this.#announced = deps.announced ?? (() => []);
  }

  list(actor: Actor): Activity[] {
    demand(actor, 'activities.read');
    return [...BUILTINS, ...this.#repo.list().map((a) => this.#withAgentFlag(a))];
  }

  /** The agents' flag wins: dangerous, so admin only and confirmed. */
  #withAgentFlag(activity: Activity): Activity {
    if (activity.dangerous || this.#d.markingDangerous(activity.action) === null) return activity;
    return { ...activity, dangerous: true, minRole: 'admin' };
  }

  /** Refuses an activity that says not dangerous over an action an agent says is. */
  #agreeWithAgents(input: ActivityInput): void {
    if (input.dangerous) return;
    const host = this.#d.markingDangerous(input.action);
    if (host !== null) {
      invalid(
        `body.dangerous must be true: the agent on ${host} marks ${input.action} dangerous (the agent's flag wins)`,
      );
    }
  }

  /** What an activity can run: the built-in actions, then custom actions some agent announced. */
  actions(actor: Actor): (ActionSpec & { builtin: boolean })[] {
    demand(actor, 'activities.read');
    const custom = this.#announced().filter((a) => !builtinAction(a.name));
    return [
      ...BUILTIN_ACTION_CATALOG.map(({ spec }) => ({ ...spec, builtin: true })),
      ...custom.sort((a, b) => a.name.localeCompare(b.name)).map((a) => ({ ...a, builtin: false })),
    ];
  }

  /** The activity or NOT_FOUND naming it. */
  get(id: string): Activity {
    const custom = this.#repo.get(id);
    const found = BUILTINS.find((a) => a.id === id) ?? (custom && this.#withAgentFlag(custom));
    if (!found) {
      throw new PantauError(
        'NOT_FOUND',
        `no activity ${JSON.stringify(id)} (GET /api/v1/activities lists them)`,
      );
    }
    return found;
  }

  create(actor: Actor, given: ActivityInput, now = systemClock()): Activity {
    demand(actor, 'activities.manage');
    if (BUILTIN_IDS.has(given.name) || this.#repo.get(given.name)) {
      throw new PantauError('CONFLICT', `an activity named ${given.name} exists already`);
    }
    const spec = this.#spec(given.action);
    const input = normalized(given, spec);
    // The agents' word first: it names the host that marks the action dangerous.
    this.#agreeWithAgents(input);
    check(input, spec);
    const created = this.#repo.insert(input, actor.id, now);
    this.#audit.record(actor, 'activity.create', `activity:${created.id}`, { ...input }, now);
    return created;
  }

  update(actor: Actor, id: string, given: ActivityInput, now = systemClock()): Activity {
    demand(actor, 'activities.manage');
    this.#custom(id);
    if (given.name !== id) invalid(`body.name cannot change (${id}); create a new activity instead`);
    const spec = this.#spec(given.action);
    const input = normalized(given, spec);
    // The agents' word first: it names the host that marks the action dangerous.
    this.#agreeWithAgents(input);
    check(input, spec);
    const updated = this.#repo.update(input, now);
    this.#audit.record(actor, 'activity.update', `activity:${id}`, { ...input }, now);
    return updated;
  }

  remove(actor: Actor, id: string, now = systemClock()): void {
    demand(actor, 'activities.manage');
    this.#custom(id);
    this.#repo.delete(id);
    this.#audit.record(actor, 'activity.delete', `activity:${id}`, undefined, now);
  }

  /** The action's spec: a built-in's, or a custom action's as an agent announced it (undefined if none did). */
  #spec(action: string): ActionSpec | undefined {
    return builtinAction(action)?.spec ?? this.#announced().find((a) => a.name === action);
  }

  #custom(id: string): void {
    if (BUILTIN_IDS.has(id))
      throw new PantauError('CONFLICT', `${id} is a built-in activity; it cannot be changed`);
    if (!this.#repo.get(id)) throw new PantauError('NOT_FOUND', `no activity ${JSON.stringify(id)}`);
  }
}

const WHOLE = /^-?\d{1,15}$/;

/**
 * Integer defaults and fixed values as numbers: a JSON body's 30 can arrive as "30" (the API
 * coerces into the first type of a string-or-integer union), and a string would come back.
 */
function normalized(input: ActivityInput, spec: ActionSpec | undefined): ActivityInput {
  const params = input.params.map((p) =>
    p.kind === 'integer' && typeof p.default === 'string' && WHOLE.test(p.default)
      ? { ...p, default: Number(p.default) }
      : p,
  );
  const integers = new Set(spec?.params.filter((p) => p.kind === 'integer').map((p) => p.name));
  const fixed = Object.fromEntries(
    Object.entries(input.fixed).map(([name, v]) => [
      name,
      integers.has(name) && typeof v === 'string' && WHOLE.test(v) ? Number(v) : v,
    ]),
  );
  return { ...input, params, fixed };
}

/**
 * An activity must make sense before anybody can run it. `spec` is what its action takes (a
 * built-in, or a custom action as an agent announced it); without one (no agent has announced
 * that action yet) only the activity's own parameters are checked.
 */
function check(input: ActivityInput, spec: ActionSpec | undefined): void {
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
  if (!spec) return;
  const known = new Map(spec.params.map((p) => [p.name, p]));
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
  if (spec.dangerous && !input.dangerous) {
    invalid(`body.dangerous must be true: ${input.action} is a dangerous action`);
  }
}
