import { checkName, PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import type { AuditLog } from '../store/audit.ts';
import { type Actor, demand, personOf } from './actor.ts';
import { isRole, type Role, roleAtLeast } from './roles.ts';
import type { ApiToken, TokenRepo } from './token-repo.ts';
import type { UserRepo } from './user-repo.ts';

/** API tokens: create (the secret is shown once), list, revoke. Every change is audited. */
export class Tokens {
  readonly #db: Database;
  readonly #tokens: TokenRepo;
  readonly #users: UserRepo;
  readonly #audit: AuditLog;

  constructor(deps: { db: Database; tokens: TokenRepo; users: UserRepo; audit: AuditLog }) {
    this.#db = deps.db;
    this.#tokens = deps.tokens;
    this.#users = deps.users;
    this.#audit = deps.audit;
  }

  list(actor: Actor, page: { after: number; limit: number; userId?: number | undefined }): ApiToken[] {
    demand(actor, 'tokens.manage');
    return this.#tokens.list(page.after, page.limit, page.userId);
  }

  /** A token for a user never outranks them; one without a user is a service token. */
  create(
    actor: Actor,
    input: { name: string; role: Role; userId?: number | null | undefined },
  ): { token: ApiToken; secret: string } {
    demand(actor, 'tokens.manage');
    if (!isRole(input.role)) {
      throw new PantauError(
        'VALIDATION_FAILED',
        `role must be viewer, operator or admin, not ${String(input.role)}`,
      );
    }
    const name = checkName(input.name, 'token name', 128);
    return this.#db.transaction(() => {
      const userId = input.userId ?? null;
      if (userId !== null) {
        const user = this.#users.get(userId);
        if (!user) throw new PantauError('NOT_FOUND', `no user with id ${userId}`);
        if (user.status !== 'active') {
          throw new PantauError('CONFLICT', `${user.name} is ${user.status}; tokens are for active users`);
        }
        if (!roleAtLeast(user.role, input.role)) {
          throw new PantauError(
            'VALIDATION_FAILED',
            `a token cannot outrank its user (${user.name} is ${user.role}, the token asks for ${input.role})`,
          );
        }
      }
      const created = this.#tokens.create(name, input.role, userId, personOf(actor));
      this.#audit.record(actor, 'token.create', `token:${created.token.id}`, {
        role: created.token.role,
        name,
        userId,
      });
      return created;
    })();
  }

  revoke(actor: Actor, id: number): void {
    demand(actor, 'tokens.manage');
    this.#db.transaction(() => {
      if (!this.#tokens.revoke(id)) throw new PantauError('NOT_FOUND', `no live token with id ${id}`);
      this.#audit.record(actor, 'token.revoke', `token:${id}`);
    })();
  }
}
