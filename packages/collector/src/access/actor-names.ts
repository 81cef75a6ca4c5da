import type { TokenRepo } from './token-repo.ts';
import type { UserRepo } from './user-repo.ts';

/** What people read for actors that are not a person. */
const FIXED: Record<string, string> = {
  cli: 'the CLI',
  start: 'pnpm start',
  config: 'config admin token',
  collector: 'the collector',
  web: 'the console (not signed in)',
};

/**
 * Actor ids (`user:3`, `token:7`, `telegram:42`, …) as the names people read. Machine fields keep
 * the ids (stable, filterable); every surface shows this name beside or instead of them.
 */
export class ActorNames {
  readonly #users: UserRepo;
  readonly #tokens: TokenRepo;

  constructor(users: UserRepo, tokens: TokenRepo) {
    this.#users = users;
    this.#tokens = tokens;
  }

  /** The name for an actor id; an id that names nobody any more is shown as it is. */
  nameOf(actor: string): string {
    const fixed = FIXED[actor];
    if (fixed) return fixed;
    const colon = actor.indexOf(':');
    const kind = actor.slice(0, colon);
    const id = Number(actor.slice(colon + 1));
    if (colon < 0 || !Number.isSafeInteger(id)) return actor;
    switch (kind) {
      case 'user':
        return this.#users.get(id)?.name ?? actor;
      case 'token': {
        const token = this.#tokens.get(id);
        if (!token) return actor;
        const owner = token.userId === null ? undefined : this.#users.get(token.userId);
        return owner ? owner.name : `token ${token.name}`;
      }
      case 'telegram':
        return this.#users.byTelegram(id)?.name ?? `Telegram user ${id}`;
      case 'claim':
        return `claim code #${id}`;
      case 'enrollment':
        return `enrollment code #${id}`;
      default:
        return actor;
    }
  }

  /** The same, passing null through (for optional fields such as "acknowledged by"). */
  maybe(actor: string | null): string | null {
    return actor === null ? null : this.nameOf(actor);
  }

  /**
   * What a filter typed by a person means: an actor id as given, or the id of the user with that
   * name (so "Ann" finds Ann's rows).
   */
  idFor(text: string): string {
    if (/^[a-z]+:\d+$/.test(text) || FIXED[text]) return text;
    const user = this.#users.byName(text);
    return user ? `user:${user.id}` : text;
  }
}
