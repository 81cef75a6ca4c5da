import { PantauError } from '@pantau/shared';
import { isRole, type Role } from './roles.ts';
import type { User } from './user-repo.ts';

/** What a user command accepts: names, e-mail addresses, roles; and the refusals it audits. */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 128 || CONTROL.test(trimmed)) {
    throw new PantauError('VALIDATION_FAILED', 'name must be 1-128 printable characters');
  }
  return trimmed;
}

export function checkEmail(email: string | null | undefined): string | null {
  if (email === null || email === undefined || email === '') return null;
  if (email.length > 256 || !EMAIL.test(email)) {
    throw new PantauError('VALIDATION_FAILED', `"${email.slice(0, 64)}" is not an e-mail address`);
  }
  return email;
}

export function checkRole(role: unknown): Role {
  if (!isRole(role)) {
    throw new PantauError('VALIDATION_FAILED', `role must be viewer, operator or admin, not ${String(role)}`);
  }
  return role;
}

/** A refusal worth auditing (self-service, last admin, cooldown): recorded as `<action>.refused`. */
export class Refused extends PantauError {
  readonly action: string;
  readonly target: string;

  constructor(action: string, user: User, message: string) {
    super('CONFLICT', message);
    this.action = `${action}.refused`;
    this.target = `user:${user.id}`;
  }
}
