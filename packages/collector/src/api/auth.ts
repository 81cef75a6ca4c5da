import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { FailureLimiter } from '../gateway/rate-limit.ts';
import { bearerToken, hashToken, sameHash } from '../security/tokens.ts';
import type { AccessRepo } from '../store/access.ts';
import { ROLES, type Role } from '../store/access.ts';
import { errorBody } from './errors.ts';

export { ROLES, type Role };

/** Who made a request: set by the auth hook before validation and the handler run. */
export interface Principal {
  role: Role;
  /** For the audit log: `token:<id>` or `config` (the admin token from the config). */
  actor: string;
  tokenId: number | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a caller needs; `public` means no token at all. Every API route declares it. */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

interface AuthDeps {
  access: AccessRepo;
  /** An extra admin token from the config (compared by hash), or null. */
  adminToken: string | null;
  failuresPerMinute: number;
}

/**
 * The one place roles are enforced. Routes declare `config: { role }`; this plugin turns that
 * into an onRequest hook (so a caller without the role gets 401/403 before any validation),
 * and refuses to start when a route forgot to declare a role.
 */
export function installAuth(
  app: FastifyInstance,
  deps: AuthDeps,
): { requireRole(role: Role): onRequestHookHandler } {
  const failures = new FailureLimiter(deps.failuresPerMinute);
  const adminHash = deps.adminToken ? hashToken(deps.adminToken) : null;
  app.decorateRequest('principal', null);

  function identify(secret: string): Principal | undefined {
    if (adminHash && sameHash(hashToken(secret), adminHash))
      return { role: 'admin', actor: 'config', tokenId: null };
    const token = deps.access.authenticate(secret);
    return token && { role: token.role, actor: `token:${token.id}`, tokenId: token.id };
  }

  function requireRole(role: Role): onRequestHookHandler {
    return async function checkRole(req: FastifyRequest, reply: FastifyReply) {
      if (failures.blocked(req.ip)) {
        return reply
          .code(429)
          .send(
            errorBody('RATE_LIMITED', 'too many failed authentications from this address; wait a minute'),
          );
      }
      const secret = bearerToken(req.headers.authorization);
      const principal = secret ? identify(secret) : undefined;
      if (!principal) {
        failures.fail(req.ip);
        return reply
          .code(401)
          .send(
            errorBody(
              'UNAUTHORIZED',
              secret
                ? 'API token is not valid (revoked or mistyped)'
                : req.headers.authorization
                  ? 'Authorization must be "Bearer <API token>"'
                  : 'missing Authorization: Bearer <API token>',
            ),
          );
      }
      if (!roleAtLeast(principal.role, role)) {
        return reply
          .code(403)
          .send(errorBody('FORBIDDEN', `this needs the ${role} role; the token has ${principal.role}`));
      }
      req.principal = principal;
      return undefined;
    };
  }

  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    if (role === undefined) {
      throw new Error(
        `route ${route.method} ${route.url} must declare config.role (viewer, operator, admin or public)`,
      );
    }
    if (role === 'public') return;
    const existing = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [requireRole(role), ...existing];
  });

  return { requireRole };
}
