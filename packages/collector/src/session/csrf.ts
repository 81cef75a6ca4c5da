import csrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session's CSRF secret, as @fastify/csrf-protection reads it; null without a session cookie. */
    session: { csrfSecret: string } | null;
  }
}

/**
 * CSRF protection for console sessions by @fastify/csrf-protection. Its secret lives in the
 * server-side session row (`web_sessions.csrf`, never sent to the browser); the page gets salted
 * tokens made from it and sends one in `X-CSRF-Token`. Bearer-token requests never reach it.
 */
export async function installCsrf(app: FastifyInstance): Promise<void> {
  app.decorateRequest('session', null);
  await app.register(csrfProtection, {
    // The plugin's session mode reads `req.session[sessionKey]`; the auth hook fills it from the row.
    sessionPlugin: '@fastify/session',
    sessionKey: 'csrfSecret',
    getToken: (req) => {
      const header = req.headers['x-csrf-token'];
      return Array.isArray(header) ? header[0] : header;
    },
  });
}

/** Binds the request to a session's secret, so the plugin can check and make tokens. */
export function bindCsrfSecret(req: FastifyRequest, secret: string): void {
  req.session = { csrfSecret: secret };
}

/** Whether the request carries a valid token for its session; on false the plugin has answered 403. */
export function csrfPasses(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply): boolean {
  let passed = false;
  // Its check is synchronous: it either calls back or sends its 403 error (mapped in api/errors.ts).
  app.csrfProtection(req, reply, () => {
    passed = true;
  });
  return passed;
}

/** A fresh token for the bound session (each one different, all valid while the session lasts). */
export function csrfToken(reply: FastifyReply): string | null {
  return reply.request.session ? reply.generateCsrf() : null;
}

/** The plugin's error codes: no secret bound, or a missing or wrong token. */
export const CSRF_ERROR_CODES = new Set(['FST_CSRF_MISSING_SECRET', 'FST_CSRF_INVALID_TOKEN']);
export const CSRF_MESSAGE =
  'missing or wrong X-CSRF-Token header: a console session must send it on every change (scripts use a bearer token)';
