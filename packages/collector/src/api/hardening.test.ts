import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProblem } from '../../../../test/support/incidents.ts';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { loadConfig } from '../config/index.ts';

// Defects found by trying main as a new user and as an attacker (issue 11).
let t: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestApp();
  admin = { authorization: `Bearer ${t.adminToken}` };
});
afterAll(() => t.close());

describe('limits that are not finite numbers', () => {
  const lists = ['/hosts', '/users', '/tokens', '/audit', '/notifications', '/incidents'];
  it.each(lists.flatMap((path) => ['Infinity', '-Infinity', '1e400', 'NaN'].map((v) => [path, v] as const)))(
    'GET %s?limit=%s is a 400 naming limit',
    async (path, value) => {
      const res = await t.app.inject({ url: `/api/v1${path}?limit=${value}`, headers: admin });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/limit/),
      });
    },
  );
});

describe('content types', () => {
  it.each(['application/json; charset=utf-7', 'application/json; charset=latin1'])(
    'refuses a JSON body declared as %s with 415 and adds nothing',
    async (type) => {
      const before = (await t.app.inject({ url: '/api/v1/hosts', headers: admin })).json().items.length;
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/hosts',
        headers: { ...admin, 'content-type': type },
        payload: JSON.stringify({ name: 'utf7-host' }),
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error.message).toMatch(/utf-8/);
      expect((await t.app.inject({ url: '/api/v1/hosts', headers: admin })).json().items).toHaveLength(
        before,
      );
    },
  );

  it('still takes application/json; charset=utf-8', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/hosts',
      headers: { ...admin, 'content-type': 'application/json; charset=UTF-8' },
      payload: JSON.stringify({ name: 'utf8-host' }),
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('messages that say what to send', () => {
  it('lists the valid metric names for an unknown metric', async () => {
    const { id } = t.addHost('msg-1');
    const res = await t.app.inject({ url: `/api/v1/hosts/${id}/history?metric=memory`, headers: admin });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/querystring\.metric must be one of .*"cpu".*"memory\.used"/);
  });

  it('says a present but wrong bearer token is not valid, not missing', async () => {
    for (const authorization of [
      'Bearer short',
      'Token pat_abcdefghijkl',
      'Bearer pat_wrong-but-long-enough',
    ]) {
      const res = await t.app.inject({ url: '/api/v1/hosts', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).not.toMatch(/missing/);
      expect(res.json().error.message).toMatch(/Bearer <API token>|not valid/);
    }
    const none = await t.app.inject({ url: '/api/v1/hosts' });
    expect(none.json().error.message).toMatch(/missing Authorization/);
  });
});

describe('empty lists and cursors', () => {
  it('answers checks and containers of a host without them with empty lists', async () => {
    const { id } = t.addHost('empty-1');
    for (const area of ['checks', 'containers', 'ports', 'disks']) {
      const res = await t.app.inject({ url: `/api/v1/hosts/${id}/${area}`, headers: admin });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ hostId: id, ts: null, data: [] });
    }
  });

  it('gives no next cursor for a label filter when no further host matches', async () => {
    t.addHost('lab-a', { team: 'blue' });
    t.addHost('lab-b', { team: 'blue' });
    t.addHost('lab-c', { team: 'red' });
    const first = (
      await t.app.inject({ url: '/api/v1/hosts?label=team=blue&limit=2', headers: admin })
    ).json();
    expect(first.items.map((h: { name: string }) => h.name)).toEqual(['lab-a', 'lab-b']);
    expect(first.next).toBeNull();
    const one = (await t.app.inject({ url: '/api/v1/hosts?label=team=blue&limit=1', headers: admin })).json();
    expect(one.items.map((h: { name: string }) => h.name)).toEqual(['lab-a']);
    const rest = (
      await t.app.inject({ url: `/api/v1/hosts?label=team=blue&limit=1&after=${one.next}`, headers: admin })
    ).json();
    expect(rest.items.map((h: { name: string }) => h.name)).toEqual(['lab-b']);
    expect(rest.next).toBeNull();
  });

  it('pages through notifications with before/next', async () => {
    const { outbox } = t.app.pantau.alerting;
    for (let i = 0; i < 5; i++)
      outbox.enqueue({
        channel: 'webhook',
        recipientId: null,
        payload: { url: 'http://127.0.0.1:9/', n: i },
      } as never);
    const seen: number[] = [];
    let url = '/api/v1/notifications?limit=2';
    for (;;) {
      const page = (await t.app.inject({ url, headers: admin })).json();
      seen.push(...page.items.map((m: { id: number }) => m.id));
      if (page.next === null) break;
      url = `/api/v1/notifications?limit=2&before=${page.next}`;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });
});

describe('incidents with nobody to tell', () => {
  it('report notified 0 and say so in their events', async () => {
    const { id: hostId } = t.addHost('alone-1');
    const incident = openProblem(t.app, hostId, { name: 'alone' });
    const res = (await t.app.inject({ url: `/api/v1/incidents/${incident.id}`, headers: admin })).json();
    expect(res.notified).toBe(0);
    expect(res.events.map((e: { type: string }) => e.type)).toEqual(['opened', 'unnotified']);
  });
});

describe('Telegram recipients without a Telegram bot', () => {
  it('are refused at creation with what to configure, and nothing is added', async () => {
    const before = (await t.app.inject({ url: '/api/v1/recipients', headers: admin })).json().items.length;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/recipients',
      headers: admin,
      payload: { channel: 'telegram', name: 'ops chat', address: '-100123' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/body\.channel.*telegram\.token.*PANTAU_TELEGRAM_TOKEN/),
    });
    expect((await t.app.inject({ url: '/api/v1/recipients', headers: admin })).json().items).toHaveLength(
      before,
    );
  });

  it('in the config stop the collector from starting, naming the option', () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: {
          notify: { recipients: [{ name: 'ops', channel: 'telegram', address: '12345' }] },
        } as never,
      }),
    ).toThrow(/notify\.recipients\[0\].*telegram\.token/);
  });
});

describe('URLs the router refuses', () => {
  // DELETE: a GET this long falls through to the console's page route, which answers a short 404.
  it.each([
    [`/api/v1/hosts/${'a'.repeat(5_000)}`, 414, /path parameter .*longer than 100/],
    ['/api/v1/hosts/%E0%A4%A', 400, /malformed/],
  ])('answers a refused URL (case %#) with the error shape', async (url, status, message) => {
    const res = await t.app.inject({ method: 'DELETE', url, headers: admin });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) },
    });
    expect(res.body.length).toBeLessThan(300);
  });

  it('answers an overlong GET under /api with a short 404 that does not echo the whole path', async () => {
    const res = await t.app.inject({ url: `/api/v1/hosts/${'a'.repeat(5_000)}`, headers: admin });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect(res.body.length).toBeLessThan(300);
  });
});
