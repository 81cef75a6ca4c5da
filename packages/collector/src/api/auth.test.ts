import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { installAuth } from './auth.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('the auth hook', () => {
  it.each([
    ['no permission', {}],
    ['a role instead of a permission', { role: 'admin' }],
    ['an unknown permission', { permission: 'hosts.delete' }],
  ])('refuses to start when a route declares %s', async (_what, config) => {
    const app = Fastify();
    installAuth(app, { auth: t.app.pantau.access.auth, failuresPerMinute: 10 });
    const register = async () => {
      app.get('/x', { config: config as never }, async () => 'ok');
      await app.ready();
    };
    await expect(register()).rejects.toThrow(/route GET \/x must declare config.permission/);
    await app.close();
  });

  it('lets a public route through without a token and checks every other one', async () => {
    const app = Fastify();
    installAuth(app, { auth: t.app.pantau.access.auth, failuresPerMinute: 10 });
    app.get('/open', { config: { permission: 'public' } }, async () => 'ok');
    app.get('/audit', { config: { permission: 'audit.read' } }, async (req) => req.principal);
    await app.ready();
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/audit' })).statusCode).toBe(401);
    const op = await app.inject({
      url: '/audit',
      headers: { authorization: `Bearer ${t.token('operator')}` },
    });
    expect(op.statusCode).toBe(403);
    expect(op.json().error.message).toBe('audit.read needs the admin role; operator test has operator');
    const admin = await app.inject({ url: '/audit', headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(admin.json()).toMatchObject({ role: 'admin', actor: 'config', userId: null });
    await app.close();
  });
});
