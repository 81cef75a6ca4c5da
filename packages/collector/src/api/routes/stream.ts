import { StreamHub } from '../../live/stream-hub.ts';
import type { ApiContext, TypedApp } from '../context.ts';

/** The console's live feed over server-sent events (see web/stream-hub.ts for what it sends). */
export async function streamRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const hub = new StreamHub({
    store: ctx.store,
    events: ctx.events,
    incidents: ctx.alerting.monitor.incidents,
    timers: ctx.time.timers,
  });
  // Open streams would keep app.close() waiting, so they end before the server closes.
  app.addHook('preClose', async () => hub.close());

  app.get(
    '/stream',
    {
      config: { permission: 'hosts.read' },
      schema: {
        // Kept out of the OpenAPI document: an endless stream is the console's feed, not an API call (docs/console.md).
        hide: true,
        tags: ['console'],
        summary:
          'Server-sent events: `hello` (every host), then `hosts` batches (one entry per changed host, every 250 ms), `removed`, `incidents` (active counts per host) and `jobs` (ids of jobs created or changed)',
      },
    },
    async (req, reply) => {
      reply.hijack();
      hub.attach(reply.raw, req.principal!.userId);
      req.log.debug({ clients: hub.clients }, 'console stream opened');
    },
  );
}
