import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectorProcess, collectorCli, startCollectorProcess } from './support/collector-process.ts';

const started: CollectorProcess[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) {
    await c.stop('SIGKILL');
    rmSync(c.dataDir, { recursive: true, force: true });
  }
});

async function api(c: CollectorProcess, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${c.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: res.status === 204 ? null : ((await res.json()) as Record<string, unknown>),
  };
}

describe('accounts against a running collector process', () => {
  it('a person made at the terminal acts through the API as themselves, and is locked out the moment they are disabled', async () => {
    const c = await startCollectorProcess();
    started.push(c);
    // The CLI writes into the running collector's database (WAL), as an admin at the machine would.
    await collectorCli(c.dataDir, [
      'users',
      'add',
      'alice',
      '--role',
      'admin',
      '--email',
      'alice@example.com',
    ]);
    await collectorCli(c.dataDir, ['users', 'add', 'oscar', '--role', 'operator']);
    const alice = (
      await collectorCli(c.dataDir, ['tokens', 'create', '--role', 'admin', '--user', 'alice'])
    ).trim();
    const oscar = (
      await collectorCli(c.dataDir, ['tokens', 'create', '--role', 'operator', '--user', 'oscar'])
    ).trim();

    expect((await api(c, alice, 'GET', '/auth/whoami')).body).toMatchObject({ name: 'alice', role: 'admin' });
    const list = await api(c, alice, 'GET', '/users');
    const ids = Object.fromEntries(
      ((list.body?.items ?? []) as { id: number; name: string }[]).map((u) => [u.name, u.id]),
    );

    // An operator cannot promote themselves; the answer names the permission and its role.
    const promote = await api(c, oscar, 'PATCH', `/users/${ids.oscar}`, { role: 'admin' });
    expect(promote.status).toBe(403);
    expect(promote.body).toEqual({
      error: { code: 'FORBIDDEN', message: 'users.manage needs the admin role; oscar has operator' },
    });

    expect((await api(c, alice, 'POST', `/users/${ids.oscar}/disable`)).status).toBe(200);
    expect((await api(c, oscar, 'GET', '/hosts')).status).toBe(401);
    expect((await api(c, alice, 'POST', `/users/${ids.oscar}/enable`)).status).toBe(200);
    expect((await api(c, oscar, 'GET', '/hosts')).status).toBe(200);

    const audit = await api(c, alice, 'GET', '/audit?limit=20');
    const rows = ((audit.body?.items ?? []) as { actor: string; surface: string; action: string }[]).map(
      (e) => `${e.surface} ${e.actor} ${e.action}`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        `api user:${ids.alice} user.enable`,
        `api user:${ids.alice} user.disable`,
        `api user:${ids.oscar} access.denied`,
        'cli cli token.create',
        'cli cli user.create',
      ]),
    );
  });
});
