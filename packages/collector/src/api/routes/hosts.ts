import Type from 'typebox';
import type { Host } from '../../store/hosts.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import {
  AgentTokenResponse,
  HostDetail,
  HostName,
  HostSummary,
  IdParams,
  Labels,
  PageQuery,
  page,
  withErrors,
} from '../schemas.ts';

/** Hosts: list, get, add (agent token once + install line), rotate or revoke the token, labels, delete. */
export async function hostRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { store, fleet } = ctx;
  const tags = ['hosts'];

  const summary = (h: Host) => {
    const latest = store.writer.latest(h.id);
    return {
      id: h.id,
      name: h.name,
      labels: h.labels,
      status: h.status,
      statusSince: h.statusSince,
      lastSeen: h.lastSeen,
      agentVersion: h.agentVersion,
      latest: latest && latest.ts > 0 ? { ts: latest.ts, metrics: latest.metrics } : null,
    };
  };
  const detail = (h: Host) => ({
    ...summary(h),
    createdAt: h.createdAt,
    lastSeq: store.writer.lastSeq(h.id),
    intervalMs: h.intervalMs,
    system: h.system,
    actions: h.actions.map((a) => ({ name: a.name, dangerous: a.dangerous })),
    tokenChangedAt: h.tokenChangedAt,
  });
  const install = (token: string) => ctx.installCommand({ token });

  app.get(
    '/hosts',
    {
      config: { permission: 'hosts.read' },
      schema: {
        tags,
        summary: 'List hosts with status, labels, last seen and latest core numbers',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            label: Type.Optional(
              Type.String({ pattern: '^[^=]+=.*$', description: 'filter, e.g. env=prod' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: page(HostSummary) }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const [key, value] = req.query.label ? splitLabel(req.query.label) : [null, null];
      const items: Host[] = [];
      let after = req.query.after ?? 0;
      let scanned: Host[];
      // Filtering happens after the keyset page, so read pages until one match beyond this page.
      do {
        scanned = store.hosts.list(after, limit);
        for (const h of scanned) {
          if (key === null || h.labels[key] === value) items.push(h);
          if (items.length > limit) break;
        }
        after = scanned.at(-1)?.id ?? after;
      } while (items.length <= limit && scanned.length === limit);
      const more = items.length > limit;
      const pageItems = items.slice(0, limit);
      return { items: pageItems.map(summary), next: more ? pageItems.at(-1)!.id : null };
    },
  );

  app.get(
    '/hosts/:id',
    {
      config: { permission: 'hosts.read' },
      schema: { tags, summary: 'One host', params: IdParams, response: withErrors({ 200: HostDetail }) },
    },
    async (req) => detail(fleet.hosts.get(actorOf(req), req.params.id)),
  );

  app.post(
    '/hosts',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: 'Add a host; the agent token is in this answer only',
        body: Type.Object({ name: HostName, labels: Type.Optional(Labels) }, { additionalProperties: false }),
        response: withErrors({ 201: AgentTokenResponse }),
      },
    },
    async (req, reply) => {
      const { host, token } = fleet.hosts.add(actorOf(req), req.body.name, req.body.labels ?? {});
      return reply.code(201).send({ host: detail(host), token, install: install(token) });
    },
  );

  app.post(
    '/hosts/:id/token',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: "Rotate the host's agent token; the old one stops working and its connection is closed",
        params: IdParams,
        response: withErrors({ 200: AgentTokenResponse }),
      },
    },
    async (req) => {
      const { host, token } = fleet.hosts.rotateToken(actorOf(req), req.params.id);
      return { host: detail(host), token, install: install(token) };
    },
  );

  app.delete(
    '/hosts/:id/token',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: "Revoke the host's agent token without a replacement",
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      fleet.hosts.revokeToken(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/hosts/:id',
    {
      config: { permission: 'hosts.label' },
      schema: {
        tags,
        summary: "Replace a host's labels",
        params: IdParams,
        body: Type.Object({ labels: Labels }, { additionalProperties: false }),
        response: withErrors({ 200: HostDetail }),
      },
    },
    async (req) => detail(fleet.hosts.setLabels(actorOf(req), req.params.id, req.body.labels)),
  );

  app.delete(
    '/hosts/:id',
    {
      config: { permission: 'hosts.manage' },
      schema: {
        tags,
        summary: 'Delete a host and all its data; its agent is disconnected',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      fleet.hosts.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}

function splitLabel(text: string): [string, string] {
  const i = text.indexOf('=');
  return [text.slice(0, i), text.slice(i + 1)];
}
