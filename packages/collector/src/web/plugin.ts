import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from '../error-body.ts';
import { CONSOLE_DIST, consoleBuilt } from './assets.ts';

export interface ConsoleOptions {
  /** The built console (default: packages/web/dist). */
  dir?: string;
}

// Paths that belong to the API, the agents or Prometheus: a miss there stays a JSON 404.
const NOT_CONSOLE = /^\/(api|agent|metrics|healthz|readyz)(\/|$|\?)/;

/**
 * Serves the web console on the collector's port: hashed assets (cached for a year, sent as
 * .br or .gz when the browser takes it), index.html for every other page path so links into
 * the console work, and a strict Content-Security-Policy (no inline scripts). A console built
 * after the start is served without a restart.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const dir = options.dir ?? CONSOLE_DIST;
  // Loaded here, not at the top: the CLI builds the app for its commands and never serves pages.
  const [{ default: helmet }, { default: fastifyStatic }] = await Promise.all([
    import('@fastify/helmet'),
    import('@fastify/static'),
  ]);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Served over plain HTTP on a LAN as often as behind TLS: HSTS is the proxy's decision.
    strictTransportSecurity: false,
  });

  // Assets are looked up per request, not listed at start: a rebuild or an upgrade next to a
  // running collector serves whatever the new index.html names.
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    wildcard: true,
    preCompressed: true,
    index: false,
    serveDotFiles: false,
    schemaHide: true,
    setHeaders(reply) {
      reply.header('cache-control', 'public, max-age=31536000, immutable');
    },
  });

  const page = (_req: unknown, reply: FastifyReply) => {
    if (!consoleBuilt(dir)) {
      return reply
        .code(503)
        .header('cache-control', 'no-cache')
        .type('text/plain; charset=utf-8')
        .send(
          'The web console is not built. Run `pnpm start` (it builds it) or `pnpm --filter @pantau/web build`.\n',
        );
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, (req, reply) => {
    if (NOT_CONSOLE.test(req.url)) {
      return reply
        .code(404)
        .send(errorBody('NOT_FOUND', `no route for GET ${clip(req.url.split('?')[0] ?? '')}`));
    }
    return page(req, reply);
  });
}

/** Error messages never echo a hostile path in full. */
function clip(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}
