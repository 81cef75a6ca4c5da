import { PantauError } from '@pantau/shared';
import type { Surface } from '../store/audit.ts';
import { can, needsRole, type Permission, type Role, roleFor } from './roles.ts';

/**
 * Who does something, as every command sees it. Surfaces build one from their own credentials
 * (an API token, a Telegram user id, a web session, the CLI at the collector's machine).
 */
export interface Actor {
  /** The user behind it; null for the config's admin token, the CLI and the collector itself. */
  readonly userId: number | null;
  /** For the audit log: `user:<id>`, `token:<id>`, `config`, `cli`, `collector`. */
  readonly id: string;
  /** For messages: the user's name, or the token's. */
  readonly name: string;
  readonly role: Role;
  readonly surface: Surface;
  /**
   * For a service token: the user who minted it (directly or through tokens they minted).
   * Users are their own person; see personOf.
   */
  readonly mintedBy?: number | null;
}

/** The person accountable for what an actor does: its user, or who minted its token; null when nobody is. */
export function personOf(actor: Actor): number | null {
  return actor.userId ?? actor.mintedBy ?? null;
}

/** The collector acting on its own (reconcile, expiry, retention). */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  userId: null,
  id: 'collector',
  name: 'collector',
  role: 'admin',
  surface: 'system',
});

/** Throws FORBIDDEN naming the permission and the role that holds it. */
export function demand(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) {
    throw new PantauError('FORBIDDEN', needsRole(permission, roleFor(permission), actor));
  }
}

/** An admin at the collector's own machine, running `pantau-collector users …`. */
export const CLI_ACTOR: Actor = Object.freeze({
  userId: null,
  id: 'cli',
  name: 'cli',
  role: 'admin',
  surface: 'cli',
});

/** The actor of a user acting through a surface (bot, console, a token they own). */
export function userActor(
  user: { id: number; name: string; role: Role },
  surface: Surface,
  role: Role = user.role,
): Actor {
  return { userId: user.id, id: `user:${user.id}`, name: user.name, role, surface };
}
