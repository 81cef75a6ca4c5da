import { type Actor, userActor } from '../access/actor.ts';
import type { User, UserRepo } from '../access/user-repo.ts';

/** Who a Telegram user is to Pantau. */
export type Principal =
  | { status: 'active'; actor: Actor; user: User }
  | { status: 'pending'; user: User }
  | { status: 'rejected'; user: User }
  | { status: 'disabled'; user: User }
  | { status: 'unknown' };

/** Turns a Telegram user id (`from.id`, private chats only) into a principal. */
export interface Principals {
  identify(telegramUserId: number): Principal;
}

/** Users with a Telegram identity, read on every update so a role change applies at once. */
export class UserPrincipals implements Principals {
  readonly #users: Pick<UserRepo, 'byTelegram'>;

  constructor(users: Pick<UserRepo, 'byTelegram'>) {
    this.#users = users;
  }

  identify(telegramUserId: number): Principal {
    const user = this.#users.byTelegram(telegramUserId);
    if (user === undefined) return { status: 'unknown' };
    if (user.status === 'active') return { status: 'active', actor: userActor(user, 'telegram'), user };
    if (user.status === 'pending') return { status: 'pending', user };
    return { status: user.rejectedAt === null ? 'disabled' : 'rejected', user };
  }
}
