import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import type { Host } from '../../store/hosts.ts';
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
  const { store, gateway, events } = ctx;
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
  const mustGet = (id: number) => {
    const host = store.hosts.get(id);
    if (!host) throw new PantauError('NOT_FOUND', `no host with id ${id}`);
    return host;
  };
  const install = (token: string) => {
    const url = `${ctx.publicUrl().replace(/^http/, 'ws')}/agent`;
    return `sudo PANTAU_COLLECTOR_URL='${url}' PANTAU_TOKEN='${token}' pantau-agent install-service`;
  };

  app.get(
    '/hosts',
    {
      config: { role: 'viewer' },
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
      config: { role: 'viewer' },
      schema: { tags, summary: 'One host', params: IdParams, response: withErrors({ 200: HostDetail }) },
    },
    async (req) => detail(mustGet(req.params.id)),
  );

  app.post(
    '/hosts',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Add a host; the agent token is in this answer only',
        body: Type.Object({ name: HostName, labels: Type.Optional(Labels) }, { additionalProperties: false }),
        response: withErrors({ 201: AgentTokenResponse }),
      },
    },
    async (req, reply) => {
      if (store.hosts.getByName(req.body.name)) {
        throw new PantauError('CONFLICT', `a host named ${req.body.name} exists already`);
      }
      const { host, token } = store.hosts.add(req.body.name, req.body.labels ?? {});
      store.audit.record(req.principal!.actor, 'host.add', `host:${host.id}`, { name: host.name });
      events.emit('host.added', { hostId: host.id, name: host.name, labels: host.labels, at: Date.now() });
      return reply.code(201).send({ host: detail(host), token, install: install(token) });
    },
  );

  app.post(
    '/hosts/:id/token',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: "Rotate the host's agent token; the old one stops working and its connection is closed",
        params: IdParams,
        response: withErrors({ 200: AgentTokenResponse }),
      },
    },
    async (req) => {
      const host = mustGet(req.params.id);
      const token = store.hosts.rotateToken(host.id);
      store.audit.record(req.principal!.actor, 'host.token.rotate', `host:${host.id}`);
      gateway.disconnectHost(host.id, 'revoked');
      return { host: detail(mustGet(host.id)), token, install: install(token) };
    },
  );

  app.delete(
    '/hosts/:id/token',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: "Revoke the host's agent token without a replacement",
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const host = mustGet(req.params.id);
      store.hosts.revokeToken(host.id);
      store.audit.record(req.principal!.actor, 'host.token.revoke', `host:${host.id}`);
      gateway.disconnectHost(host.id, 'revoked');
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/hosts/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: "Replace a host's labels",
        params: IdParams,
        body: Type.Object({ labels: Labels }, { additionalProperties: false }),
        response: withErrors({ 200: HostDetail }),
      },
    },
    async (req) => {
      const host = mustGet(req.params.id);
      store.hosts.setLabels(host.id, req.body.labels);
      events.emit('host.labels', {
        hostId: host.id,
        name: host.name,
        labels: req.body.labels,
        at: Date.now(),
      });
      store.audit.record(req.principal!.actor, 'host.labels', `host:${host.id}`, { labels: req.body.labels });
      return detail(mustGet(host.id));
    },
  );

  app.delete(
    '/hosts/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Delete a host and all its data; its agent is disconnected',
        params: IdParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const host = mustGet(req.params.id);
      gateway.disconnectHost(host.id, 'deleted');
      gateway.ingestQueue.flush();
      store.hosts.delete(host.id);
      store.writer.forget(host.id);
      store.audit.record(req.principal!.actor, 'host.delete', `host:${host.id}`, { name: host.name });
      events.emit('host.removed', { hostId: host.id, name: host.name, at: Date.now() });
      return reply.code(204).send(null);
    },
  );
}

function splitLabel(text: string): [string, string] {
  const i = text.indexOf('=');
  return [text.slice(0, i), text.slice(i + 1)];
}
