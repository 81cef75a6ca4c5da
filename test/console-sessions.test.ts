import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTime } from './support/fake-time.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
  cookie: string | undefined;
  retryAfter: string | undefined;
}

/** One HTTP call on its own socket, optionally from another loopback address (rate limits are per address). */
function call(
  base: string,
  method: string,
  path: string,
  o: { cookie?: string; csrf?: string; token?: string; body?: unknown; from?: string } = {},
): Promise<Answer> {
  const url = new URL(`/api/v1${path}`, base);
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        localAddress: o.from,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(o.cookie ? { cookie: o.cookie } : {}),
          ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? JSON.parse(text) : {},
            cookie: res.headers['set-cookie']?.[0],
            retryAfter: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const PASSWORD = 'correct horse battery';

describe('console sessions', () => {
  let t: TestApp;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    t = await startTestApp({ web: { loginFailuresPerMinute: 3 } });
    for (const [name, role] of [
      ['ops', 'operator'],
      ['vera', 'viewer'],
      ['alice', 'operator'],
      ['bob', 'operator'],
    ] as const) {
      const res = await call(t.url, 'POST', '/users', {
        token: t.adminToken,
        body: { name, role, password: PASSWORD },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[name] = res.body.id as number;
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const login = async (name: string, password = PASSWORD, from?: string) => {
    const res = await call(t.url, 'POST', '/session', { body: { name, password }, from });
    return { ...res, session: res.cookie?.split(';')[0], csrf: res.body.csrfToken as string };
  };

  it('refuses a wrong password or an unknown name with the same clear 401, and sets no cookie', async () => {
    for (const [name, password] of [
      ['ops', 'wrong password!'],
      ['nobody', PASSWORD],
    ]) {
      const res = await login(name!, password, '127.0.0.9');
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('UNAUTHORIZED');
      expect(res.body.error?.message).toBe('name or password is wrong (or the account is not active)');
      expect(res.cookie).toBeUndefined();
    }
    const bad = await call(t.url, 'POST', '/session', {
      body: { name: 'ops', password: PASSWORD, extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('extra');
  });

  it('signs in with an HttpOnly SameSite=Strict cookie and answers API calls with it', async () => {
    const res = await login('ops');
    expect(res.status).toBe(200);
    expect(res.cookie).toMatch(
      /^pantau_session=pws_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    expect(res.body.user).toEqual({ id: ids.ops, name: 'ops', role: 'operator' });
    expect(res.body.permissions).toContain('incidents.ack');
    expect(res.body.permissions).not.toContain('users.manage');
    expect((await call(t.url, 'GET', '/hosts', { cookie: res.session })).status).toBe(200);
    const me = await call(t.url, 'GET', '/session', { cookie: res.session });
    // Each answer carries a fresh token made from the session's secret, never the secret itself.
    expect(me.body.csrfToken).toMatch(/^[\w-]+$/);
    expect(me.body.csrfToken).not.toBe(res.csrf);
    // The cookie never authenticates anything but this session: a made-up one is a 401.
    const forged = await call(t.url, 'GET', '/hosts', { cookie: `pantau_session=pws_${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.message).toContain('sign in again');
  });

  it('refuses a change made with the cookie but without the right CSRF token, and changes nothing', async () => {
    const { session, csrf } = await login('ops');
    const body = { all: true, duration: '1h', reason: 'csrf test' };
    const none = await call(t.url, 'POST', '/silences', { cookie: session, body });
    expect(none.status).toBe(403);
    expect(none.body.error?.message).toContain('X-CSRF-Token');
    const wrong = await call(t.url, 'POST', '/silences', { cookie: session, csrf: `${csrf}x`, body });
    expect(wrong.status).toBe(403);
    // A valid token of another session proves nothing for this one.
    const other = await login('bob');
    const foreign = await call(t.url, 'POST', '/silences', { cookie: session, csrf: other.csrf, body });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error?.message).toContain('X-CSRF-Token');
    const list = await call(t.url, 'GET', '/silences', { cookie: session });
    expect(list.body.items).toEqual([]);
    const right = await call(t.url, 'POST', '/silences', { cookie: session, csrf, body });
    expect(right.status).toBe(201);
    expect(right.body.createdBy).toBe(`user:${ids.ops}`);
    // The token from GET /session works as well as the login's; a bearer token needs none.
    const again = (await call(t.url, 'GET', '/session', { cookie: session })).body.csrfToken as string;
    const second = await call(t.url, 'POST', '/silences', { cookie: session, csrf: again, body });
    expect(second.status).toBe(201);
    const scripted = await call(t.url, 'POST', '/silences', { token: t.adminToken, body });
    expect(scripted.status).toBe(201);
  });

  it("gives a viewer's session reads and 403s on changes", async () => {
    const { session, csrf, body } = await login('vera');
    expect(body.permissions).not.toContain('incidents.ack');
    expect((await call(t.url, 'GET', '/incidents', { cookie: session })).status).toBe(200);
    const res = await call(t.url, 'POST', '/silences', {
      cookie: session,
      csrf,
      body: { all: true, duration: '1h' },
    });
    expect(res.status).toBe(403);
    expect(res.body.error?.message).toContain('viewer');
    expect((await call(t.url, 'GET', '/users', { cookie: session })).status).toBe(403);
  });

  it('ends the session on logout; the old cookie is refused', async () => {
    const { session, csrf } = await login('ops');
    const out = await call(t.url, 'DELETE', '/session', { cookie: session, csrf });
    expect(out.status).toBe(204);
    expect(out.cookie).toContain('Max-Age=0');
    const after = await call(t.url, 'GET', '/hosts', { cookie: session });
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toContain('ended');
  });

  it("ends a user's sessions at once when an admin changes their role", async () => {
    const { session } = await login('bob');
    expect((await call(t.url, 'GET', '/hosts', { cookie: session })).status).toBe(200);
    const change = await call(t.url, 'PATCH', `/users/${ids.bob}`, {
      token: t.adminToken,
      body: { role: 'viewer' },
    });
    expect(change.status, JSON.stringify(change.body)).toBe(200);
    const after = await call(t.url, 'GET', '/hosts', { cookie: session });
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toContain('role');
  });

  it('ends an idle session after the idle timeout', async () => {
    // Its own collector on fake time: the idle limit passes when the test moves the clock.
    const time = new FakeTime();
    const short = await startTestApp({ web: { sessionIdle: 60_000 } }, undefined, { time });
    try {
      const made = await call(short.url, 'POST', '/users', {
        token: short.adminToken,
        body: { name: 'idle', role: 'viewer', password: PASSWORD },
      });
      expect(made.status).toBe(201);
      const res = await call(short.url, 'POST', '/session', { body: { name: 'idle', password: PASSWORD } });
      const session = res.cookie?.split(';')[0];
      expect((await call(short.url, 'GET', '/hosts', { cookie: session })).status).toBe(200);
      time.advance(59_000);
      expect((await call(short.url, 'GET', '/hosts', { cookie: session })).status).toBe(200);
      // Requests within a minute do not refresh last-seen (it is written at most once a minute),
      // so the request just made does not keep the session alive; the idle limit ends it.
      time.advance(2_000);
      const after = await call(short.url, 'GET', '/hosts', { cookie: session });
      expect(after.status).toBe(401);
      expect(after.body.error?.message).toContain('expired');
    } finally {
      await short.close();
    }
  });

  it('limits failed logins per address and per name without locking out anyone else', async () => {
    for (let i = 0; i < 3; i++)
      expect((await login('alice', 'wrong password!', '127.0.0.2')).status).toBe(401);
    // alice is held back everywhere, even with the right password; the address is held back for everyone.
    const held = await login('alice', PASSWORD, '127.0.0.3');
    expect(held.status).toBe(429);
    expect(held.body.error?.message).toContain('for alice');
    expect(held.body.error?.code).toBe('RATE_LIMITED');
    // Retry-After: when the oldest of the three failures leaves the one-minute window.
    expect(Number(held.retryAfter)).toBeGreaterThanOrEqual(50);
    expect(Number(held.retryAfter)).toBeLessThanOrEqual(60);
    expect(held.body.error?.message).toContain(`try again in ${held.retryAfter} s`);
    const fromThere = await login('ops', PASSWORD, '127.0.0.2');
    expect(fromThere.status).toBe(429);
    expect(fromThere.body.error?.message).toContain('address');
    expect(Number(fromThere.retryAfter)).toBeGreaterThan(0);
    // Anybody else from anywhere else signs in as usual.
    expect((await login('ops', PASSWORD, '127.0.0.3')).status).toBe(200);
  });
});

describe('one-time password links', () => {
  let t: TestApp;
  let userId: number;
  beforeAll(async () => {
    t = await startTestApp({ publicUrl: 'https://pantau.example.com' });
    // As the bot would: a Telegram applicant, approved, asks for a web password.
    const user = t.app.pantau.access.users.registerTelegram({ telegramId: 77, chatId: 77, name: 'tg-bob' });
    userId = user.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const asBot = () => ({
    userId,
    id: `user:${userId}`,
    name: 'tg-bob',
    role: 'viewer' as const,
    surface: 'telegram' as const,
  });

  it('refuses a link for a user who is not active yet', () => {
    expect(() => t.app.pantau.passwordLinks.create(asBot(), userId)).toThrow(/not active/);
  });

  it("lets the user set a password once, then sign in; a second use, a made-up link and another's link are refused", async () => {
    const approve = await call(t.url, 'POST', `/users/${userId}/approve`, {
      token: t.adminToken,
      body: { role: 'viewer' },
    });
    expect(approve.status).toBe(200);
    const link = t.app.pantau.passwordLinks.create(asBot(), userId);
    expect(link.url).toMatch(/^https:\/\/pantau\.example\.com\/set-password#ppl_[\w-]{43}$/);
    const token = link.url.split('#')[1]!;
    // Nobody else may ask for tg-bob's link (a viewer is not an admin).
    const other = await call(t.url, 'POST', '/users', {
      token: t.adminToken,
      body: { name: 'eve', role: 'viewer', password: PASSWORD },
    });
    const eveToken = await call(t.url, 'POST', '/tokens', {
      token: t.adminToken,
      body: { name: 'eve', role: 'viewer', userId: other.body.id },
    });
    const stolen = await call(t.url, 'POST', `/users/${userId}/password-link`, {
      token: eveToken.body.secret as string,
    });
    expect(stolen.status).toBe(403);

    const short = await call(t.url, 'POST', '/password-link', { body: { token, password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error?.message).toContain('at least 10');
    const made = await call(t.url, 'POST', '/password-link', {
      body: { token: 'ppl_made-up', password: PASSWORD },
    });
    expect(made.status).toBe(401);
    const ok = await call(t.url, 'POST', '/password-link', { body: { token, password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('tg-bob');
    const again = await call(t.url, 'POST', '/password-link', { body: { token, password: `${PASSWORD}!` } });
    expect(again.status).toBe(401);
    expect(again.body.error?.message).toContain('used already');
    const login = await call(t.url, 'POST', '/session', { body: { name: 'tg-bob', password: PASSWORD } });
    expect(login.status).toBe(200);
  });
});
