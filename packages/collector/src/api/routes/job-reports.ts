import type { FastifyReply } from 'fastify';
import type { ReportRow } from '../../jobs/export.ts';
import { toCsv } from '../../jobs/export.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { Format, JobIdParams, RangeExportQuery } from '../job-schemas.ts';

function send(reply: FastifyReply, rows: ReportRow[], format: 'csv' | 'json', name: string) {
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(toCsv(rows));
  }
  return reply
    .type('application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.json"`)
    .send(JSON.stringify({ items: rows }));
}

/** Reports: one row per host run (job, activity, actor, host, state, exit code, times, output tail). */
export async function jobReportRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const jobs = ctx.jobs.service;
  const tags = ['jobs'];

  app.get(
    '/jobs/export',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags,
        summary: 'Export the host runs of the jobs created in a time range, as CSV or JSON',
        querystring: RangeExportQuery,
      },
    },
    async (req, reply) => {
      const to = req.query.to ?? ctx.time.now();
      const rows = jobs.reportRange(actorOf(req), req.query.from, to);
      return send(reply, rows, req.query.format ?? 'json', `pantau-jobs-${req.query.from}-${to}`);
    },
  );

  app.get(
    '/jobs/:id/export',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags,
        summary: "Export one job's host runs as CSV or JSON",
        params: JobIdParams,
        querystring: Format,
      },
    },
    async (req, reply) =>
      send(
        reply,
        jobs.report(actorOf(req), req.params.id),
        req.query.format ?? 'json',
        `pantau-job-${req.params.id}`,
      ),
  );
}
