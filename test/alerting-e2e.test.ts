import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSmtpServer } from './fakes/smtp-server.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { until } from './support/until.ts';

/**
 * Detection to delivery with everything real but the outside world: a collector process, agent
 * processes, and fake Telegram and SMTP servers. Reminders are shortened to 2 s.
 */

const CHAT = 1001;
const SMTP_USER = 'pantau';
const SMTP_PASS = 'smtp-password-0123456789';

let telegram: FakeTelegramServer;
let smtp: FakeSmtpServer;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  telegram = await FakeTelegramServer.start();
  smtp = await FakeSmtpServer.start({ user: SMTP_USER, pass: SMTP_PASS });
});
afterAll(async () => {
  await telegram.close();
  await smtp.close();
});
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
  telegram.clearFailures();
});

function collectorEnv(monitor: object = {}): Record<string, string> {
  return {
    PANTAU_LOG_LEVEL: 'info',
    PANTAU_TELEGRAM_TOKEN: telegram.token,
    PANTAU_TELEGRAM_API_ROOT: telegram.url,
    PANTAU_SMTP_HOST: '127.0.0.1',
    PANTAU_SMTP_PORT: String(smtp.port),
    PANTAU_SMTP_USER: SMTP_USER,
    PANTAU_SMTP_PASSWORD: SMTP_PASS,
    PANTAU_SMTP_TLS_INSECURE: 'true',
    PANTAU_SMTP_FROM: 'pantau@example.com',
    PANTAU_NOTIFY_RECIPIENTS: JSON.stringify([
      { name: 'ops chat', channel: 'telegram', address: String(CHAT) },
      { name: 'ops mail', channel: 'email', address: 'ops@example.com' },
    ]),
    PANTAU_MONITOR: JSON.stringify({ policy: { repeat: '2s' }, ...monitor }),
  };
}

async function collector(options: { dataDir?: string; adminToken?: string; monitor?: object } = {}) {
  const c = await startCollectorProcess({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    env: collectorEnv(options.monitor),
  });
  cleanup.push(() => c.stop('SIGKILL'));
  return c;
}

async function api<T>(c: CollectorProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${c.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${c.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function addHost(c: CollectorProcess, name: string, labels: Record<string, string> = {}) {
  return api<{ host: { id: number }; token: string }>(c, 'POST', '/hosts', { name, labels });
}

function agent(c: CollectorProcess, token: string, extra: Record<string, unknown> = {}): AgentProcess {
  const a = new AgentProcess({ ...testConfig([c.wsUrl], extra), token });
  cleanup.push(() => a.stop());
  return a;
}

async function online(c: CollectorProcess, id: number) {
  await until(`host ${id} online`, async () => {
    const host = await api<{ status: string }>(c, 'GET', `/hosts/${id}`);
    return host.status === 'online' ? true : undefined;
  });
}

/** Successful sendMessage calls whose text mentions `text`, in arrival order. */
function delivered(text: string, since = 0): TelegramCall[] {
  return telegram
    .callsOf('sendMessage', { ok: true })
    .filter((c) => c.at >= since && String(c.body.text).includes(text));
}

/** "Opened" messages only (reminders repeat the title after "Still open, reminder N: "). */
function openedMessages(title: string, since: number): TelegramCall[] {
  return delivered(`<b>${title} (#`, since);
}

function tcpServer(): Promise<Server> {
  const server = createServer((socket) => socket.end());
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}

describe('alerting end to end', { timeout: 60_000 }, () => {
  it('host down: message after the grace, reminders, ack via the API, e-mail too, recovery', async () => {
    const c = await collector();
    const { host, token } = await addHost(c, 'web-1');
    const a = agent(c, token);
    await online(c, host.id);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const [opened] = await until('the down message', () => {
      const hits = delivered('Host down on web-1', killedAt);
      return hits.length > 0 ? hits : undefined;
    });
    // The 5 s grace, with room for a busy machine; bench/detection measures how fast.
    expect(opened!.at - killedAt).toBeLessThan(15_000);
    expect(String(opened!.body.chat_id)).toBe(String(CHAT));
    expect(JSON.stringify(opened!.body.reply_markup)).toContain('ack:');

    const reminders = await until('two reminders', () => {
      const hits = delivered('Still open, reminder', killedAt);
      return hits.length >= 2 ? hits : undefined;
    });
    expect(reminders[0]!.at - opened!.at).toBeGreaterThanOrEqual(1_500);
    expect(reminders[1]!.at - reminders[0]!.at).toBeGreaterThanOrEqual(1_500);

    const mail = await smtp.waitFor(
      (s) => s.mails.find((m) => m.subject.includes('Host down on web-1')),
      10_000,
    );
    expect(mail.envelope.to).toContain('ops@example.com');
    expect(mail.secure).toBe(true);
    expect(mail.text).toContain('/api/v1/incidents/');

    const { items } = await api<{ items: { id: number; kind: string; status: string }[] }>(
      c,
      'GET',
      '/incidents?status=open',
    );
    const incident = items.find((i) => i.kind === 'host_down');
    expect(incident).toBeDefined();
    await api(c, 'POST', `/incidents/${incident!.id}/ack`);
    const ackAt = Date.now();
    await until('the acknowledged message', () => delivered('Acknowledged by', killedAt)[0]);
    // A second host that goes down after the ack and stays down proves a reminder was due
    // meanwhile: its second reminder comes a full 2 s repeat after the ack.
    const control = await addHost(c, 'control-1');
    const controlAgent = agent(c, control.token);
    await online(c, control.host.id);
    controlAgent.child.kill('SIGKILL');
    await until(
      'two reminders of the control host',
      () =>
        delivered('Still open, reminder', ackAt).filter((m) => String(m.body.text).includes('control-1'))
          .length >= 2 || undefined,
      30_000,
    );
    expect(
      delivered('Still open, reminder', ackAt + 500).filter((m) => String(m.body.text).includes('web-1')),
    ).toEqual([]);

    agent(c, token);
    const recovered = await until('the recovery message', () => delivered('Recovered: web-1', killedAt)[0]);
    expect(String(recovered.body.text)).toMatch(/host down for \d+/);
    expect(openedMessages('Host down on web-1', killedAt)).toHaveLength(1);
  });

  it('two backends behind a balancer: one down opens one incident, both down open both', async () => {
    const c = await collector();
    const [a, b] = await Promise.all([tcpServer(), tcpServer()]);
    const port = (s: Server) => (s.address() as AddressInfo).port;
    const { host, token } = await addHost(c, 'lb-1');
    agent(c, token, {
      checks: [
        { name: 'backend-a', type: 'tcp', host: '127.0.0.1', port: port(a), timeout: '1s' },
        { name: 'backend-b', type: 'tcp', host: '127.0.0.1', port: port(b), timeout: '1s' },
      ],
      cadences: { checks: '2s' },
    });
    await online(c, host.id);
    const start = Date.now();
    await until('both backends reported up', async () => {
      const { data } = await api<{ data: { name: string; ok: boolean }[] }>(
        c,
        'GET',
        `/hosts/${host.id}/checks`,
      );
      return data.filter((check) => check.ok).length === 2;
    });

    const closedA = Date.now();
    a.close();
    const downA = await until('backend-a down', () => delivered('Service down: backend-a on lb-1', start)[0]);
    // Two failed checks at the 1 s retry, with room for a busy machine: not a cadence later.
    expect(downA.at - closedA).toBeLessThan(15_000);
    const open = await api<{ items: { kind: string; title: string }[] }>(
      c,
      'GET',
      '/incidents?status=active&kind=service_down',
    );
    expect(open.items.map((i) => i.title)).toEqual(['backend-a on lb-1 is down']);

    b.close();
    await until('backend-b down', () => delivered('Service down: backend-b on lb-1', start)[0]);
    const both = await api<{ items: { title: string }[] }>(
      c,
      'GET',
      '/incidents?status=active&kind=service_down',
    );
    expect(both.items.map((i) => i.title).sort()).toEqual([
      'backend-a on lb-1 is down',
      'backend-b on lb-1 is down',
    ]);
    expect(delivered('Host down', start)).toEqual([]);
  });

  it('Telegram answering 500 and 429 for a while: every message is delivered afterwards, in order', async () => {
    const c = await collector();
    const { host, token } = await addHost(c, 'db-1');
    const a = agent(c, token);
    await online(c, host.id);

    telegram.fail({ status: 500, times: 3, methods: ['sendMessage'] });
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await until('the incident', async () => {
      const { items } = await api<{ items: unknown[] }>(c, 'GET', `/incidents?hostId=${host.id}&status=open`);
      return items.length > 0 ? true : undefined;
    });
    // The outbox retries through the 500s; then Telegram starts answering 429.
    await until(
      'three sends answered 500',
      () => telegram.callsOf('sendMessage').filter((m) => m.status === 500 && m.at >= killedAt).length >= 3,
      30_000,
    );
    telegram.fail({ status: 429, retryAfter: 1, times: 2, methods: ['sendMessage'] });
    agent(c, token);

    const recovered = await until(
      'the recovery message',
      () => delivered('Recovered: db-1', killedAt)[0],
      30_000,
    );
    const sequence = delivered('db-1', killedAt).map((m) => String(m.body.text).split('\n')[0]);
    expect(sequence[0]).toContain('Host down on db-1');
    expect(sequence.at(-1)).toContain('Recovered: db-1');
    expect(openedMessages('Host down on db-1', killedAt)).toHaveLength(1);
    const failed = telegram.callsOf('sendMessage').filter((m) => m.status >= 429 && m.at >= killedAt);
    expect(failed.length).toBeGreaterThan(0);
    expect(recovered.at).toBeGreaterThan(failed.at(-1)!.at);
  });

  it('collector restarted mid-incident: no second "opened", reminders go on, recovery still comes', async () => {
    const first = await collector();
    const { host, token } = await addHost(first, 'app-1');
    const a = agent(first, token);
    await online(first, host.id);
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await until('the down message', () => delivered('Host down on app-1', killedAt)[0]);
    await first.stop('SIGTERM');

    const restartedAt = Date.now();
    const second = await collector({ dataDir: first.dataDir, adminToken: first.adminToken });
    await until('a reminder after the restart', () => delivered('Still open, reminder', restartedAt)[0]);
    agent(second, token);
    await until('the recovery message', () => delivered('Recovered: app-1', killedAt)[0]);
    expect(openedMessages('Host down on app-1', killedAt)).toHaveLength(1);
  });

  it('maintenance suppresses notifications but not detection, and lists what it held back', async () => {
    const c = await collector();
    const { host, token } = await addHost(c, 'batch-1', { role: 'batch' });
    const a = agent(c, token);
    await online(c, host.id);
    const now = Date.now();
    const window = await api<{ id: number }>(c, 'POST', '/maintenance', {
      label: 'role=batch',
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      reason: 'kernel update',
    });

    a.child.kill('SIGKILL');
    const incident = await until('the incident', async () => {
      const { items } = await api<{ items: { id: number; suppressed: number; status: string }[] }>(
        c,
        'GET',
        `/incidents?hostId=${host.id}&status=open`,
      );
      return items[0] && items[0].suppressed >= 2 ? items[0] : undefined;
    });
    expect(incident.status).toBe('open');
    expect(delivered('batch-1', now)).toEqual([]);
    const silences = await api<{ items: { id: number; kind: string; suppressed: number }[] }>(
      c,
      'GET',
      '/silences',
    );
    expect(silences.items.find((s) => s.id === window.id)).toMatchObject({ kind: 'maintenance' });
    expect(silences.items.find((s) => s.id === window.id)!.suppressed).toBeGreaterThanOrEqual(2);
  });
});
