import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullSnapshot } from '../../../../test/fixtures/samples.ts';
import { RawAgent } from '../../../../test/support/agent-client.ts';
import { openProblem } from '../../../../test/support/incidents.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { type Actor, SYSTEM_ACTOR } from '../access/actor.ts';
import { type Permission, type Role, roleFor } from '../access/roles.ts';
import type { UserStatus } from '../access/user-repo.ts';
import { RecipientRepo } from '../notify/recipient-repo.ts';

let t: TestApp;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  // Every 'none' case is a failed authentication; keep them under the 429 limit.
  // An install dir with one fake build, so the download route answers 200 whatever was built here.
  const installDir = mkdtempSync(join(tmpdir(), 'pantau-roles-install-'));
  writeFileSync(join(installDir, 'pantau-agent-linux-x64'), 'not really an executable');
  writeFileSync(join(installDir, 'pantau-agent-linux-x64.gz'), 'not really gzip');
  t = await startTestApp({
    api: { authFailuresPerMinute: 10_000 },
    enrollment: { failuresPerMinute: 10_000 },
    install: { dir: installDir },
    jobs: { fourEyes: true },
  });
  // Tokens of users: four-eyes approval needs a person behind the token.
  for (const role of ['viewer', 'operator', 'admin'] as const)
    tokens[role] = t.user(`${role}-user`, role).token;
  // One online host whose agent allows uptime and reboot; it never answers, so runs stay running.
  const target = t.addHost('role-agent');
  agentHost = target.id;
  agent = await RawAgent.connect(t.wsUrl, target.token);
  await agent.hello({
    actions: [
      { name: 'uptime', dangerous: false, params: [] },
      { name: 'reboot', dangerous: true, params: [] },
    ],
  });
});
afterAll(async () => {
  agent.close();
  await t.close();
});

let agent: RawAgent;
let agentHost = 0;
/** The actor behind one of the role tokens, as the API builds it. */
const actorFor = (role: Role): Actor => {
  const found = t.app.pantau.access.auth.secret(tokens[role]!);
  if (!found.ok) throw new Error(found.reason);
  return found.actor;
};
const otherAdmin: Actor = { userId: null, id: 'config', name: 'config', role: 'admin', surface: 'api' };
const job = (by: Actor, activity = 'uptime') =>
  t.app.pantau.jobs.service.create(by, { activity, targets: { hosts: [agentHost] } }).id;
const endedJob = () => {
  const id = job(otherAdmin, 'reboot');
  t.app.pantau.jobs.service.cancel(otherAdmin, id);
  return id;
};
const activity = () =>
  t.app.pantau.jobs.activities.create(otherAdmin, {
    name: `act-${++n}`,
    description: '',
    action: 'uptime',
    fixed: {},
    params: [],
    dangerous: false,
    minRole: 'operator',
  }).id;

interface Case {
  route: string;
  need: Role | 'public';
  /** What the route's hook asks when its command asks more for some targets (default: need). */
  hook?: Role;
  ok: number;
  /** Builds the request against fresh objects, so allowed calls succeed for every role. */
  make(): { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; body?: unknown };
}

let n = 0;
const host = () => {
  const { id } = t.addHost(`role-${++n}`);
  t.app.pantau.store.writer.write([{ hostId: id, snapshot: fullSnapshot(1), receivedAt: Date.now() }]);
  return id;
};
const user = (status: UserStatus = 'active') => {
  const { repos } = t.app.pantau.access;
  const { id } = repos.users.insert({
    name: `user-${++n}`,
    email: null,
    role: 'viewer',
    status: status === 'pending' ? 'pending' : 'active',
    telegramId: null,
    telegramChatId: null,
    approvedBy: status === 'pending' ? null : 'test',
    now: Date.now(),
  });
  if (status === 'disabled') repos.users.setStatus(id, 'disabled', Date.now());
  return id;
};
const apiToken = () => t.app.pantau.access.repos.tokens.create(`tok-${++n}`, 'viewer', null).token.id;
const incident = () => openProblem(t.app, host()).id;
const enrollmentId = () => t.app.pantau.fleet.enrollment.create(SYSTEM_ACTOR, {}).enrollment.id;
const silence = () =>
  t.app.pantau.alerting.monitor.silences.create(
    {
      kind: 'silence',
      hostId: host(),
      startsAt: Date.now(),
      endsAt: Date.now() + 60_000,
      createdBy: 'test',
    },
    Date.now(),
  ).id;
const enrollmentCode = () => t.app.pantau.fleet.enrollment.create(SYSTEM_ACTOR, {}).code;
const rule = () => {
  const id = `rule-${++n}`;
  t.app.pantau.monitor.rules.save(SYSTEM_ACTOR, { id, metric: 'cpu', above: 99 });
  return id;
};
// Webhook recipients on a closed local port: test messages are queued, their delivery fails quietly.
const recipient = () =>
  new RecipientRepo(t.app.pantau.store.db).upsert({
    name: `r-${++n}`,
    channel: 'webhook',
    address: `http://127.0.0.1:9/hook-${n}`,
  }).id;
const notification = () =>
  t.app.pantau.alerting.outbox.enqueue({
    channel: 'webhook',
    payload: { url: 'http://127.0.0.1:9/none', secret: null, body: '{}' },
  });

const cases: Case[] = [
  { route: 'GET /healthz', need: 'public', ok: 200, make: () => ({ method: 'GET', url: '/healthz' }) },
  { route: 'GET /readyz', need: 'public', ok: 200, make: () => ({ method: 'GET', url: '/readyz' }) },
  {
    route: 'GET /api/v1/openapi.json',
    need: 'public',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/openapi.json' }),
  },
  { route: 'GET /metrics', need: 'viewer', ok: 200, make: () => ({ method: 'GET', url: '/metrics' }) },
  {
    route: 'GET /api/v1/auth/whoami',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/auth/whoami' }),
  },
  {
    route: 'GET /api/v1/metrics',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/metrics' }),
  },
  {
    route: 'GET /api/v1/hosts',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/hosts' }),
  },
  {
    route: 'GET /api/v1/hosts/:id',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/hosts/${host()}` }),
  },
  ...['latest', 'processes', 'ports', 'checks', 'containers', 'disks', 'checks/history'].map(
    (p): Case => ({
      route: `GET /api/v1/hosts/:id/${p}`,
      need: 'viewer',
      ok: 200,
      make: () => ({ method: 'GET', url: `/api/v1/hosts/${host()}/${p}` }),
    }),
  ),
  {
    route: 'GET /api/v1/hosts/:id/containers/history',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/hosts/${host()}/containers/history?name=redis` }),
  },
  {
    route: 'GET /api/v1/hosts/:id/history',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/hosts/${host()}/history?metric=cpu` }),
  },
  {
    route: 'PATCH /api/v1/hosts/:id',
    need: 'operator',
    ok: 200,
    make: () => ({ method: 'PATCH', url: `/api/v1/hosts/${host()}`, body: { labels: { env: 'prod' } } }),
  },
  {
    route: 'POST /api/v1/hosts',
    need: 'admin',
    ok: 201,
    make: () => ({ method: 'POST', url: '/api/v1/hosts', body: { name: `new-${++n}` } }),
  },
  {
    route: 'POST /api/v1/hosts/:id/token',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/hosts/${host()}/token` }),
  },
  {
    route: 'DELETE /api/v1/hosts/:id/token',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/hosts/${host()}/token` }),
  },
  {
    route: 'DELETE /api/v1/hosts/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/hosts/${host()}` }),
  },
  {
    route: 'GET /api/v1/users',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/users' }),
  },
  {
    route: 'POST /api/v1/users',
    need: 'admin',
    ok: 201,
    make: () => ({ method: 'POST', url: '/api/v1/users', body: { name: `u-${++n}`, role: 'viewer' } }),
  },
  {
    route: 'PATCH /api/v1/users/:id',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'PATCH', url: `/api/v1/users/${user()}`, body: { role: 'operator' } }),
  },
  {
    route: 'GET /api/v1/users/:id',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/users/${user()}` }),
  },
  {
    route: 'POST /api/v1/users/:id/approve',
    need: 'admin',
    ok: 200,
    make: () => ({
      method: 'POST',
      url: `/api/v1/users/${user('pending')}/approve`,
      body: { role: 'viewer' },
    }),
  },
  {
    route: 'POST /api/v1/users/:id/reject',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/users/${user('pending')}/reject` }),
  },
  {
    route: 'POST /api/v1/users/:id/disable',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/users/${user()}/disable` }),
  },
  {
    route: 'POST /api/v1/users/:id/enable',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/users/${user('disabled')}/enable` }),
  },
  {
    // Anybody may set their own; another user's needs users.manage (the command checks).
    route: 'PUT /api/v1/users/:id/password',
    need: 'admin',
    hook: 'viewer',
    ok: 204,
    make: () => ({
      method: 'PUT',
      url: `/api/v1/users/${user()}/password`,
      body: { password: 'correct horse battery' },
    }),
  },
  {
    route: 'DELETE /api/v1/users/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/users/${user()}` }),
  },
  {
    route: 'GET /api/v1/tokens',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/tokens' }),
  },
  {
    route: 'POST /api/v1/tokens',
    need: 'admin',
    ok: 201,
    make: () => ({ method: 'POST', url: '/api/v1/tokens', body: { name: 'ci', role: 'viewer' } }),
  },
  {
    route: 'DELETE /api/v1/tokens/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/tokens/${apiToken()}` }),
  },
  {
    route: 'GET /api/v1/incidents',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/incidents?status=active' }),
  },
  {
    route: 'GET /api/v1/incidents/:id',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/incidents/${incident()}` }),
  },
  {
    route: 'POST /api/v1/incidents/:id/ack',
    need: 'operator',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/incidents/${incident()}/ack` }),
  },
  {
    route: 'POST /api/v1/incidents/:id/resolve',
    need: 'operator',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/incidents/${incident()}/resolve` }),
  },
  {
    route: 'GET /api/v1/silences',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/silences' }),
  },
  {
    route: 'POST /api/v1/silences',
    need: 'operator',
    ok: 201,
    make: () => ({ method: 'POST', url: '/api/v1/silences', body: { hostId: host(), duration: '1h' } }),
  },
  {
    route: 'POST /api/v1/maintenance',
    need: 'operator',
    ok: 201,
    make: () => ({
      method: 'POST',
      url: '/api/v1/maintenance',
      body: {
        label: 'env=prod',
        startsAt: Date.now() + 60_000,
        endsAt: Date.now() + 120_000,
        reason: 'upgrade',
      },
    }),
  },
  {
    route: 'DELETE /api/v1/silences/:id',
    need: 'operator',
    ok: 200,
    make: () => ({ method: 'DELETE', url: `/api/v1/silences/${silence()}` }),
  },
  {
    route: 'GET /api/v1/activities',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/activities' }),
  },
  {
    route: 'GET /api/v1/agent-actions',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/agent-actions' }),
  },
  {
    route: 'POST /api/v1/activities',
    need: 'admin',
    ok: 201,
    make: () => ({
      method: 'POST',
      url: '/api/v1/activities',
      body: { name: `new-${++n}`, action: 'uptime' },
    }),
  },
  {
    route: 'PUT /api/v1/activities/:id',
    need: 'admin',
    ok: 200,
    make: () => {
      const id = activity();
      return { method: 'PUT', url: `/api/v1/activities/${id}`, body: { name: id, action: 'disk-usage' } };
    },
  },
  {
    route: 'DELETE /api/v1/activities/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/activities/${activity()}` }),
  },
  {
    route: 'POST /api/v1/jobs/preview',
    need: 'operator',
    ok: 200,
    make: () => ({
      method: 'POST',
      url: '/api/v1/jobs/preview',
      body: { activity: 'uptime', targets: { hosts: [agentHost] } },
    }),
  },
  {
    route: 'POST /api/v1/jobs',
    need: 'operator',
    ok: 201,
    make: () => ({
      method: 'POST',
      url: '/api/v1/jobs',
      body: { activity: 'uptime', targets: { all: true } },
    }),
  },
  {
    route: 'GET /api/v1/jobs',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/jobs' }),
  },
  {
    route: 'GET /api/v1/jobs/:id',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/jobs/${job(otherAdmin)}` }),
  },
  {
    route: 'POST /api/v1/jobs/:id/confirm',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/jobs/${job(actorFor('admin'), 'reboot')}/confirm` }),
  },
  {
    route: 'POST /api/v1/jobs/:id/approve',
    need: 'admin',
    ok: 200,
    make: () => {
      const id = job(otherAdmin, 'reboot');
      t.app.pantau.jobs.service.confirm(otherAdmin, id);
      return { method: 'POST', url: `/api/v1/jobs/${id}/approve` };
    },
  },
  {
    route: 'POST /api/v1/jobs/:id/cancel',
    need: 'operator',
    ok: 200,
    make: () => ({ method: 'POST', url: `/api/v1/jobs/${job(actorFor('operator'))}/cancel` }),
  },
  {
    route: 'POST /api/v1/jobs/:id/runs/:hostId/cancel',
    need: 'operator',
    ok: 200,
    make: () => ({
      method: 'POST',
      url: `/api/v1/jobs/${job(actorFor('operator'))}/runs/${agentHost}/cancel`,
    }),
  },
  {
    route: 'GET /api/v1/jobs/:id/runs/:hostId/output',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/jobs/${job(otherAdmin)}/runs/${agentHost}/output` }),
  },
  {
    route: 'GET /api/v1/jobs/:id/events',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/jobs/${endedJob()}/events` }),
  },
  {
    route: 'GET /api/v1/jobs/:id/export',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/jobs/${endedJob()}/export?format=csv` }),
  },
  {
    route: 'GET /api/v1/jobs/export',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/jobs/export?from=0&format=json' }),
  },
  {
    route: 'GET /api/v1/rules',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/rules' }),
  },
  {
    route: 'PUT /api/v1/rules/:id',
    need: 'admin',
    ok: 201,
    make: () => ({
      method: 'PUT',
      url: `/api/v1/rules/new-rule-${++n}`,
      body: { metric: 'disk', above: 95 },
    }),
  },
  {
    route: 'DELETE /api/v1/rules/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/rules/${rule()}` }),
  },
  {
    route: 'GET /api/v1/recipients',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/recipients' }),
  },
  {
    route: 'POST /api/v1/recipients',
    need: 'admin',
    ok: 201,
    make: () => ({
      method: 'POST',
      url: '/api/v1/recipients',
      body: { channel: 'email', name: 'ops', address: `ops-${++n}@example.com` },
    }),
  },
  {
    route: 'PATCH /api/v1/recipients/:id',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'PATCH', url: `/api/v1/recipients/${recipient()}`, body: { enabled: false } }),
  },
  {
    route: 'DELETE /api/v1/recipients/:id',
    need: 'admin',
    ok: 204,
    make: () => ({ method: 'DELETE', url: `/api/v1/recipients/${recipient()}` }),
  },
  {
    route: 'POST /api/v1/recipients/:id/test',
    need: 'admin',
    ok: 202,
    make: () => ({ method: 'POST', url: `/api/v1/recipients/${recipient()}/test` }),
  },
  {
    route: 'GET /api/v1/notifications',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/notifications' }),
  },
  {
    route: 'GET /api/v1/notifications/:id',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: `/api/v1/notifications/${notification()}` }),
  },
  {
    route: 'GET /api/v1/audit',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/audit' }),
  },
  // The console's sign-in: a wrong password is the same 401 for everybody.
  {
    route: 'POST /api/v1/session',
    need: 'public',
    ok: 401,
    make: () => ({
      method: 'POST',
      url: '/api/v1/session',
      body: { name: 'nobody', password: 'wrong password' },
    }),
  },
  {
    route: 'GET /api/v1/session',
    need: 'viewer',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/session' }),
  },
  {
    route: 'DELETE /api/v1/session',
    need: 'viewer',
    ok: 204,
    make: () => ({ method: 'DELETE', url: '/api/v1/session' }),
  },
  // Anybody may ask for their own link; somebody else's needs an admin (the command checks).
  {
    route: 'POST /api/v1/users/:id/password-link',
    need: 'admin',
    hook: 'viewer',
    ok: 201,
    make: () => ({ method: 'POST', url: `/api/v1/users/${user()}/password-link` }),
  },
  {
    route: 'POST /api/v1/password-link',
    need: 'public',
    ok: 401,
    make: () => ({
      method: 'POST',
      url: '/api/v1/password-link',
      body: { token: 'ppl_not-a-link', password: 'long enough password' },
    }),
  },
  {
    route: 'GET /install/agent.sh',
    need: 'public',
    ok: 200,
    make: () => ({ method: 'GET', url: '/install/agent.sh' }),
  },
  {
    route: 'GET /install/pantau-agent-linux-:arch',
    need: 'public',
    ok: 200,
    make: () => ({ method: 'GET', url: '/install/pantau-agent-linux-x64' }),
  },
  {
    route: 'GET /install/pantau-agent-linux-:arch.gz',
    need: 'public',
    ok: 200,
    make: () => ({ method: 'GET', url: '/install/pantau-agent-linux-x64.gz' }),
  },
  {
    route: 'POST /api/v1/enrollments',
    need: 'admin',
    ok: 201,
    make: () => ({ method: 'POST', url: '/api/v1/enrollments', body: {} }),
  },
  {
    route: 'DELETE /api/v1/enrollments/:id',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'DELETE', url: `/api/v1/enrollments/${enrollmentId()}` }),
  },
  {
    route: 'GET /api/v1/enrollments',
    need: 'admin',
    ok: 200,
    make: () => ({ method: 'GET', url: '/api/v1/enrollments' }),
  },
  {
    route: 'POST /api/v1/enroll',
    need: 'public',
    ok: 201,
    make: () => ({
      method: 'POST',
      url: '/api/v1/enroll',
      body: { code: enrollmentCode(), name: `enrolled-${++n}` },
    }),
  },
];

const rank = { public: 0, viewer: 1, operator: 2, admin: 3 } as const;

describe('role matrix, route by route', () => {
  it('covers every API route the app registered', async () => {
    const listed = new Set(cases.map((c) => c.route));
    // Every documented route (all but the hidden /agent upgrade and the document itself).
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const registered = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((verb) => `${verb.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(registered.length).toBeGreaterThan(20);
    expect(registered.filter((r) => !listed.has(r))).toEqual([]);
  });

  it('each documented operation names its permission, and the matrix expects that permission’s role', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const declared = new Map(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([verb, op]) => {
          const permission = /Needs `([a-z.]+)`/.exec(op.description ?? '')?.[1];
          const route = `${verb.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
          return [route, permission === undefined ? 'public' : roleFor(permission as Permission)] as const;
        }),
      ),
    );
    const mismatched = cases
      // The OpenAPI document itself is hidden from the document.
      .filter((c) => declared.has(c.route) && declared.get(c.route) !== (c.hook ?? c.need))
      .map((c) => `${c.route}: matrix ${c.hook ?? c.need}, route ${declared.get(c.route)}`);
    expect(mismatched).toEqual([]);
  });

  describe.each(cases)('$route (needs $need)', (c) => {
    it.each(['none', 'viewer', 'operator', 'admin'] as const)('as %s', async (who) => {
      const { method, url, body } = c.make();
      const res = await t.app.inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: body as object }),
        headers: who === 'none' ? {} : { authorization: `Bearer ${tokens[who]}` },
      });
      const have = who === 'none' ? 0 : rank[who];
      if (have >= rank[c.need]) {
        expect(res.statusCode, res.body).toBe(c.ok);
      } else {
        expect(res.statusCode).toBe(who === 'none' ? 401 : 403);
        expect(res.json()).toEqual({
          error: { code: who === 'none' ? 'UNAUTHORIZED' : 'FORBIDDEN', message: expect.any(String) },
        });
      }
    });
  });
});
