import { randomBytes } from 'node:crypto';
import { SYSTEM_ACTOR } from '../access/actor.ts';
import type { Access } from '../access/index.ts';
import type { PasswordLinks } from '../access/password-links.ts';

/** The console user every install starts with; the sign-in page's hint names it. */
export const FIRST_ADMIN = 'admin';

export type FirstAdmin =
  | { name: string; password: string }
  | { name: string; link: { url: string; expiresAt: number } };

/**
 * On the first start (no active admin and nobody called `admin` yet) makes the console user
 * `admin` with either a one-time link to choose a password (systemd, containers: the link goes to
 * the log once) or a random password (`pnpm start` prints it on the terminal). Later starts find
 * the user and make nothing, so `pantau-collector users passwd admin` works on every install.
 */
export async function ensureFirstAdmin(
  p: { access: Access; passwordLinks: PasswordLinks },
  way: 'link' | 'password',
): Promise<FirstAdmin | null> {
  const { users } = p.access.repos;
  if (users.activeAdmins() > 0 || users.byName(FIRST_ADMIN)) return null;
  if (way === 'password') {
    const password = randomBytes(12).toString('base64url');
    await p.access.users.create(SYSTEM_ACTOR, { name: FIRST_ADMIN, role: 'admin', password });
    return { name: FIRST_ADMIN, password };
  }
  const user = await p.access.users.create(SYSTEM_ACTOR, { name: FIRST_ADMIN, role: 'admin' });
  return { name: FIRST_ADMIN, link: p.passwordLinks.create(SYSTEM_ACTOR, user.id) };
}
