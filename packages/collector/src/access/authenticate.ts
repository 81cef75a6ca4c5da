import { bearerToken, hashToken, sameHash } from '../security/tokens.ts';
import type { Surface } from '../store/audit.ts';
import type { Actor } from './actor.ts';
import { lowerRole } from './roles.ts';
import type { TokenRepo } from './token-repo.ts';

/** What a credential proved, or why it proved nothing. */
export type Authentication =
  | { ok: true; actor: Actor; tokenId: number | null }
  | { ok: false; reason: string };

/**
 * Turns an API token into the Actor behind it. A user's token acts as that user with the lower
 * of the two roles, and stops working the moment the user is no longer active.
 */
export class TokenAuthenticator {
  readonly #tokens: TokenRepo;
  readonly #adminHash: string | null;

  constructor(tokens: TokenRepo, adminToken: string | null) {
    this.#tokens = tokens;
    this.#adminHash = adminToken ? hashToken(adminToken) : null;
  }

  /** From an `Authorization` header value. */
  header(value: string | string[] | undefined, surface: Surface = 'api'): Authentication {
    const secret = bearerToken(value);
    if (!secret) {
      const reason = value
        ? 'Authorization must be "Bearer <API token>"'
        : 'missing Authorization: Bearer <API token>';
      return { ok: false, reason };
    }
    return this.secret(secret, surface);
  }

  secret(secret: string, surface: Surface = 'api'): Authentication {
    if (this.#adminHash && sameHash(hashToken(secret), this.#adminHash)) {
      return {
        ok: true,
        tokenId: null,
        actor: { userId: null, id: 'config', name: 'config admin token', role: 'admin', surface },
      };
    }
    const found = this.#tokens.find(secret);
    if (!found) return { ok: false, reason: 'API token is not valid (revoked or mistyped)' };
    const { token, user, mintedBy } = found;
    if (token.userId === null) {
      return {
        ok: true,
        tokenId: token.id,
        actor: {
          userId: null,
          id: `token:${token.id}`,
          name: token.name,
          role: token.role,
          surface,
          mintedBy,
        },
      };
    }
    if (user?.status !== 'active') {
      return { ok: false, reason: `API token belongs to a user who is ${user?.status ?? 'removed'}` };
    }
    return {
      ok: true,
      tokenId: token.id,
      actor: {
        userId: user.id,
        id: `user:${user.id}`,
        name: user.name,
        role: lowerRole(token.role, user.role),
        surface,
      },
    };
  }
}
