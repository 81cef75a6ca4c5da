import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { CLI_ACTOR } from '../access/actor.ts';

let t: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestApp({ api: { authFailuresPerMinute: 1000 } });
  admin = { authorization: `Bearer ${t.adminToken}` };
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, headers: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const usersTable = () => t.app.pantau.store.db.prepare('SELECT * FROM users ORDER BY id').all();
const lastAudit = async () => (await call('GET', '/audit?limit=1', admin)).json().items[0];

describe('users API', () => {
  it('lists applicants by status, approves one with a role, and the applicant’s token then works', async () => {
    const { access } = t.app.pantau;
    const ann = access.users.registerTelegram({ telegramId: 501, chatId: 501, name: 'ann-tg' });
    const pending = (await call('GET', '/users?status=pending', admin)).json();
    expect(pending.items.map((u: { id: number }) => u.id)).toContain(ann.id);
    expect(pending.items.every((u: { status: string }) => u.status === 'pending')).toBe(true);

    const res = await call('POST', `/users/${ann.id}/approve`, admin, { role: 'operator' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: ann.id,
      status: 'active',
      role: 'operator',
      approvedBy: 'config',
    });
    expect(await lastAudit()).toMatchObject({ actor: 'config', surface: 'api', action: 'user.approve' });

    const { secret } = (
      await call('POST', '/tokens', admin, { name: 'ann', role: 'operator', userId: ann.id })
    ).json();
    expect((await call('GET', '/auth/whoami', bearer(secret))).json()).toMatchObject({
      userId: ann.id,
      name: 'ann-tg',
      role: 'operator',
    });
    // An operator acknowledges, but cannot manage users; the refusal names the permission and its role.
    const denied = await call('POST', `/users/${ann.id}/disable`, bearer(secret));
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toBe('users.manage needs the admin role; ann-tg has operator');
    expect(await lastAudit()).toMatchObject({
      actor: `user:${ann.id}`,
      surface: 'api',
      action: 'access.denied',
      target: 'POST /api/v1/users/:id/disable',
      details: { permission: 'users.manage' },
    });

    expect((await call('POST', `/users/${ann.id}/disable`, admin)).json().status).toBe('disabled');
    expect((await call('GET', '/auth/whoami', bearer(secret))).statusCode).toBe(401);
    expect((await call('POST', `/users/${ann.id}/enable`, admin)).json().status).toBe('active');
    expect((await call('GET', '/auth/whoami', bearer(secret))).statusCode).toBe(200);
  });

  it('bad input gets a clear 4xx and changes nothing', async () => {
    const root = t.user('root-admin', 'admin');
    const other = t.user('other-admin', 'admin');
    const viewer = t.user('vera', 'viewer');
    const before = usersTable();
    const cases: [Method, string, Record<string, string>, object | undefined, number, RegExp][] = [
      ['POST', '/users/99999/approve', admin, { role: 'viewer' }, 404, /no user with id 99999/],
      ['POST', `/users/${viewer.id}/approve`, admin, { role: 'viewer' }, 409, /vera is active; only pending/],
      ['POST', `/users/${viewer.id}/reject`, admin, undefined, 409, /only pending users can be rejected/],
      ['PATCH', `/users/${viewer.id}`, admin, { role: 'root' }, 400, /role/],
      ['POST', '/users', admin, { name: 'x', role: 'superuser' }, 400, /role/],
      ['POST', '/users', admin, { name: 'vera', role: 'viewer' }, 409, /a user named vera exists/],
      [
        'POST',
        '/users',
        admin,
        { name: 'y', role: 'viewer', password: 'short' },
        400,
        /at least 10 characters/,
      ],
      [
        'PUT',
        `/users/${viewer.id}/password`,
        admin,
        { password: 'too short' },
        400,
        /at least 10 characters/,
      ],
      [
        'PUT',
        `/users/${root.id}/password`,
        bearer(viewer.token),
        { password: 'long enough 1' },
        403,
        /users.manage/,
      ],
      ['POST', `/users/${root.id}/disable`, bearer(root.token), undefined, 409, /cannot disable yourself/],
      ['PATCH', `/users/${root.id}`, bearer(root.token), { role: 'viewer' }, 409, /own role/],
      // The refused role change must not let the e-mail through either.
      [
        'PATCH',
        `/users/${root.id}`,
        bearer(root.token),
        { email: 'new@example.com', role: 'viewer' },
        409,
        /own role/,
      ],
      ['PATCH', `/users/${viewer.id}`, admin, { email: 'not an address', role: 'operator' }, 400, /email/],
      ['POST', `/users/${viewer.id}/enable`, admin, undefined, 409, /only disabled users can be enabled/],
      ['GET', '/users?status=gone', admin, undefined, 400, /status/],
      [
        'POST',
        '/tokens',
        admin,
        { name: 'v', role: 'admin', userId: viewer.id },
        400,
        /cannot outrank its user/,
      ],
    ];
    for (const [method, url, headers, body, status, message] of cases) {
      const res = await call(method, url, headers, body);
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      expect(res.json().error.message, `${method} ${url}`).toMatch(message);
    }
    expect(usersTable()).toEqual(before);
    expect(await lastAudit()).toMatchObject({
      actor: `user:${root.id}`,
      action: 'user.role.refused',
      target: `user:${root.id}`,
    });

    // With two admins, one may go; the last one stays.
    expect((await call('POST', `/users/${other.id}/disable`, bearer(root.token))).statusCode).toBe(200);
    const admins = t.app.pantau.access.repos.users
      .list({ after: 0, limit: 1000 })
      .filter((u) => u.role === 'admin' && u.status === 'active');
    for (const u of admins.filter((a) => a.id !== root.id)) {
      await call('POST', `/users/${u.id}/disable`, admin);
    }
    const last = await call('DELETE', `/users/${root.id}`, admin);
    expect(last.statusCode).toBe(409);
    expect(last.json().error.message).toBe('root-admin is the last active admin; make another admin first');
    expect(await lastAudit()).toMatchObject({ actor: 'config', action: 'user.delete.refused' });
  });

  it('sets a password through the API and the login check accepts it', async () => {
    const dora = t.user('dora', 'viewer');
    const own = await call('PUT', `/users/${dora.id}/password`, bearer(dora.token), {
      password: 'dora secret 42',
    });
    expect(own.statusCode).toBe(204);
    expect(await t.app.pantau.access.users.verifyPassword('dora', 'dora secret 42')).toMatchObject({
      id: dora.id,
    });
    const user = (await call('GET', `/users/${dora.id}`, admin)).json();
    expect(user).toMatchObject({ hasPassword: true, status: 'active' });
    expect(JSON.stringify(user)).not.toMatch(/scrypt|secret 42/);
    expect(await lastAudit()).toMatchObject({ actor: `user:${dora.id}`, action: 'user.password' });
  });
});

describe('audit API', () => {
  it('filters by actor, surface, action prefix and target', async () => {
    const { access } = t.app.pantau;
    const eve = access.users.registerTelegram({ telegramId: 909, chatId: 909, name: 'eve-tg' });
    await call('POST', `/users/${eve.id}/reject`, admin);
    const byTarget = (await call('GET', `/audit?target=user:${eve.id}`, admin)).json().items;
    expect(byTarget.map((e: { action: string }) => e.action)).toEqual(['user.reject', 'user.register']);
    const telegram = (await call('GET', '/audit?surface=telegram', admin)).json().items;
    expect(telegram.length).toBeGreaterThan(0);
    expect(telegram.every((e: { surface: string }) => e.surface === 'telegram')).toBe(true);
    const users = (await call('GET', '/audit?action=user&actor=config&limit=500', admin)).json().items;
    expect(users.length).toBeGreaterThan(1);
    expect(
      users.every(
        (e: { action: string; actor: string }) => e.action.startsWith('user.') && e.actor === 'config',
      ),
    ).toBe(true);
    // A prefix matches whole segments only.
    expect((await call('GET', '/audit?action=use', admin)).json().items).toEqual([]);
    const bad = await call('GET', '/audit?surface=fax', admin);
    expect(bad.statusCode).toBe(400);
  });

  it('files session ends and failed console logins under web, and shows and finds people by name', async () => {
    const { access } = t.app.pantau;
    const fay = await access.users.create(CLI_ACTOR, {
      name: 'Fay Fischer',
      role: 'operator',
      password: 'fay secret 42',
    });
    const login = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'Fay Fischer', password } });
    expect((await login('wrong password')).statusCode).toBe(401);
    expect((await login('fay secret 42')).statusCode).toBe(200);
    await call('PATCH', `/users/${fay.id}`, admin, { role: 'viewer' });

    const web = (await call('GET', '/audit?surface=web&limit=500', admin)).json().items;
    const actions = web.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['session.login.failed', 'session.login', 'session.end']));
    const api = (await call('GET', '/audit?surface=api&limit=500', admin)).json().items;
    expect(api.some((e: { action: string }) => e.action.startsWith('session.'))).toBe(false);

    const byName = (await call('GET', `/audit?actor=${encodeURIComponent('Fay Fischer')}`, admin)).json()
      .items;
    expect(byName.map((e: { action: string }) => e.action)).toEqual(['session.login']);
    expect(byName[0]).toMatchObject({ actor: `user:${fay.id}`, actorName: 'Fay Fischer', surface: 'web' });
    const change = (await call('GET', `/audit?target=user:${fay.id}&action=user.role`, admin)).json().items;
    expect(change[0]).toMatchObject({ actor: 'config', actorName: 'config admin token' });
  });
});
