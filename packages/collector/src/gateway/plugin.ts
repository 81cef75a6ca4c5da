import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../error-body.ts';
import { FailureLimiter } from '../security/failure-limiter.ts';
import { bearerToken, hashToken } from '../security/tokens.ts';
import type { Host } from '../store/hosts.ts';
import type { Store } from '../store/index.ts';
import type { Gateway } from './gateway.ts';

declare module 'fastify' {
  interface FastifyRequest {
    agentHost: Host | null;
  }
}

/** Mounts the agents' WebSocket at /agent: token auth in the upgrade request, then the gateway. */
export async function gatewayPlugin(
  app: FastifyInstance,
  opts: { gateway: Gateway; store: Store; authFailuresPerMinute: number },
): Promise<void> {
  const { gateway, store } = opts;
  const failures = new FailureLimiter(opts.authFailuresPerMinute, gateway.time.now);
  await app.register(websocket, {
    // The decoder enforces maxPayload with a clear error frame; ws drops anything far beyond it unread.
    options: { maxPayload: gateway.maxPayload * 4, perMessageDeflate: false },
    errorHandler: socketError,
    preClose: async function preClose(this: FastifyInstance) {
      await gateway.shutdown();
      // The server waits for every WebSocket client; one upgraded in the last moment must not hold it.
      for (const client of this.websocketServer.clients) client.terminate();
      await new Promise<void>((resolve) => this.websocketServer.close(() => resolve()));
    },
  });
  // Agents reconnect at once when closed; while the collector is closing their upgrade requests
  // are answered 503, but Node leaves an upgrade's socket to its listeners: end it, or it keeps
  // the process alive after the shutdown.
  app.server.on('upgrade', (_req, socket) => {
    if (!gateway.closing) return;
    socket.end();
    gateway.time.timers.setTimeout(() => socket.destroy(), 1_000);
  });
  app.decorateRequest('agentHost', null);

  async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    if (gateway.closing)
      return reply.code(503).send(errorBody('SHUTTING_DOWN', 'collector is shutting down'));
    const token = bearerToken(req.headers.authorization);
    const host = token ? store.hosts.byTokenHash(hashToken(token)) : undefined;
    // The token is checked first: an attacker behind the same NAT must not lock honest agents out.
    if (!host && failures.blocked(req.ip)) {
      gateway.stats.authFailures++;
      return reply
        .code(429)
        .send(errorBody('RATE_LIMITED', 'too many failed agent authentications; wait a minute'));
    }
    if (!host) {
      failures.fail(req.ip);
      gateway.stats.authFailures++;
      const message = token
        ? 'agent token is not valid (revoked, rotated or mistyped)'
        : 'missing Authorization: Bearer <agent token>';
      req.log.warn({ ip: req.ip }, message);
      return reply.code(401).send(errorBody('UNAUTHORIZED', message));
    }
    req.agentHost = host;
    return undefined;
  }

  app.get(
    '/agent',
    { websocket: true, preValidation: authenticate, schema: { hide: true } },
    (socket, req) => {
      gateway.accept(socket, req.agentHost!);
    },
  );
}

/**
 * ws reports a peer's protocol violations (bad opcode, oversized frame) as socket errors: the
 * connection already answered them, so they are warnings; anything else is ours.
 */
function socketError(error: Error, socket: { terminate(): void }, req: FastifyRequest): void {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
  if (code.startsWith('WS_ERR_')) {
    req.log.warn({ code, reason: error.message }, 'agent broke the WebSocket protocol');
    return;
  }
  req.log.error({ err: error }, 'agent socket failed');
  socket.terminate();
}
