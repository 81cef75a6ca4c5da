import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CollectorEvents, EventBus } from '../events.ts';
import { Store } from '../store/index.ts';
import { type Actor, CLI_ACTOR, userActor } from './actor.ts';
import { type Access, buildAccess } from './index.ts';
import type { User } from './user-repo.ts';

const HOUR = 3_600_000;
const retention = { raw: 48 * HOUR, minute: 30 * 24 * HOUR, hour: 365 * 24 * HOUR, chunkRows: 100 };
let dir: string;
let store: Store;
let access: Access;
let clock: number;
let seen: { event: string; payload: unknown }[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-access-'));
  store = new Store({ dataDir: dir, busyTimeout: 1000, retention });
  const events = new EventBus();
  seen = [];
  for (const event of ['user.pending', 'user.changed'] as const) {
    events.on(event, (payload: CollectorEvents[typeof event]) => seen.push({ event, payload }));
  }
  clock = 1_000_000;
  access = buildAccess({
    db: store.db,
    audit: store.audit,
    events,
    adminToken: null,
    rejectCooldown: 24 * HOUR,
    now: () => clock,
  });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const actions = () => store.audit.list(Number.MAX_SAFE_INTEGER, 100).map((e) => e.action);
const snapshot = () => store.db.prepare('SELECT * FROM users ORDER BY id').all();
const admin = async (name = 'root'): Promise<{ user: User; actor: Actor }> => {
  const user = await access.users.create(CLI_ACTOR, { name, role: 'admin' });
  return { user, actor: userActor(user, 'api') };
};
const apply = (telegramId: number, name = `tg-${telegramId}`) =>
  access.users.registerTelegram({ telegramId, chatId: telegramId, name, email: `${name}@example.com` });

describe('Telegram registration and approval', () => {
  it('creates a pending user, announces it, and an admin approves them with a role', async () => {
    const { actor } = await admin();
    const pending = apply(42, 'ann');
    expect(pending).toMatchObject({ name: 'ann', status: 'pending', telegramId: 42, telegramChatId: 42 });
    expect(seen.at(-1)).toEqual({
      event: 'user.pending',
      payload: { userId: pending.id, name: 'ann', email: 'ann@example.com', telegramId: 42, at: clock },
    });
    expect(access.users.list(actor, { status: 'pending', after: 0, limit: 10 }).map((u) => u.id)).toEqual([
      pending.id,
    ]);
    const approved = access.users.approve(actor, pending.id, 'operator');
    expect(approved).toMatchObject({
      status: 'active',
      role: 'operator',
      approvedBy: actor.id,
      approvedAt: clock,
    });
    expect(seen.at(-1)).toMatchObject({
      event: 'user.changed',
      payload: { userId: pending.id, change: 'approved', role: 'operator', status: 'active' },
    });
    const [entry] = store.audit.list(Number.MAX_SAFE_INTEGER, 1);
    expect(entry).toMatchObject({
      actor: actor.id,
      surface: 'api',
      action: 'user.approve',
      target: `user:${pending.id}`,
    });
    expect(access.users.byTelegram(42)).toMatchObject({ id: pending.id, status: 'active' });
    expect(access.users.actorFor(pending.id, 'telegram')).toEqual({
      userId: pending.id,
      id: `user:${pending.id}`,
      name: 'ann',
      role: 'operator',
      surface: 'telegram',
    });
    access.users.disable(actor, pending.id);
    expect(access.users.actorFor(pending.id, 'web')).toBeNull();
    const register = store.audit.list(Number.MAX_SAFE_INTEGER, 10).find((e) => e.action === 'user.register');
    expect(register).toMatchObject({ actor: 'telegram:42', surface: 'telegram' });
  });

  it('refuses a second application while pending or active, and a taken name', async () => {
    const { actor } = await admin();
    const ann = apply(42, 'ann');
    expect(() => apply(42, 'ann')).toThrow(/waiting for an admin already/);
    expect(() => apply(43, 'ann')).toThrow(
      expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/named ann exists/) }),
    );
    access.users.approve(actor, ann.id, 'viewer');
    expect(() => apply(42, 'ann')).toThrow(/registered already as ann/);
  });

  it('a rejected applicant cannot apply again during the cooldown, and can after it', async () => {
    const { actor } = await admin();
    const bob = apply(7, 'bob');
    expect(access.users.reject(actor, bob.id)).toMatchObject({ status: 'disabled', rejectedAt: clock });
    clock += 23 * HOUR;
    const before = snapshot();
    expect(() => apply(7, 'bob')).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringMatching(/rejected; applying again is possible in 1h/),
      }),
    );
    expect(snapshot()).toEqual(before);
    expect(actions()[0]).toBe('user.register.refused');
    clock += HOUR;
    const again = apply(7, 'bobby');
    expect(again).toMatchObject({ id: bob.id, name: 'bobby', status: 'pending', rejectedAt: null });
  });

  it('refuses bad input and changes nothing', async () => {
    const { actor } = await admin();
    const ann = apply(42, 'ann');
    const before = snapshot();
    expect(() => access.users.registerTelegram({ telegramId: -1, chatId: 1, name: 'x' })).toThrow(
      /telegramId/,
    );
    expect(() => access.users.registerTelegram({ telegramId: 1, chatId: 1, name: '' })).toThrow(
      /name must not be empty/,
    );
    expect(() => access.users.registerTelegram({ telegramId: 1, chatId: 1, name: 'a\u0000b' })).toThrow(
      /must not hold invisible, control or text-direction characters \(U\+0000 at 1\)/,
    );
    expect(() =>
      access.users.registerTelegram({ telegramId: 1, chatId: 1, name: 'x', email: 'nope' }),
    ).toThrow(/not an e-mail address/);
    expect(() => access.users.approve(actor, 999, 'viewer')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => access.users.approve(actor, ann.id, 'root' as never)).toThrow(
      /role must be viewer, operator or admin/,
    );
    expect(snapshot()).toEqual(before);
    access.users.approve(actor, ann.id, 'viewer');
    const approved = snapshot();
    expect(() => access.users.approve(actor, ann.id, 'admin')).toThrow(
      /ann is active; only pending users can be approved/,
    );
    expect(() => access.users.reject(actor, ann.id)).toThrow(/only pending users can be rejected/);
    expect(snapshot()).toEqual(approved);
  });
});

describe('the name rule', () => {
  it('refuses invisible and text-direction characters in user, applicant and token names; stores NFC', async () => {
    const { actor } = await admin();
    const before = snapshot();
    for (const name of ['web\u202e1', 'web\u200b1', 'web\u2066x\u2069', 'web\u200d1', 'we\u00adb']) {
      expect(() => access.users.registerTelegram({ telegramId: 7, chatId: 7, name }), name).toThrow(
        /name must not hold invisible/,
      );
      await expect(access.users.create(actor, { name, role: 'viewer' }), name).rejects.toThrow(
        /name must not hold invisible/,
      );
      expect(() => access.tokens.create(actor, { name, role: 'viewer' }), name).toThrow(
        /token name must not hold invisible/,
      );
    }
    expect(snapshot()).toEqual(before);
    const decomposed = await access.users.create(actor, { name: 'Rene\u0301', role: 'viewer' });
    expect(decomposed.name).toBe('Ren\u00e9');
    await expect(access.users.create(actor, { name: 'Ren\u00e9', role: 'viewer' })).rejects.toThrow(
      /exists already/,
    );
    // Full-width letters and another case read as the same name.
    await access.users.create(actor, { name: 'web1', role: 'viewer' });
    for (const lookalike of ['\uff57\uff45\uff42\uff11', 'WEB1']) {
      await expect(access.users.create(actor, { name: lookalike, role: 'viewer' })).rejects.toThrow(
        `${lookalike} reads like the existing user web1`,
      );
      expect(() => access.users.registerTelegram({ telegramId: 77, chatId: 77, name: lookalike })).toThrow(
        /reads like the existing user web1/,
      );
    }
  });
});

describe('roles and status', () => {
  it('an operator cannot change roles or approve; the error names the permission and its role', async () => {
    await admin();
    const ann = apply(42, 'ann');
    const op = await access.users.create(CLI_ACTOR, { name: 'op', role: 'operator' });
    const opActor = userActor(op, 'telegram');
    expect(() => access.users.approve(opActor, ann.id, 'admin')).toThrow(
      expect.objectContaining({
        code: 'FORBIDDEN',
        message: 'users.manage needs the admin role; op has operator',
      }),
    );
    expect(() => access.users.setRole(opActor, op.id, 'admin')).toThrow(/users.manage needs the admin role/);
    expect(access.repos.users.get(op.id)!.role).toBe('operator');
  });

  it('keeps the last active admin, refuses self-disable, and audits the refusals', async () => {
    const { user: root, actor } = await admin();
    const other = await access.users.create(CLI_ACTOR, { name: 'other', role: 'admin' });
    const otherActor = userActor(other, 'web');
    expect(() => access.users.disable(actor, root.id)).toThrow(/cannot disable yourself/);
    expect(() => access.users.setRole(actor, root.id, 'viewer')).toThrow(/own role/);
    access.users.disable(otherActor, root.id);
    const before = snapshot();
    expect(() => access.users.setRole(CLI_ACTOR, other.id, 'viewer')).toThrow(
      /other is the last active admin/,
    );
    expect(() => access.users.disable(CLI_ACTOR, other.id)).toThrow(/last active admin/);
    expect(() => access.users.remove(CLI_ACTOR, other.id)).toThrow(/last active admin/);
    expect(snapshot()).toEqual(before);
    expect(actions().slice(0, 3)).toEqual([
      'user.delete.refused',
      'user.disable.refused',
      'user.role.refused',
    ]);
    expect(store.audit.list(Number.MAX_SAFE_INTEGER, 1)[0]).toMatchObject({ actor: 'cli', surface: 'cli' });
  });

  it('disabling a user stops their tokens at once; enabling brings them back; a token never outranks its user', async () => {
    const { actor } = await admin();
    const ann = await access.users.create(actor, { name: 'ann', role: 'operator' });
    expect(() => access.tokens.create(actor, { name: 'x', role: 'admin', userId: ann.id })).toThrow(
      /cannot outrank its user/,
    );
    const { secret } = access.tokens.create(actor, { name: 'ann-ci', role: 'operator', userId: ann.id });
    expect(access.auth.secret(secret)).toMatchObject({
      ok: true,
      actor: { userId: ann.id, id: `user:${ann.id}`, name: 'ann', role: 'operator', surface: 'api' },
    });
    access.users.setRole(actor, ann.id, 'viewer');
    expect(access.auth.secret(secret)).toMatchObject({ ok: true, actor: { role: 'viewer' } });
    access.users.disable(actor, ann.id);
    expect(seen.at(-1)).toMatchObject({ payload: { change: 'disabled', status: 'disabled' } });
    expect(access.auth.secret(secret)).toEqual({
      ok: false,
      reason: 'API token belongs to a user who is disabled',
    });
    access.users.enable(actor, ann.id);
    expect(access.auth.secret(secret)).toMatchObject({ ok: true });
    expect(() => access.users.enable(actor, ann.id)).toThrow(/only disabled users can be enabled/);
  });
});

describe('passwords', () => {
  it('hashes with scrypt, verifies in constant time, and refuses short ones', async () => {
    const { actor } = await admin();
    const ann = await access.users.create(actor, {
      name: 'ann',
      role: 'viewer',
      password: 'correct horse battery',
    });
    expect(ann.hasPassword).toBe(true);
    const stored = store.db
      .prepare('SELECT password_hash FROM users WHERE id = ?')
      .pluck()
      .get(ann.id) as string;
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored).not.toContain('correct');
    expect(await access.users.verifyPassword('ann', 'correct horse battery')).toMatchObject({ id: ann.id });
    expect(await access.users.verifyPassword('ann', 'wrong horse battery')).toBeNull();
    expect(await access.users.verifyPassword('nobody', 'correct horse battery')).toBeNull();
    await expect(access.users.setPassword(actor, ann.id, 'short')).rejects.toThrow(/at least 10 characters/);
    expect(await access.users.verifyPassword('ann', 'correct horse battery')).not.toBeNull();
    access.users.disable(actor, ann.id);
    expect(await access.users.verifyPassword('ann', 'correct horse battery')).toBeNull();
  });

  it('a user sets their own password; only an admin sets somebody else’s', async () => {
    await admin();
    const ann = await access.users.create(CLI_ACTOR, { name: 'ann', role: 'viewer' });
    const bob = await access.users.create(CLI_ACTOR, { name: 'bob', role: 'operator' });
    await access.users.setPassword(userActor(ann, 'web'), ann.id, 'ann password 1');
    await expect(access.users.setPassword(userActor(bob, 'web'), ann.id, 'bob was here!')).rejects.toThrow(
      /users.manage needs the admin role/,
    );
    expect(await access.users.verifyPassword('ann', 'ann password 1')).not.toBeNull();
    expect(actions()[0]).toBe('user.password');
    expect(seen.at(-1)).toMatchObject({ payload: { userId: ann.id, change: 'password' } });
  });
});

describe('telegram claims', () => {
  it('a code used elsewhere between the check and the write is refused, and the refusal stays audited', () => {
    const { code } = access.claims.create(CLI_ACTOR);
    // Another collector on the same file wins the race: this one's update changes no row.
    store.db.exec(
      'CREATE TEMP TRIGGER used_elsewhere BEFORE UPDATE ON telegram_claims BEGIN SELECT RAISE(IGNORE); END',
    );
    expect(() => access.claims.redeem({ code, telegramId: 42, chatId: 42, name: 'eve' })).toThrow(
      'not valid or has expired',
    );
    const refused = store.audit
      .list(Number.MAX_SAFE_INTEGER, 50)
      .filter((a) => a.action === 'telegram.claim.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      actor: 'telegram:42',
      details: { reason: expect.stringContaining('used already') },
    });
    expect(access.repos.users.byTelegram(42)).toBeUndefined();
  });

  it('a claim makes a new user admin through Users: one user.changed, the same name rule, one audit entry', async () => {
    await access.users.create(CLI_ACTOR, { name: 'Eve', role: 'viewer' });
    const { code } = access.claims.create(CLI_ACTOR);
    seen = [];
    const user = access.claims.redeem({ code, telegramId: 77, chatId: 770, name: 'eve' });
    // "eve" reads like the existing "Eve": the claimant keeps their name with their Telegram id.
    expect(user).toMatchObject({ name: 'eve (77)', role: 'admin', status: 'active', telegramId: 77 });
    expect(seen).toEqual([
      {
        event: 'user.changed',
        payload: {
          userId: user.id,
          name: 'eve (77)',
          role: 'admin',
          status: 'active',
          change: 'telegram',
          at: clock,
        },
      },
    ]);
    expect(actions().filter((a) => a.startsWith('telegram.claim'))).toEqual([
      'telegram.claim.redeem',
      'telegram.claim.create',
    ]);
  });

  it('a claim makes a pending applicant admin, approved by the claim', () => {
    const pending = apply(88, 'pat');
    const { code } = access.claims.create(CLI_ACTOR);
    seen = [];
    const user = access.claims.redeem({ code, telegramId: 88, chatId: 88, name: 'ignored' });
    expect(user).toMatchObject({ id: pending.id, name: 'pat', role: 'admin', status: 'active' });
    expect(user.approvedBy).toMatch(/^claim:\d+$/);
    expect(seen.map((s) => s.event)).toEqual(['user.changed']);
  });
});
