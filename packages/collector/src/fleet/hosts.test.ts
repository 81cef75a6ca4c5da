import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.ts';
import { CLI_ACTOR, userActor } from '../access/actor.ts';
import { HOST_NAME_RULE } from './hosts.ts';
import { LABEL_RULES } from './labels.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('fleet host commands', () => {
  it('add, labels, rotate, revoke and remove: each audited with the actor and surface, and announced', async () => {
    const { fleet, events, store } = t.app.pantau;
    const seen: string[] = [];
    const offs = [
      events.on('host.added', (e) => seen.push(`added:${e.name}`)),
      events.on('host.labels', (e) => seen.push(`labels:${JSON.stringify(e.labels)}`)),
      events.on('host.removed', (e) => seen.push(`removed:${e.name}`)),
    ];
    const admin = userActor({ id: 99, name: 'root', role: 'admin' }, 'telegram');
    const { host, token } = fleet.hosts.add(admin, 'fleet-1', { env: 'prod' });
    expect(token).toMatch(/^pag_/);
    fleet.hosts.setLabels(CLI_ACTOR, host.id, { env: 'staging' });
    const rotated = fleet.hosts.rotateToken(admin, host.id);
    expect(rotated.token).not.toBe(token);
    expect(fleet.hosts.revokeToken(admin, host.id).tokenChangedAt).not.toBeNull();
    fleet.hosts.remove(admin, host.id);
    expect(store.hosts.get(host.id)).toBeUndefined();
    for (const off of offs) off();
    expect(seen).toEqual(['added:fleet-1', 'labels:{"env":"staging"}', 'removed:fleet-1']);
    const audit = store.audit
      .find({ limit: 10, target: `host:${host.id}` })
      .map((e) => [e.action, e.actor, e.surface]);
    expect(audit).toEqual([
      ['host.delete', 'user:99', 'telegram'],
      ['host.token.revoke', 'user:99', 'telegram'],
      ['host.token.rotate', 'user:99', 'telegram'],
      ['host.labels', 'cli', 'cli'],
      ['host.add', 'user:99', 'telegram'],
    ]);
  });

  it('refuses bad input and a too-low role, changing nothing', () => {
    const { fleet, store } = t.app.pantau;
    const before = store.hosts.count();
    const operator = userActor({ id: 5, name: 'op', role: 'operator' }, 'web');
    expect(() => fleet.hosts.add(CLI_ACTOR, '<img src=x>')).toThrow(/host name .* must be 1-128 letters/);
    expect(() => fleet.hosts.add(CLI_ACTOR, 'ok-name', { 'bad key': 'x' })).toThrow(/label key "bad key"/);
    for (const value of ['a,b=c', 'a=b', ' prod', 'prod ', 'pr\u200bod'])
      expect(() => fleet.hosts.add(CLI_ACTOR, 'ok-name', { env: value }), value).toThrow(
        /cannot be selected/,
      );
    expect(() => fleet.hosts.add(operator, 'ok-name')).toThrow(
      'hosts.manage needs the admin role; op has operator',
    );
    const { host } = fleet.hosts.add(CLI_ACTOR, 'dup-1');
    expect(() => fleet.hosts.add(CLI_ACTOR, 'dup-1')).toThrow(/a host named dup-1 exists already/);
    expect(() => fleet.hosts.remove(CLI_ACTOR, 424242)).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => fleet.hosts.remove(operator, host.id)).toThrow(/hosts.manage/);
    expect(store.hosts.count()).toBe(before + 1);
  });
});

describe('one rule for host names and labels, in the commands and the API', () => {
  const post = async (url: string, payload: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload,
    });
    return { status: res.statusCode, message: res.json().error?.message as string | undefined };
  };
  const domainMessage = (body: () => void) => {
    try {
      body();
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };

  it.each([
    ['bad name', {}, `host name "bad name" ${HOST_NAME_RULE.rule}`, `body.name ${HOST_NAME_RULE.rule}`],
    [
      'x'.repeat(129),
      {},
      `host name "${'x'.repeat(64)}" ${HOST_NAME_RULE.rule}`,
      `body.name ${HOST_NAME_RULE.rule}`,
    ],
    ['-dash', {}, `host name "-dash" ${HOST_NAME_RULE.rule}`, `body.name ${HOST_NAME_RULE.rule}`],
    [
      'rule-ok',
      { 'bad key': 'x' },
      `label key "bad key" ${LABEL_RULES.key.rule}`,
      `body.labels key "bad key" ${LABEL_RULES.key.rule}`,
    ],
    [
      'rule-ok',
      { env: 'a,b' },
      `label env: "a,b" ${LABEL_RULES.value.rule}`,
      `body.labels.env ${LABEL_RULES.value.rule}`,
    ],
    [
      'rule-ok',
      { env: ' prod' },
      `label env: " prod" ${LABEL_RULES.value.rule}`,
      `body.labels.env ${LABEL_RULES.value.rule}`,
    ],
  ])('%j %j: the command and the API refuse it in the same words', async (name, labels, domain, api) => {
    const { fleet, store } = t.app.pantau;
    const before = store.hosts.count();
    expect(domainMessage(() => fleet.hosts.add(CLI_ACTOR, name, labels))).toBe(domain);
    expect(await post('/api/v1/hosts', { name, labels })).toEqual({ status: 400, message: api });
    expect(await post('/api/v1/enrollments', { name, labels })).toEqual({ status: 400, message: api });
    expect(store.hosts.count()).toBe(before);
  });

  it('a label value too long is refused by the same limit, in the schema words', async () => {
    const long = { env: 'x'.repeat(LABEL_RULES.value.maxLength + 1) };
    expect(domainMessage(() => t.app.pantau.fleet.hosts.add(CLI_ACTOR, 'rule-ok', long))).toBe(
      'label env must be a string of at most 256 characters',
    );
    expect(await post('/api/v1/hosts', { name: 'rule-ok', labels: { env: 'x'.repeat(257) } })).toEqual({
      status: 400,
      message: 'body.labels.env must NOT have more than 256 characters',
    });
  });

  it('what the rule accepts, both accept', async () => {
    const labels = { env: 'prod', 'team.name_1-x': 'a b', empty: '' };
    expect(t.app.pantau.fleet.hosts.add(CLI_ACTOR, 'Rule.ok_1-a', labels).host.name).toBe('Rule.ok_1-a');
    expect(await post('/api/v1/hosts', { name: 'Rule.ok_1-b', labels })).toMatchObject({ status: 201 });
  });
});
