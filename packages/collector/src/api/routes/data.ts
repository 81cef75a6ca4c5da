import { CheckResult, Container, Disk, PantauError, Port, Processes } from '@pantau/shared';
import Type, { type TSchema } from 'typebox';
import type { Area } from '../../store/latest.ts';
import { MetricCatalog, type MetricName, metricNames } from '../../store/metric-catalog.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { AreaResponse, IdParams, LatestResponse, withErrors } from '../schemas.ts';

/** One metric's history: GET /hosts/:id/history. */
export const MetricHistory = Type.Object({
  hostId: Type.Integer(),
  metric: Type.String(),
  unit: Type.String(),
  tier: Type.Union([Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h'), Type.Literal('remote')], {
    description: 'the SQLite tier that answered, or remote for the metrics database (metrics.store: remote)',
  }),
  step: Type.Integer({ description: 'bucket width, ms' }),
  from: Type.Integer(),
  to: Type.Integer(),
  ts: Type.Array(Type.Integer(), { description: 'bucket starts' }),
  avg: Type.Array(Type.Number()),
  max: Type.Array(Type.Number()),
});

/** A check's result changes: GET /hosts/:id/checks/history. */
export const CheckChange = Type.Object({
  name: Type.String(),
  ts: Type.Integer(),
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Union([Type.String(), Type.Null()]),
});

/** One container's CPU and memory history: GET /hosts/:id/containers/history. */
export const ContainerHistory = Type.Object({
  name: Type.String(),
  step: Type.Integer({ description: 'bucket width, ms (at least 10 s)' }),
  ts: Type.Array(Type.Integer(), { description: 'bucket starts' }),
  cpu: Type.Array(Type.Number(), { description: '% of one core, bucket average' }),
  memory: Type.Array(Type.Integer(), { description: 'bytes, bucket average' }),
});

/** The time range of a history query, shared by host metrics and container history. */
const RANGE_QUERY = {
  from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch; default: to - 1h' })),
  to: Type.Optional(Type.Integer({ minimum: 1, description: 'ms since the epoch; default: now' })),
  maxPoints: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
};

/** Data: latest snapshot, metric history, and the per-area views (processes, ports, checks, ...). */
export async function dataRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store } = ctx;
  const tags = ['data'];
  const mustHost = (id: number) => {
    const host = store.hosts.get(id);
    if (!host) throw new PantauError('NOT_FOUND', `no host with id ${id}`);
    return host;
  };

  app.get(
    '/metrics',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: 'Metric names the history endpoint knows, with units',
        response: withErrors({
          200: Type.Array(Type.Object({ name: Type.String(), unit: Type.String(), help: Type.String() })),
        }),
      },
    },
    async () =>
      metricNames.map((name) => ({ name, unit: MetricCatalog[name].unit, help: MetricCatalog[name].help })),
  );

  app.get(
    '/hosts/:id/latest',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: 'The latest snapshot: core numbers plus the last report of each area',
        params: IdParams,
        response: withErrors({ 200: LatestResponse }),
      },
    },
    async (req) => {
      const host = mustHost(req.params.id);
      const latest = store.writer.latest(host.id);
      if (!latest) throw new PantauError('NOT_FOUND', `host ${host.name} has sent no data yet`);
      const a = (area: Area) => latest.areas[area] ?? null;
      return {
        hostId: host.id,
        ts: latest.ts,
        metrics: latest.metrics,
        uptime: latest.uptime,
        cpuCores: latest.cpuCores,
        net: a('net'),
        disks: a('disks'),
        processes: a('processes'),
        ports: a('ports'),
        checks: a('checks'),
        containers: a('containers'),
        system: a('system'),
        errors: a('errors'),
      } as never;
    },
  );

  app.get(
    '/hosts/:id/history',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: 'One metric over a time range, from raw data or a rollup tier, at most maxPoints buckets',
        params: IdParams,
        querystring: Type.Object(
          {
            metric: Type.Union(
              metricNames.map((n) => Type.Literal(n)),
              { description: 'see GET /api/v1/metrics' },
            ),
            ...RANGE_QUERY,
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: MetricHistory,
        }),
      },
    },
    async (req) => {
      const host = mustHost(req.params.id);
      const to = req.query.to ?? ctx.time.now();
      const from = req.query.from ?? to - 3_600_000;
      if (from >= to) throw new PantauError('VALIDATION_FAILED', 'querystring.from must be before to');
      const series = await store.metricHistory.read({
        hostId: host.id,
        metric: req.query.metric as MetricName,
        from,
        to,
        maxPoints: req.query.maxPoints ?? 500,
      });
      return { hostId: host.id, from, to, ...series };
    },
  );

  const areaRoute = (path: string, area: Area, schema: TSchema, summary: string, empty: [] | null = []) =>
    app.get(
      `/hosts/:id/${path}`,
      {
        config: { permission: 'hosts.read' },
        schema: { tags, summary, params: IdParams, response: withErrors({ 200: AreaResponse(schema) }) },
      },
      async (req) => {
        const host = mustHost(req.params.id);
        const state = store.writer.latest(host.id)?.areas[area];
        return { hostId: host.id, ts: state?.ts ?? null, data: (state?.data ?? empty) as never };
      },
    );
  areaRoute('processes', 'processes', Processes, 'Process count and top processes by CPU and memory', null);
  areaRoute('ports', 'ports', Type.Array(Port), 'Listening ports');
  areaRoute('checks', 'checks', Type.Array(CheckResult), 'Latest service check results');
  areaRoute('containers', 'containers', Type.Array(Container), 'Containers');
  areaRoute('disks', 'disks', Type.Array(Disk), 'Mounted filesystems');

  app.get(
    '/hosts/:id/checks/history',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: 'Check outcome changes (ok ↔ failing) over a time range',
        params: IdParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.Integer({ minimum: 0 })),
            to: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Array(CheckChange),
        }),
      },
    },
    async (req) => {
      const host = mustHost(req.params.id);
      const to = req.query.to ?? ctx.time.now();
      const from = req.query.from ?? to - 86_400_000;
      return store.history.checkChanges(host.id, from, to);
    },
  );

  app.get(
    '/hosts/:id/containers/history',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: "One container's CPU (% of one core, as docker stats) and memory over a time range",
        params: IdParams,
        querystring: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 256, description: 'container name' }),
            ...RANGE_QUERY,
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: ContainerHistory,
        }),
      },
    },
    async (req) => {
      const host = mustHost(req.params.id);
      const to = req.query.to ?? ctx.time.now();
      const from = req.query.from ?? to - 3_600_000;
      return store.containers.series(host.id, req.query.name, from, to, req.query.maxPoints ?? 500);
    },
  );
}
