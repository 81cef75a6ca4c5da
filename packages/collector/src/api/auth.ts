import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Actor } from '../access/actor.ts';
import type { Authentication, TokenAuthenticator } from '../access/authenticate.ts';
import { can, isPermission, needsRole, type Permission, type Role, roleFor } from '../access/roles.ts';
import { errorBody } from '../error-body.ts';
import { FailureLimiter } from '../security/failure-limiter.ts';
import { bearerToken } from '../security/tokens.ts';
import { sessionCookie } from '../session/cookie.ts';
import { bindCsrfSecret, csrfPasses } from '../session/csrf.ts';
import type { WebSession } from '../session/session-repo.ts';
import type { Sessions } from '../session/sessions.ts';
import type { AuditLog } from '../store/audit.ts';

/** Who made a request: set by the auth hook before validation and the handler run. */
export interface Principal {
  role: Role;
  /** For the audit log: `user:<id>`, `token:<id>` or `config` (the admin token from the config). */
  actor: string;
  tokenId: number | null;
  /** The user the token belongs to; null for service tokens and the config admin token. */
  userId: number | null;
  /** The user's name, or the token's. */
  name: string;
  /** The Actor commands take (surface `api`). */
  caller: Actor;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller must be allowed (access/roles.ts); `public` means no token at all. Every API route declares it. */
    permission?: Permission | 'public';
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The console session the request came with, when it used one instead of a bearer token. */
    webSession: WebSession | null;
  }
}

interface AuthDeps {
  auth: TokenAuthenticator;
  failuresPerMinute: number;
  /** Where refused attempts by known callers are recorded; absent in tests of the hook alone. */
  audit?: AuditLog;
  /** Console sessions (cookie + CSRF header); absent: bearer tokens only. */
  sessions?: Sessions;
}

// Reading is safe to do on a cookie alone; anything else must also carry the CSRF header.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one place API permissions are enforced. Routes declare `config: { permission }`; this
 * plugin turns that into an onRequest hook (so a caller without it gets 401/403 before any
 * validation), and refuses to start when a route forgot to declare one.
 */
export function installAuth(
  app: FastifyInstance,
  deps: AuthDeps,
): { requirePermission(permission: Permission): onRequestHookHandler } {
  const failures = new FailureLimiter(deps.failuresPerMinute);
  app.decorateRequest('principal', null);
  app.decorateRequest('webSession', null);

  /** A bearer token when the request has one, else the console's session cookie. */
  function identify(req: FastifyRequest): Authentication & { session?: WebSession } {
    const cookie =
      deps.sessions && !req.headers.authorization ? sessionCookie(req.headers.cookie) : undefined;
    if (!cookie || !deps.sessions) return deps.auth.header(req.headers.authorization);
    const result = deps.sessions.authenticate(cookie);
    if (result.ok && result.session) bindCsrfSecret(req, result.session.csrf);
    return result;
  }

  /**
   * Failures count per address and per presented token prefix (its first 12 characters), so
   * one guesser cannot hide behind many addresses with the same bad token.
   */
  function failureKeys(req: FastifyRequest): string[] {
    const presented = bearerToken(req.headers.authorization);
    return presented ? [`ip:${req.ip}`, `token:${presented.slice(0, 12)}`] : [`ip:${req.ip}`];
  }

  function requirePermission(permission: Permission): onRequestHookHandler {
    return async function checkPermission(req: FastifyRequest, reply: FastifyReply) {
      // The credential is checked first: a valid one is never refused because others failed
      // from the same address (an office behind one NAT, a CI runner pool).
      const result = identify(req);
      if (!result.ok) {
        const keys = failureKeys(req);
        const held = keys.map((key) => ({ key, wait: failures.retryAfter(key) })).find((k) => k.wait > 0);
        if (held) {
          const what = held.key.startsWith('token:') ? 'with this token' : 'from this address';
          return reply
            .code(429)
            .header('retry-after', String(held.wait))
            .send(
              errorBody(
                'RATE_LIMITED',
                `too many failed authentications ${what}; try again in ${held.wait} s (a valid token is let through meanwhile)`,
              ),
            );
        }
        for (const key of keys) failures.fail(key);
        return reply.code(401).send(errorBody('UNAUTHORIZED', result.reason));
      }
      // A change made with the session cookie must carry a token from @fastify/csrf-protection.
      if (result.session && !SAFE_METHODS.has(req.method) && !csrfPasses(app, req, reply)) return reply;
      req.webSession = result.session ?? null;
      const { actor, tokenId } = result;
      if (!can(actor, permission)) {
        // A known caller reaching for more than their role is worth a line in the audit log.
        deps.audit?.record(actor, 'access.denied', `${req.method} ${req.routeOptions.url}`, { permission });
        return reply
          .code(403)
          .send(errorBody('FORBIDDEN', needsRole(permission, roleFor(permission), actor)));
      }
      req.principal = {
        role: actor.role,
        actor: actor.id,
        tokenId,
        userId: actor.userId,
        name: actor.name,
        caller: actor,
      };
      return undefined;
    };
  }

  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (permission === 'public') return;
    if (!isPermission(permission)) {
      throw new Error(
        `route ${route.method} ${route.url} must declare config.permission (a permission from access/roles.ts, or 'public'); got ${String(permission)}`,
      );
    }
    const existing = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [requirePermission(permission), ...existing];
    // The OpenAPI document says what each operation needs, so API users need not guess.
    if (route.schema) {
      const needs = `Needs \`${permission}\` (${roleFor(permission)} or above).`;
      const said = route.schema.description;
      route.schema = { ...route.schema, description: said ? `${said}\n\n${needs}` : needs };
    }
  });

  return { requirePermission };
}
