import { type JobParams, PantauError, resolveParams } from '@pantau/shared';
import { type Actor, demand } from '../access/actor.ts';
import { needsRole, roleAtLeast } from '../access/roles.ts';
import type { Host, HostRepo } from '../store/hosts.ts';
import type { Activities } from './activities.ts';
import { resolveTargets } from './targets.ts';
import type { Activity, Amount, Targets } from './types.ts';

export interface PreviewInput {
  activity: string;
  params?: JobParams | undefined;
  targets: Targets;
}

export interface CreateJobInput extends PreviewInput {
  batch?: Amount | undefined;
  stopAfterFailures?: Amount | undefined;
  timeoutMs?: number | undefined;
}

export type SkipReason = 'offline' | 'action-not-allowed';

export interface Preview {
  hosts: { id: number; name: string }[];
  skipped: { id: number; name: string; reason: SkipReason; message: string }[];
}

export interface Plan extends Preview {
  activity: Activity;
  targetHosts: Host[];
  sentParams: Record<string, string | number>;
}

export interface PlanDeps {
  activities: Activities;
  hosts: HostRepo;
  isOnline(hostId: number): boolean;
  /** jobs.maxTargets */
  maxTargets: number;
}

/**
 * What a job would do, before anything is created: the caller may run the activity, the
 * parameters pass its spec, the targets resolve to at most maxTargets hosts, and each host is
 * either ready or skipped with the reason.
 */
export function planJob(deps: PlanDeps, actor: Actor, input: PreviewInput): Plan {
  demand(actor, 'job.run');
  const activity = deps.activities.get(input.activity);
  if (activity.dangerous) demand(actor, 'job.run.dangerous');
  if (!roleAtLeast(actor.role, activity.minRole)) {
    throw new PantauError('FORBIDDEN', needsRole(activity.id, activity.minRole, actor));
  }
  const checked = resolveParams(activity.params, input.params ?? {});
  if (!checked.ok) throw new PantauError('INVALID_PARAMS', `params of ${activity.id}: ${checked.reason}`);
  const sentParams: Record<string, string | number> = {
    ...activity.fixed,
    ...Object.fromEntries(checked.values),
  };
  const targetHosts = resolveTargets(input.targets, allHosts(deps.hosts));
  if (targetHosts.length === 0) {
    throw new PantauError('VALIDATION_FAILED', `targets match no host (${describe(input.targets)})`);
  }
  const cap = deps.maxTargets;
  if (targetHosts.length > cap) {
    throw new PantauError(
      'VALIDATION_FAILED',
      `targets match ${targetHosts.length} hosts; a job may target at most ${cap} (jobs.maxTargets)`,
    );
  }
  const preview: Preview = { hosts: [], skipped: [] };
  for (const h of targetHosts) {
    if (!deps.isOnline(h.id)) {
      preview.skipped.push({ id: h.id, name: h.name, reason: 'offline', message: `${h.name} is offline` });
    } else if (!h.actions.some((a) => a.name === activity.action)) {
      preview.skipped.push({
        id: h.id,
        name: h.name,
        reason: 'action-not-allowed',
        message: `${h.name}'s agent does not allow ${activity.action} (actions.allow in its config)`,
      });
    } else {
      preview.hosts.push({ id: h.id, name: h.name });
    }
  }
  return { ...preview, activity, targetHosts, sentParams };
}

function allHosts(hosts: HostRepo): Host[] {
  const all: Host[] = [];
  for (let after = 0; ; ) {
    const page = hosts.list(after, 1000);
    all.push(...page);
    if (page.length < 1000) return all;
    after = page[page.length - 1]!.id;
  }
}

function describe(targets: Targets): string {
  const parts: string[] = [];
  if (targets.hosts) parts.push(`hosts ${targets.hosts.map((h) => JSON.stringify(h)).join(', ') || 'none'}`);
  if (targets.selector !== undefined) parts.push(`selector ${JSON.stringify(targets.selector)}`);
  if (targets.all) parts.push('all');
  return parts.join(', ');
}
