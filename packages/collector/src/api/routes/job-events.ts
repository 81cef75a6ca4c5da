import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import { every } from '../../clock.ts';
import { runView } from '../../jobs/dispatcher.ts';
import { isJobFinal, type JobEventType } from '../../jobs/types.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { JobIdParams } from '../job-schemas.ts';

/** Comment lines keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /jobs/:id/events`: Server-Sent Events. The stored history after Last-Event-ID first, then
 * live events, then `end` once the job has ended; ids are the job's event numbers.
 */
export async function jobEventRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { events } = ctx;
  const jobs = ctx.jobs.service;
  // Open streams never go idle, so a closing server would wait for them: end them first.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get(
    '/jobs/:id/events',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags: ['jobs'],
        summary:
          'Live job events (job, run, output, end) as Server-Sent Events; resumable with Last-Event-ID',
        params: JobIdParams,
        querystring: Type.Object(
          {
            lastEventId: Type.Optional(
              Type.Integer({ minimum: 0, description: 'instead of the Last-Event-ID header' }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const header = req.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && header !== '' ? Number(header) : undefined;
      if (fromHeader !== undefined && !(Number.isSafeInteger(fromHeader) && fromHeader >= 0)) {
        throw new PantauError(
          'VALIDATION_FAILED',
          `Last-Event-ID must be a whole number, got ${JSON.stringify(header)}`,
        );
      }
      const after = fromHeader ?? req.query.lastEventId ?? 0;
      const jobId = req.params.id;
      const { job, events: history } = jobs.history(actorOf(req), jobId, after);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let last = after;
      let closed = false;
      const offs: (() => void)[] = [];
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        stopKeepalive();
        for (const off of offs) off();
        raw.end();
      };
      const write = (seq: number, type: JobEventType, data: unknown) => {
        if (closed || seq <= last) return;
        last = seq;
        raw.write(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const end = (state: string) => {
        if (closed) return;
        raw.write(`event: end\ndata: ${JSON.stringify({ state })}\n\n`);
        close();
      };
      const stopKeepalive = every(ctx.time.timers, KEEPALIVE_MS, () => raw.write(': keepalive\n\n'));
      req.raw.on('close', close);
      open.add(close);

      // Subscribing and replaying in the same tick leaves no gap: the bus is synchronous.
      offs.push(
        events.on('job.changed', (e) => {
          if (e.job.id !== jobId) return;
          write(e.seq, 'job', e.job);
          if (isJobFinal(e.job.state)) end(e.job.state);
        }),
        events.on('job.run', (e) => {
          if (e.jobId === jobId) write(e.seq, 'run', runView(e.run));
        }),
        events.on('job.output', (e) => {
          if (e.jobId === jobId)
            write(e.seq, 'output', {
              hostId: e.hostId,
              host: e.host,
              stream: e.stream,
              data: e.data,
              ts: e.ts,
            });
        }),
      );
      for (const e of history) write(e.seq, e.type, e.data);
      if (isJobFinal(job.state)) end(job.state);
    },
  );
}
