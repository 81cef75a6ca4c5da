import { checkName as checkNameRule, PantauError } from '@pantau/shared';
import { isRole, type Role } from './roles.ts';
import type { User } from './user-repo.ts';

/** What a user command accepts: names, e-mail addresses, roles; and the refusals it audits. */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A person's name, by the one rule for names (trimmed, NFC, nothing invisible). */
export function checkName(name: string): string {
  return checkNameRule(name, 'name', 128);
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
