import Type from 'typebox';
import type { CreateJobInput } from '../../jobs/service.ts';
import type { Job } from '../../jobs/types.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import {
  JobBody,
  JobDetail,
  JobIdParams,
  JobItem,
  JobQuery,
  OutputChunk,
  PreviewBody,
  PreviewResponse,
  RunItem,
  RunParams,
} from '../job-schemas.ts';
import { page, withErrors } from '../schemas.ts';

/** Jobs: preview, create, confirm, approve, cancel, list, read, output. */
export async function jobRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const jobs = ctx.jobs.service;
  const tags = ['jobs'];
  const people = ctx.access.names;
  /** Names beside the actor ids, for people (the ids stay for machines). */
  const named = <J extends Job>(job: J) => ({
    ...job,
    confirmedByName: people.maybe(job.confirmedBy),
    approvedByName: people.maybe(job.approvedBy),
    cancelledByName: people.maybe(job.cancelledBy),
  });

  app.post(
    '/jobs/preview',
    {
      config: { permission: 'job.run' },
      schema: {
        tags,
        summary: 'Which hosts a job would run on, and which are skipped and why; creates nothing',
        body: PreviewBody,
        response: withErrors({ 200: PreviewResponse }),
      },
    },
    async (req) => jobs.preview(actorOf(req), req.body),
  );

  app.post(
    '/jobs',
    {
      config: { permission: 'job.run' },
      schema: {
        tags,
        summary: 'Run an activity on a target set (a dangerous one waits for POST /jobs/:id/confirm)',
        body: JobBody,
        response: withErrors({ 201: JobItem }),
      },
    },
    async (req, reply) => reply.code(201).send(named(jobs.create(actorOf(req), req.body as CreateJobInput))),
  );

  for (const [verb, permission, summary] of [
    ['confirm', 'job.run.dangerous', 'Confirm your own dangerous job within the confirmation time'],
    ['approve', 'job.approve', "Approve another admin's confirmed dangerous job (four-eyes mode)"],
    ['cancel', 'job.run', 'Cancel a job: queued hosts are not started, running ones are asked to stop'],
  ] as const) {
    app.post(
      `/jobs/:id/${verb}`,
      {
        config: { permission },
        schema: { tags, summary, params: JobIdParams, response: withErrors({ 200: JobItem }) },
      },
      async (req) => named(jobs[verb](actorOf(req), req.params.id)),
    );
  }

  app.post(
    '/jobs/:id/runs/:hostId/cancel',
    {
      config: { permission: 'job.run' },
      schema: {
        tags,
        summary: "Cancel one host's run of a running job",
        params: RunParams,
        response: withErrors({ 200: RunItem }),
      },
    },
    async (req) => jobs.cancelRun(actorOf(req), req.params.id, req.params.hostId),
  );

  app.get(
    '/jobs',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags,
        summary: 'Job history, newest first, filtered by actor, activity, host, state and time',
        querystring: JobQuery,
        response: withErrors({ 200: page(JobItem) }),
      },
    },
    async (req) => {
      const { host, after, limit = 100, ...rest } = req.query;
      const items = jobs.list(actorOf(req), {
        ...rest,
        hostId: host,
        before: after === undefined || after === 0 ? undefined : after,
        limit,
      });
      return { items: items.map(named), next: items.length === limit ? items[items.length - 1]!.id : null };
    },
  );

  app.get(
    '/jobs/:id',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags,
        summary: 'One job with every host run',
        params: JobIdParams,
        response: withErrors({ 200: JobDetail }),
      },
    },
    async (req) => named(jobs.get(actorOf(req), req.params.id)),
  );

  app.get(
    '/jobs/:id/runs/:hostId/output',
    {
      config: { permission: 'jobs.read' },
      schema: {
        tags,
        summary: "One host run's stored output chunks, in order",
        params: RunParams,
        response: withErrors({ 200: Type.Object({ items: Type.Array(OutputChunk) }) }),
      },
    },
    async (req) => ({
      items: jobs.output(actorOf(req), req.params.id, req.params.hostId).map((e) => {
        const d = e.data as { stream: 'stdout' | 'stderr'; data: string; ts: number };
        return { seq: e.seq, stream: d.stream, data: d.data, ts: d.ts };
      }),
    }),
  );
}
