import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAccess } from './access/index.ts';
import { main } from './cli.ts';
import { EventBus } from './events.ts';
import { Store } from './store/index.ts';

const BIN = fileURLToPath(new URL('../bin/pantau-collector.js', import.meta.url));
let dir: string;
let configFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-cli-'));
  configFile = join(dir, 'collector.yaml');
  writeFileSync(configFile, `dataDir: ${JSON.stringify(join(dir, 'data'))}\nlogLevel: silent\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], secret = 'unused password') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, '--config', configFile], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    secret: async () => secret,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The real bin with the password piped on stdin, as a script or the console's first admin would. */
function bin(args: string[], stdin: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', configFile], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(stdin);
  });
}

const openStore = () =>
  new Store({
    dataDir: join(dir, 'data'),
    busyTimeout: 1000,
    retention: { raw: 3_600_000, minute: 3_600_000, hour: 3_600_000, chunkRows: 100 },
  });

describe('pantau-collector users', () => {
  it('decides on applicants and changes roles and status from the terminal', async () => {
    await cli(['users', 'add', 'root', '--role', 'admin']);
    const store = openStore();
    try {
      const access = buildAccess({
        db: store.db,
        audit: store.audit,
        events: new EventBus(),
        adminToken: null,
        rejectCooldown: 60_000,
      });
      access.users.registerTelegram({ telegramId: 77, chatId: 77, name: 'tg-ann' });
      access.users.registerTelegram({ telegramId: 78, chatId: 78, name: 'tg-bob' });
    } finally {
      store.close();
    }
    expect(await cli(['users', 'approve', 'tg-ann', '--role', 'operator'])).toMatchObject({
      code: 0,
      err: 'tg-ann is now active, operator',
    });
    expect((await cli(['users', 'reject', 'tg-bob'])).err).toBe('tg-bob is now disabled, viewer');
    expect((await cli(['users', 'role', 'tg-ann', '--role', 'viewer'])).err).toBe(
      'tg-ann is now active, viewer',
    );
    expect((await cli(['users', 'disable', 'tg-ann'])).err).toBe('tg-ann is now disabled, viewer');
    expect((await cli(['users', 'enable', 'tg-ann'])).err).toBe('tg-ann is now active, viewer');
    expect(await cli(['users', 'disable', 'root'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('root is the last active admin'),
    });
    expect((await cli(['users', 'list', '--status', 'disabled'])).out).toMatch(
      /^3\ttg-bob\tviewer\tdisabled/,
    );
  });

  it('adds the first admin, sets their password from stdin, lists users, and audits it as cli', async () => {
    const added = await cli(['users', 'add', 'alice', '--role', 'admin', '--email', 'alice@example.com']);
    expect(added).toMatchObject({ code: 0 });
    expect(added.err).toContain('added admin alice (id 1)');

    const passwd = await bin(['users', 'passwd', 'alice'], 'alice long password\nignored second line\n');
    expect(passwd.stderr).toContain('password set for alice');
    expect(passwd.code).toBe(0);

    const list = await cli(['users', 'list']);
    expect(list.out).toBe('1\talice\tadmin\tactive\talice@example.com\t-\tpassword');
    expect((await cli(['users', 'list', '--status', 'pending'])).out).toBe('');

    const token = await cli(['tokens', 'create', '--role', 'operator', '--user', 'alice']);
    expect(token.code).toBe(0);
    expect(token.out).toMatch(/^pat_/);

    const store = openStore();
    try {
      const audit = store.audit.list(Number.MAX_SAFE_INTEGER, 10).map((e) => [e.actor, e.surface, e.action]);
      expect(audit).toEqual([
        ['cli', 'cli', 'token.create'],
        ['cli', 'cli', 'user.password'],
        ['cli', 'cli', 'user.create'],
      ]);
      const hash = store.db.prepare("SELECT password_hash FROM users WHERE name = 'alice'").pluck().get();
      expect(hash).toMatch(/^scrypt\$/);
    } finally {
      store.close();
    }
  });

  it('refuses bad input with a message saying what to change', async () => {
    expect(await cli(['users', 'add', 'bob'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--role'),
    });
    expect(await cli(['users', 'add', 'bob', '--role', 'root'])).toMatchObject({ code: 2 });
    expect(await cli(['users', 'passwd', 'nobody'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_FOUND: no user named nobody'),
    });
    await cli(['users', 'add', 'bob', '--role', 'viewer']);
    expect(await cli(['users', 'add', 'bob', '--role', 'viewer'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('a user named bob exists already'),
    });
    expect(await cli(['users', 'passwd', 'bob'], 'short')).toMatchObject({
      code: 1,
      err: expect.stringContaining('at least 10 characters'),
    });
    expect(await cli(['users', 'list', '--status', 'gone'])).toMatchObject({ code: 2 });
    expect(await cli(['users', 'approve', 'bob'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--role'),
    });
    expect(await cli(['users', 'approve', 'bob', '--role', 'viewer'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('bob is active; only pending users can be approved'),
    });
    expect((await cli(['users', 'list'])).out).toBe('1\tbob\tviewer\tactive\t-\t-\t-');
  });
});
