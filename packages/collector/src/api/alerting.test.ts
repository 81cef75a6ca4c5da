import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearProblem, openProblem } from '../../../../test/support/incidents.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { until } from '../../../../test/support/until.ts';
import { CLI_ACTOR } from '../access/actor.ts';
import type { DeepPartial } from '../config/index.ts';
import type { CollectorConfig } from '../config/types.ts';
import { toNotifyEvent } from '../monitor/notices.ts';
import { SIGNATURE_HEADER } from '../notify/channels/webhook.ts';
import { renderEmail } from '../notify/message.ts';
import { RecipientRepo } from '../notify/recipient-repo.ts';

let t: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
let operatorActor: string;
let viewer: Record<string, string>;

// A webhook receiver on a real socket: every request body, with its headers.
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let hook: Server;
let hookUrl: string;

// Config as people write it (durations as text): the loader validates and resolves it.
const config = {
  api: { authFailuresPerMinute: 10_000 },
  monitor: {
    policies: { 'host-down': { repeat: '30s', backoff: 2 } },
    thresholds: [{ id: 'disk-full', metric: 'disk', above: 90, for: '1m', severity: 'critical' }],
  },
  notify: {
    recipients: [{ name: 'from config', channel: 'email', address: 'config@example.com' }],
  },
  // A configured channel, so incidents reach the config recipient (delivery itself fails here).
  smtp: { host: '127.0.0.1', port: 9 },
} as unknown as DeepPartial<CollectorConfig>;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const address = hook.address();
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  t = await startTestApp(config);
  admin = { authorization: `Bearer ${t.adminToken}` };
  const op = t.app.pantau.access.repos.tokens.create('ops', 'operator', null);
  operator = { authorization: `Bearer ${op.secret}` };
  operatorActor = `token:${op.token.id}`;
  viewer = { authorization: `Bearer ${t.token('viewer')}` };
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => hook.close(resolve));
});

const call = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  headers = admin,
  body?: object,
) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(body === undefined ? {} : { payload: body }) });

const auditActions = () => t.app.pantau.store.audit.list(Number.MAX_SAFE_INTEGER, 500).map((e) => e.action);

describe('incidents', () => {
  it('lists newest first with host names, filters by status, host and kind, and pages with before/next', async () => {
    const a = t.addHost('inc-a').id;
    const b = t.addHost('inc-b').id;
    const first = openProblem(t.app, a, { name: 'api' });
    const second = openProblem(t.app, a, { name: 'cpu-high', kind: 'threshold', severity: 'warning' });
    const third = openProblem(t.app, b, { name: 'db' });
    clearProblem(t.app, a, { name: 'api' });

    const all = (await call('GET', `/incidents?hostId=${a}`, viewer)).json();
    expect(all.items.map((i: { id: number }) => i.id)).toEqual([second.id, first.id]);
    expect(all.items[1]).toMatchObject({
      hostId: a,
      hostName: 'inc-a',
      kind: 'service_down',
      status: 'resolved',
      resolvedBy: 'auto',
      durationMs: expect.any(Number),
    });
    expect(all.items[0]).toMatchObject({ status: 'open', durationMs: null, notified: 1, suppressed: 0 });

    const active = (await call('GET', `/incidents?status=active&hostId=${a}`, viewer)).json();
    expect(active.items.map((i: { id: number }) => i.id)).toEqual([second.id]);
    const resolved = (await call('GET', `/incidents?status=resolved&hostId=${a}`, viewer)).json();
    expect(resolved.items.map((i: { id: number }) => i.id)).toEqual([first.id]);
    const thresholds = (await call('GET', '/incidents?kind=threshold', viewer)).json();
    expect(thresholds.items.map((i: { id: number }) => i.id)).toContain(second.id);
    expect(thresholds.items.every((i: { kind: string }) => i.kind === 'threshold')).toBe(true);

    const seen: number[] = [];
    let url = '/incidents?limit=1';
    for (;;) {
      const page = (await call('GET', url, viewer)).json();
      seen.push(...page.items.map((i: { id: number }) => i.id));
      if (page.next === null) break;
      url = `/incidents?limit=1&before=${page.next}`;
    }
    expect(seen.slice(0, 3)).toEqual([third.id, second.id, first.id]);
    expect(seen).toEqual([...seen].sort((x, y) => y - x));
  });

  it('acknowledges once (idempotent), resolves by hand, refuses a resolved one, and audits both', async () => {
    const host = t.addHost('inc-ack').id;
    const incident = openProblem(t.app, host);
    const ack = await call('POST', `/incidents/${incident.id}/ack`, operator);
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: operatorActor,
      nextNotifyAt: null,
    });
    const again = await call('POST', `/incidents/${incident.id}/ack`, operator);
    expect(again.statusCode).toBe(200);
    expect(again.json().acknowledgedAt).toBe(ack.json().acknowledgedAt);

    const resolved = await call('POST', `/incidents/${incident.id}/resolve`, operator);
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: operatorActor });
    expect(resolved.json().durationMs).toBeGreaterThanOrEqual(0);
    for (const action of ['ack', 'resolve']) {
      const late = await call('POST', `/incidents/${incident.id}/${action}`, operator);
      expect(late.statusCode).toBe(409);
      expect(late.json()).toEqual({
        error: { code: 'CONFLICT', message: expect.stringMatching(/resolved/) },
      });
    }

    const detail = (await call('GET', `/incidents/${incident.id}`, viewer)).json();
    expect(detail.events.map((e: { type: string }) => e.type)).toEqual([
      'opened',
      'acknowledged',
      'notified:acknowledged',
      'resolved',
      'notified:recovered',
    ]);
    expect(detail.events[1]).toMatchObject({ actor: operatorActor });
    const audit = t.app.pantau.store.audit
      .list(Number.MAX_SAFE_INTEGER, 500)
      .filter((e) => e.target === `incident:${incident.id}`);
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['incident.resolve', operatorActor],
      ['incident.ack', operatorActor],
    ]);
  });

  it('names the person who acknowledged, resolved or silenced, keeping the ids beside', async () => {
    const ann = await t.app.pantau.access.users.create(CLI_ACTOR, { name: 'Ann Admin', role: 'admin' });
    const { secret } = t.app.pantau.access.repos.tokens.create('ann-cli', 'admin', ann.id);
    const asAnn = { authorization: `Bearer ${secret}` };
    const host = t.addHost('inc-names').id;
    const incident = openProblem(t.app, host);
    const ack = (await call('POST', `/incidents/${incident.id}/ack`, asAnn)).json();
    expect(ack).toMatchObject({ acknowledgedBy: `user:${ann.id}`, acknowledgedByName: 'Ann Admin' });
    const silence = (await call('POST', '/silences', asAnn, { hostId: host, duration: '1h' })).json();
    expect(silence).toMatchObject({ createdBy: `user:${ann.id}`, createdByName: 'Ann Admin' });
    const resolved = (await call('POST', `/incidents/${incident.id}/resolve`, asAnn)).json();
    expect(resolved).toMatchObject({ resolvedBy: `user:${ann.id}`, resolvedByName: 'Ann Admin' });
    const detail = (await call('GET', `/incidents/${incident.id}`, viewer)).json();
    expect(detail.events.find((e: { type: string }) => e.type === 'acknowledged')).toMatchObject({
      actor: `user:${ann.id}`,
      actorName: 'Ann Admin',
    });
    const said = t.app.pantau.alerting.outbox
      .messages({ limit: 500 })
      .filter((m) => m.incidentId === incident.id && m.eventType === 'acknowledged')
      .map((m) => JSON.stringify(m.payload));
    expect(said.length).toBeGreaterThan(0);
    for (const payload of said) {
      expect(payload).toContain('Acknowledged by Ann Admin');
      expect(payload).not.toContain(`by user:${ann.id}`);
    }
    await call('DELETE', `/silences/${silence.id}`, asAnn);
  });

  it('answers unknown ids with 404 and bad filters with 400', async () => {
    for (const url of ['/incidents/999999', '/incidents/999999/ack', '/incidents/999999/resolve']) {
      const res = await call(url.endsWith('999999') ? 'GET' : 'POST', url, operator);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    for (const [query, field] of [
      ['status=closed', /querystring\.status/],
      ['kind=fire', /querystring\.kind/],
      ['limit=0', /querystring\.limit/],
      ['hostId=abc', /querystring\.hostId/],
    ] as const) {
      const res = await call('GET', `/incidents?${query}`, viewer);
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toEqual({
        error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(field) },
      });
    }
  });
});

describe('silences and maintenance', () => {
  it('a label silence follows a label edited after the host was first seen', async () => {
    const host = t.addHost('relabel-1').id;
    openProblem(t.app, host, { name: 'before' }); // the monitor now knows the host, without labels
    expect((await call('PATCH', `/hosts/${host}`, operator, { labels: { team: 'night' } })).statusCode).toBe(
      200,
    );
    const silence = await call('POST', '/silences', operator, { label: 'team=night', duration: '1h' });
    expect(silence.statusCode).toBe(201);
    const incident = openProblem(t.app, host, { name: 'after' });
    expect(t.app.pantau.alerting.monitor.incidents.get(incident.id)).toMatchObject({
      notified: 0,
      suppressed: 1,
    });
    await call('DELETE', `/silences/${silence.json().id}`, operator);
  });

  it('a silence holds notifications back, the timeline and the silence show it, and ending it lets them through', async () => {
    const host = t.addHost('sil-1', { env: 'prod' }).id;
    const created = await call('POST', '/silences', operator, {
      hostId: host,
      duration: '1h',
      reason: 'deploy',
    });
    expect(created.statusCode).toBe(201);
    const silence = created.json();
    expect(silence).toMatchObject({
      kind: 'silence',
      hostId: host,
      active: true,
      reason: 'deploy',
      createdBy: operatorActor,
      suppressed: 0,
    });
    expect(silence.endsAt - silence.startsAt).toBe(3_600_000);

    const incident = openProblem(t.app, host);
    const detail = (await call('GET', `/incidents/${incident.id}`, viewer)).json();
    expect(detail).toMatchObject({ notified: 0, suppressed: 1 });
    expect(detail.events).toContainEqual(
      expect.objectContaining({ type: 'suppressed', detail: `opened held back by silence #${silence.id}` }),
    );
    const listed = (await call('GET', '/silences', viewer)).json().items;
    expect(listed.find((s: { id: number }) => s.id === silence.id)).toMatchObject({ suppressed: 1 });

    const ended = await call('DELETE', `/silences/${silence.id}`, operator);
    expect(ended.statusCode).toBe(200);
    expect(ended.json().active).toBe(false);
    expect(
      (await call('GET', '/silences', viewer)).json().items.map((s: { id: number }) => s.id),
    ).not.toContain(silence.id);
    expect((await call('DELETE', `/silences/${silence.id}`, operator)).statusCode).toBe(409);
    expect((await call('DELETE', '/silences/999999', operator)).statusCode).toBe(404);
    expect(auditActions()).toEqual(expect.arrayContaining(['silence.create', 'silence.end']));
  });

  it('takes labels as "k=v" or {key, value}, an end time, and lists by kind', async () => {
    const until = Date.now() + 600_000;
    const a = (await call('POST', '/silences', operator, { label: 'env=prod', until })).json();
    const b = (
      await call('POST', '/silences', operator, {
        label: { key: 'role', value: 'db=primary' },
        duration: '5m',
      })
    ).json();
    expect(a).toMatchObject({ label: { key: 'env', value: 'prod' }, endsAt: until });
    expect(b.label).toEqual({ key: 'role', value: 'db=primary' });
    const rule = (await call('POST', '/silences', operator, { ruleId: 'disk-full', duration: '1m' })).json();
    expect(rule.ruleId).toBe('disk-full');
    const everything = await call('POST', '/silences', operator, { all: true, duration: '1m' });
    expect(everything.statusCode).toBe(201);

    const silences = (await call('GET', '/silences?kind=silence', viewer)).json().items;
    expect(silences.map((s: { id: number }) => s.id)).toEqual(expect.arrayContaining([a.id, b.id, rule.id]));
    expect(silences.every((s: { kind: string }) => s.kind === 'silence')).toBe(true);
    for (const s of [a, b, rule, everything.json()]) await call('DELETE', `/silences/${s.id}`, operator);
  });

  it('takes a host by name (stored as its id) or a name glob that covers hosts added later, and says what is wrong', async () => {
    const named = t.addHost('glob-web-1').id;
    const byName = await call('POST', '/silences', operator, { host: 'glob-web-1', duration: '1h' });
    expect(byName.statusCode).toBe(201);
    expect(byName.json()).toMatchObject({ hostId: named, host: null });
    const glob = await call('POST', '/silences', operator, { host: 'glob-db-*', duration: '1h' });
    expect(glob.json()).toMatchObject({ hostId: null, host: 'glob-db-*' });
    // A host added after the silence is muted by the glob.
    const later = t.addHost('glob-db-7').id;
    const incident = openProblem(t.app, later);
    expect(t.app.pantau.alerting.monitor.incidents.get(incident.id)).toMatchObject({
      notified: 0,
      suppressed: 1,
    });

    const refused = async (body: Record<string, unknown>) => {
      const res = await call('POST', '/silences', operator, { duration: '1h', ...body });
      return [res.statusCode, res.json().error.message as string] as const;
    };
    expect(await refused({ host: 'nobody-here' })).toEqual([404, 'body.host: no host named nobody-here']);
    expect((await refused({ host: 'web 1' }))[1]).toContain('body.host must be a host name or a glob');
    expect(await refused({ host: 'glob-web-1', hostId: named })).toEqual([
      400,
      'give body.host or body.hostId, not both',
    ]);
    expect((await refused({ host: 'glob-web-1', all: true }))[1]).toContain('body.all cannot be combined');
    for (const s of [byName.json(), glob.json()]) await call('DELETE', `/silences/${s.id}`, operator);
  });

  it('a scheduled maintenance window is listed before it starts and holds back what it matches while on', async () => {
    const host = t.addHost('mnt-1', { rack: 'r7' }).id;
    const startsAt = Date.now() + 3_600_000;
    const later = await call('POST', '/maintenance', operator, {
      label: 'rack=r7',
      startsAt,
      endsAt: startsAt + 7_200_000,
      reason: 'kernel upgrade',
    });
    expect(later.statusCode).toBe(201);
    expect(later.json()).toMatchObject({
      kind: 'maintenance',
      active: false,
      startsAt,
      reason: 'kernel upgrade',
    });
    const maintenance = (await call('GET', '/silences?kind=maintenance', viewer)).json().items;
    expect(maintenance.map((s: { id: number }) => s.id)).toContain(later.json().id);

    // Not yet on: the incident is notified as usual.
    const before = openProblem(t.app, host, { name: 'early' });
    expect(t.app.pantau.alerting.monitor.incidents.get(before.id)).toMatchObject({ suppressed: 0 });

    const now = await call('POST', '/maintenance', operator, {
      hostId: host,
      startsAt: Date.now() - 1_000,
      endsAt: Date.now() + 60_000,
      reason: 'reboot',
    });
    const during = openProblem(t.app, host, { name: 'during' });
    expect(t.app.pantau.alerting.monitor.incidents.get(during.id)).toMatchObject({
      notified: 0,
      suppressed: 1,
    });
    const events = (await call('GET', `/incidents/${during.id}`, viewer)).json().events;
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'suppressed',
        detail: `opened held back by maintenance #${now.json().id}`,
      }),
    );
    const cancelled = await call('DELETE', `/silences/${later.json().id}`, operator);
    expect(cancelled.statusCode).toBe(200);
    await call('DELETE', `/silences/${now.json().id}`, operator);
    expect(auditActions()).toEqual(expect.arrayContaining(['maintenance.create', 'maintenance.end']));
  });

  it.each([
    ['/silences', { hostId: 1 }, /duration.*until/],
    ['/silences', { hostId: 1, duration: '1h', until: Date.now() + 1000 }, /exactly one/],
    ['/silences', { hostId: 1, duration: 'soon' }, /body\.duration/],
    ['/silences', { hostId: 1, until: 1_000 }, /body\.until/],
    ['/silences', { label: 'nolabel', duration: '1h' }, /body\.label/],
    ['/silences', { duration: '1h' }, /matcher.*all: true/],
    ['/silences', { all: true, hostId: 1, duration: '1h' }, /body\.all/],
    ['/silences', { hostId: 1, duration: '1h', color: 'red' }, /unknown field "color"/],
    ['/maintenance', { all: true, startsAt: Date.now() + 10_000, endsAt: Date.now() }, /body\.reason|reason/],
    [
      '/maintenance',
      { all: true, startsAt: Date.now() + 10_000, endsAt: Date.now(), reason: 'x' },
      /body\.endsAt/,
    ],
    [
      '/maintenance',
      { all: true, startsAt: Date.now(), endsAt: Date.now() + 31 * 86_400_000, reason: 'x' },
      /30 days/,
    ],
    ['/maintenance', { all: true, startsAt: 1_000, endsAt: 2_000, reason: 'x' }, /body\.endsAt.*past/],
    ['/maintenance', { startsAt: Date.now(), endsAt: Date.now() + 60_000, reason: 'x' }, /matcher/],
    ['/maintenance', { all: true, startsAt: 'tomorrow', endsAt: 1, reason: 'x' }, /body\.startsAt/],
  ] as const)('POST %s %j → 400', async (url, body, message) => {
    const res = await call('POST', url, operator, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) },
    });
  });

  it.each([
    [{ hostId: 999999, duration: '1h' }, /body\.hostId/],
    [{ incidentId: 999999, duration: '1h' }, /body\.incidentId/],
    [{ ruleId: 'no-such-rule', duration: '1h' }, /body\.ruleId/],
  ])('POST /silences %j names nothing → 404', async (body, message) => {
    const res = await call('POST', '/silences', operator, body);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringMatching(message) } });
  });
});

describe('rules', () => {
  it('lists the built-in rules with their effective policy, config rules read-only, and API rules', async () => {
    const items = (await call('GET', '/rules', viewer)).json().items;
    const byId = new Map(items.map((r: { id: string }) => [r.id, r]));
    expect(byId.get('host-down')).toMatchObject({
      source: 'builtin',
      kind: 'host_down',
      policy: {
        repeatMs: 30_000,
        backoff: 2,
        maxRepeatMs: 1_800_000,
        flapOpenings: 3,
        flapWindowMs: 600_000,
      },
      settings: { graceMs: 5_000, silentIntervals: 3 },
    });
    expect(byId.get('service-down')).toMatchObject({
      source: 'builtin',
      policy: { repeatMs: 10_000, backoff: 1 },
      settings: { checkFailures: 2 },
    });
    expect(byId.get('disk-full')).toMatchObject({
      source: 'config',
      kind: 'threshold',
      threshold: { metric: 'disk', above: 90, forMs: 60_000 },
      definition: null,
    });
    // The config's list replaces the defaults.
    expect(byId.has('cpu-high')).toBe(false);
  });

  it('creates, replaces and deletes an API rule that the monitor then uses, and audits it', async () => {
    const body = { metric: 'cpu', above: 80, for: '2m', severity: 'warning', policy: { repeat: '1m' } };
    const created = await call('PUT', '/rules/cpu-busy', admin, body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'cpu-busy',
      source: 'api',
      threshold: { metric: 'cpu', above: 80, forMs: 120_000 },
      policy: { repeatMs: 60_000 },
      definition: { id: 'cpu-busy', ...body },
    });
    expect(t.app.pantau.alerting.monitor.rules().find((r) => r.id === 'cpu-busy')?.above).toBe(80);

    const replaced = await call('PUT', '/rules/cpu-busy', admin, { ...body, id: 'cpu-busy', above: 85 });
    expect(replaced.statusCode).toBe(200);
    expect(t.app.pantau.alerting.monitor.rules().find((r) => r.id === 'cpu-busy')?.above).toBe(85);
    const listed = (await call('GET', '/rules', viewer))
      .json()
      .items.filter((r: { id: string }) => r.id === 'cpu-busy');
    expect(listed).toEqual([
      expect.objectContaining({ source: 'api', threshold: expect.objectContaining({ above: 85 }) }),
    ]);

    expect((await call('DELETE', '/rules/cpu-busy')).statusCode).toBe(204);
    expect(t.app.pantau.alerting.monitor.rules().some((r) => r.id === 'cpu-busy')).toBe(false);
    expect((await call('DELETE', '/rules/cpu-busy')).statusCode).toBe(404);
    expect(auditActions()).toEqual(expect.arrayContaining(['rule.create', 'rule.replace', 'rule.delete']));
  });

  it('refuses to touch built-in and config rules (409) and checks the body (400)', async () => {
    for (const id of ['host-down', 'service-down', 'disk-full']) {
      const put = await call('PUT', `/rules/${id}`, admin, { metric: 'cpu', above: 1 });
      expect(put.statusCode, id).toBe(409);
      expect(put.json().error.code).toBe('CONFLICT');
      expect((await call('DELETE', `/rules/${id}`)).statusCode, id).toBe(409);
    }
    for (const [url, body, message] of [
      ['/rules/x1', { metric: 'temperature', above: 1 }, /body\.metric/],
      ['/rules/x1', { metric: 'cpu' }, /above/],
      ['/rules/x1', { metric: 'cpu', above: 1, for: 'a while' }, /body\.for/],
      ['/rules/x1', { id: 'x2', metric: 'cpu', above: 1 }, /body\.id/],
      ['/rules/x1', { metric: 'cpu', above: 1, policy: { backoff: 100 } }, /body\.policy\.backoff/],
      ['/rules/Bad%20Id', { metric: 'cpu', above: 1 }, /params\.id/],
    ] as const) {
      const res = await call('PUT', url, admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({
        error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) },
      });
    }
  });
});

describe('recipients and notifications', () => {
  it('adds a webhook recipient without ever showing its secret, changes and removes it, and audits it', async () => {
    const secret = 'a-long-random-webhook-secret';
    const created = await call('POST', '/recipients', admin, {
      channel: 'webhook',
      name: 'pager',
      address: 'https://hooks.example.com/pantau',
      secret,
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(secret);
    const r = created.json();
    expect(r).toMatchObject({
      channel: 'webhook',
      hasSecret: true,
      enabled: true,
      approved: true,
      source: 'api',
    });

    const list = await call('GET', '/recipients');
    expect(list.body).not.toContain(secret);
    expect(list.json().items.map((x: { id: number }) => x.id)).toContain(r.id);

    const dup = await call('POST', '/recipients', admin, {
      channel: 'webhook',
      name: 'again',
      address: 'https://hooks.example.com/pantau',
    });
    expect(dup.statusCode).toBe(409);

    const patched = await call('PATCH', `/recipients/${r.id}`, admin, { enabled: false, name: 'pager duty' });
    expect(patched.json()).toMatchObject({
      name: 'pager duty',
      enabled: false,
      approved: true,
      hasSecret: true,
    });
    expect((await call('DELETE', `/recipients/${r.id}`)).statusCode).toBe(204);
    expect((await call('PATCH', `/recipients/${r.id}`, admin, { enabled: true })).statusCode).toBe(404);
    expect((await call('DELETE', `/recipients/${r.id}`)).statusCode).toBe(404);
    expect(auditActions()).toEqual(
      expect.arrayContaining(['recipient.create', 'recipient.update', 'recipient.delete']),
    );
  });

  it('keeps recipients from the config read-only', async () => {
    const fromConfig = (await call('GET', '/recipients'))
      .json()
      .items.find((x: { source: string }) => x.source === 'config');
    expect(fromConfig).toMatchObject({ address: 'config@example.com', channel: 'email' });
    for (const res of [
      await call('PATCH', `/recipients/${fromConfig.id}`, admin, { enabled: false }),
      await call('DELETE', `/recipients/${fromConfig.id}`),
    ]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().error.message).toMatch(/config/);
    }
  });

  it.each([
    [{ channel: 'telegram', name: 'x', address: 'not a chat' }, /body\.address/],
    [{ channel: 'email', name: 'x', address: 'nobody' }, /body\.address/],
    [{ channel: 'webhook', name: 'x', address: 'ftp://example.com' }, /body\.address/],
    [{ channel: 'webhook', name: 'x', address: 'https://e.example/h', secret: 'short' }, /body\.secret/],
    [
      { channel: 'email', name: 'x', address: 'a@example.com', secret: 'a-long-enough-secret' },
      /body\.secret/,
    ],
    [{ channel: 'sms', name: 'x', address: '+100' }, /body\.channel/],
    [{ channel: 'email', name: '   ', address: 'a@example.com' }, /body\.name/],
    [
      { channel: 'email', name: 'ops\u202e1', address: 'a@example.com' },
      /body\.name must not hold invisible/,
    ],
    [{ channel: 'email', name: 'ops\u200b', address: 'a@example.com' }, /body\.name must not hold invisible/],
  ])('POST /recipients %j → 400', async (body, message) => {
    const res = await call('POST', '/recipients', admin, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) },
    });
  });

  it('PATCH needs at least one known field', async () => {
    for (const body of [{}, { address: 'x@example.com' }]) {
      const res = await call('PATCH', '/recipients/1', admin, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('sends a signed test message to one recipient and shows it, with its attempts, in the outbox', async () => {
    const secret = 'test-message-webhook-secret';
    const r = (
      await call('POST', '/recipients', admin, { channel: 'webhook', name: 'hook', address: hookUrl, secret })
    ).json();
    const res = await call('POST', `/recipients/${r.id}/test`);
    expect(res.statusCode).toBe(202);
    const { messageId } = res.json();

    const delivery = await until('the test message at the webhook', () =>
      received.find((x) => x.body.includes('Pantau test message')),
    );
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'text', title: 'Pantau test message' });
    const signature = createHmac('sha256', secret).update(delivery.body).digest('hex');
    expect(delivery.headers[SIGNATURE_HEADER]).toBe(`sha256=${signature}`);

    const sent = await until('the test message marked sent', () => {
      const m = t.app.pantau.alerting.outbox.message(messageId);
      return m?.status === 'sent' ? m : undefined;
    });
    expect(sent.recipientId).toBe(r.id);
    const list = (await call('GET', '/notifications?status=sent')).json().items;
    expect(list[0]).toMatchObject({
      id: messageId,
      eventType: 'test',
      status: 'sent',
      attempts: 1,
      lastError: null,
    });
    const detail = await call('GET', `/notifications/${messageId}`);
    expect(detail.body).not.toContain(secret);
    expect(detail.json()).toMatchObject({
      id: messageId,
      payload: { url: hookUrl, signed: true },
      deliveryAttempts: [{ outcome: 'sent', error: null }],
    });
    expect((await call('GET', '/notifications/999999')).statusCode).toBe(404);
    expect((await call('POST', '/recipients/999999/test')).statusCode).toBe(404);
  });

  it('refuses a test message on a channel that is not configured', async () => {
    // The API refuses such a recipient now; one saved by an older version can still exist.
    const r = new RecipientRepo(t.app.pantau.store.db).upsert({
      channel: 'telegram',
      name: 'tg',
      address: '12345',
      source: 'api',
    });
    const res = await call('POST', `/recipients/${r.id}/test`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/telegram\.token/);
    await call('DELETE', `/recipients/${r.id}`);
  });

  it('an acknowledgement through the API notifies the recipients with who acknowledged', async () => {
    const r = (
      await call('POST', '/recipients', admin, {
        channel: 'webhook',
        name: 'ack-hook',
        address: `${hookUrl}/ack`,
      })
    ).json();
    const host = t.addHost('ack-notify').id;
    const incident = openProblem(t.app, host);
    // The opening e-mail tells people how to acknowledge; that exact call must work.
    const { text } = renderEmail(
      toNotifyEvent({ type: 'opened', incident, host: undefined, at: Date.now() }, String),
    );
    const [, path] = /POST (\/api\/v1\/\S+\/ack)/.exec(text)!;
    expect(path).toBe(`/api/v1/incidents/${incident.id}/ack`);
    const ack = await t.app.inject({ method: 'POST', url: path!, headers: operator });
    expect(ack.json().status).toBe('acknowledged');
    const messages = t.app.pantau.alerting.outbox
      .messages({ limit: 500 })
      .filter((m) => m.incidentId === incident.id && m.recipientId === r.id);
    expect(messages.map((m) => m.eventType).sort()).toEqual(['acknowledged', 'opened']);
    const ackBody = JSON.parse(
      (messages.find((m) => m.eventType === 'acknowledged')!.payload as { body: string }).body,
    );
    expect(ackBody.incident.acknowledgedBy).toBe(operatorActor);
    expect(ackBody.incident.acknowledgedByName).toBe('token ops');
    await call('DELETE', `/recipients/${r.id}`);
  });
});

describe('/metrics', () => {
  it('exports the outbox depth, the oldest waiting message and open incidents by severity', async () => {
    const host = t.addHost('metrics-1').id;
    const count = (severity: string) =>
      t.app.pantau.alerting.monitor.incidents.unresolved().filter((i) => i.severity === severity).length;
    openProblem(t.app, host, { name: 'm1', severity: 'warning' });
    // Nothing listens on port 9: the message stays pending, retried with backoff.
    t.app.pantau.alerting.outbox.enqueue({
      channel: 'webhook',
      payload: { url: 'http://127.0.0.1:9/none', secret: null, body: '{}' },
    });
    await until('a pending message with an age', () => t.app.pantau.alerting.outbox.oldestAgeMs() > 0);
    const text = (await t.app.inject({ url: '/metrics', headers: viewer })).body;
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(text).toMatch(/^# TYPE pantau_notify_outbox_depth gauge$/m);
    expect(gauge('pantau_notify_outbox_depth')).toBeGreaterThanOrEqual(1);
    expect(gauge('pantau_notify_outbox_oldest_age_seconds')).toBeGreaterThan(0);
    expect(text).toContain(`pantau_incidents_open{severity="warning"} ${count('warning')}`);
    expect(text).toContain(`pantau_incidents_open{severity="critical"} ${count('critical')}`);
    expect(text).toContain('pantau_incidents_open{severity="info"} 0');
    expect(count('warning')).toBeGreaterThan(0);
  });
});
