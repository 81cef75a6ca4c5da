/**
 * Roles and the one permission table. Every surface (REST, Telegram, web console, CLI) asks
 * `can(principal, permission)` and nothing else; no other file compares roles.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The least role that holds each permission. Roles are cumulative: admin ⊇ operator ⊇ viewer. */
export const PERMISSIONS = {
  /** Who am I: one's own identity and role. */
  'account.read': 'viewer',
  /** Hosts, metrics, processes, ports, checks, containers. */
  'hosts.read': 'viewer',
  'incidents.read': 'viewer',
  'activities.read': 'viewer',
  'jobs.read': 'viewer',
  /** Alert rules, built-in and added. */
  'rules.read': 'viewer',
  'incidents.ack': 'operator',
  'silences.manage': 'operator',
  'maintenance.manage': 'operator',
  /** Replace a host's labels (selectors and silences match on them). */
  'hosts.label': 'operator',
  /** Start a job of a non-dangerous activity; cancel one's own jobs. */
  'job.run': 'operator',
  'job.run.dangerous': 'admin',
  /** Approve another admin's dangerous job in four-eyes mode. */
  'job.approve': 'admin',
  /** Cancel anybody's job. */
  'job.cancel.any': 'admin',
  /** Add and remove hosts, rotate and revoke agent tokens. */
  'hosts.manage': 'admin',
  'activities.manage': 'admin',
  /** Add, approve, reject, disable users and change their roles and passwords. */
  'users.manage': 'admin',
  'tokens.manage': 'admin',
  'rules.manage': 'admin',
  'recipients.manage': 'admin',
  'notifications.read': 'admin',
  'audit.read': 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;

/** Anything that carries a role: a principal, an actor, a user. */
export interface HasRole {
  readonly role: Role;
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The only question a surface asks. */
export function can(who: HasRole, permission: Permission): boolean {
  return roleAtLeast(who.role, PERMISSIONS[permission]);
}

/** The lower of two roles: what a token owned by a user may do. */
export function lowerRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? b : a;
}

/**
 * The one wording of a refusal for a too-low role: `<what> needs the <role> role; <name> has
 * <role>`, or, to the person themselves (no name, as the bot speaks), `…; you are <role>`.
 */
export function needsRole(what: string, need: Role, who: HasRole & { readonly name?: string }): string {
  const have = who.name === undefined ? `you are ${who.role}` : `${who.name} has ${who.role}`;
  return `${what} needs the ${need} role; ${have}`;
}

/** The least role that holds a permission (for error messages and docs). */
export function roleFor(permission: Permission): Role {
  return PERMISSIONS[permission];
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
