// Seed 1's script on the demo topology: nginx balancing two backends, the collector, an agent
// checking both backends and the balancer; alerts go to a fake Telegram.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../scripts/demo/demo.ts';
import { NGINX } from '../scripts/demo/nginx.ts';
import { FakeTelegramServer } from './fakes/telegram-server.ts';
import { freePort } from './support/collector-process.ts';
import { Api } from './support/e2e.ts';
import { until } from './support/until.ts';

const CHAT = '4242';
let telegram: FakeTelegramServer;
let demo: Demo;
let api: Api;
let ports: { a: number; b: number; lb: number };

/** Telegram messages delivered since `since` whose text contains `text`. */
const messages = (text: string, since = 0) =>
  telegram
    .callsOf('sendMessage', { ok: true })
    .filter((c) => c.at >= since && String(c.body.text).includes(text) && String(c.body.chat_id) === CHAT);

const balancer = async () => {
  const res = await fetch(demo.balancerUrl);
  return { status: res.status, body: await res.text() };
};

interface Incident {
  title: string;
  status: string;
}
const activeServiceDown = async () =>
  (await api.get<{ items: Incident[] }>('/incidents?status=active&kind=service_down')).items
    .map((i) => i.title)
    .sort();

beforeAll(async () => {
  if (!NGINX) return;
  telegram = await FakeTelegramServer.start();
  ports = { a: await freePort(), b: await freePort(), lb: await freePort() };
  demo = await startDemo({
    backendPorts: [ports.a, ports.b],
    balancerPort: ports.lb,
    collectorPort: 0,
    telegram: { token: telegram.token, apiRoot: telegram.url, chat: CHAT },
    repeat: '10s',
    logLevel: 'silent',
  });
  api = new Api(`http://127.0.0.1:${demo.collector.port}`, demo.adminToken);
}, 60_000);
afterAll(async () => {
  await demo?.stop();
  await telegram?.close();
});

describe.skipIf(!NGINX)("seed 1's load-balanced scenario", () => {
  it('one backend down: the balancer still answers, "backend down" arrives and repeats every 10 s', async () => {
    await until(
      'all three checks up',
      async () => {
        const checks = await api.get<{ data: Array<{ name: string; ok: boolean }> | null }>(
          `/hosts/${demo.hostId}/checks`,
        );
        return checks.data?.length === 3 && checks.data.every((c) => c.ok);
      },
      30_000,
    );
    expect((await balancer()).status).toBe(200);

    const stoppedAt = Date.now();
    await demo.backends[0].stop();
    const answers = await Promise.all([balancer(), balancer(), balancer()]);
    for (const a of answers)
      expect(a).toEqual({ status: 200, body: expect.stringContaining('backend 2 answered') });

    const down = await until(
      'the backend down alert',
      () => messages(`backend :${ports.a} on demo-host`, stoppedAt)[0],
      20_000,
    );
    expect(String(down.body.text)).toMatch(/Service down: backend :\d+ on demo-host/);
    // Checks every few seconds and two failures, not a snapshot cadence; wide for a busy machine.
    expect(down.at - stoppedAt).toBeLessThan(15_000);
    const reminder = await until(
      'the first reminder',
      () => messages('reminder', stoppedAt).find((m) => String(m.body.text).includes(`backend :${ports.a}`)),
      25_000,
    );
    // Reminders every 10 s (the seed's repeat), give or take the outbox's poll and CPU contention.
    expect(reminder.at - down.at).toBeGreaterThanOrEqual(9_000);
    // The first reminder, not the second (at 20 s).
    expect(reminder.at - down.at).toBeLessThan(19_000);
    expect(await activeServiceDown()).toEqual([`backend :${ports.a} on demo-host is down`]);
  }, 60_000);

  it('both backends down: the balancer answers 502 and both incidents are open', async () => {
    const stoppedAt = Date.now();
    await demo.backends[1].stop();
    expect((await balancer()).status).toBe(502);
    await until(
      'the second backend down alert',
      () => messages(`backend :${ports.b} on demo-host`, stoppedAt)[0],
      20_000,
    );
    await until(
      'both backend incidents (and the balancer) open',
      async () => {
        const open = await activeServiceDown();
        return open.length === 3 ? open : undefined;
      },
      20_000,
    );
    expect(await activeServiceDown()).toEqual(
      [
        `backend :${ports.a} on demo-host is down`,
        `backend :${ports.b} on demo-host is down`,
        `balancer :${ports.lb} on demo-host is down`,
      ].sort(),
    );
  }, 60_000);

  it('both back: two backend recoveries, the balancer answers again', async () => {
    const startedAt = Date.now();
    await demo.backends[0].start();
    await demo.backends[1].start();
    await until(
      'both recoveries',
      () => {
        const recovered = messages('Recovered', startedAt).map((m) => String(m.body.text));
        const a = recovered.some((t) => t.includes(`backend :${ports.a}`));
        const b = recovered.some((t) => t.includes(`backend :${ports.b}`));
        return a && b;
      },
      25_000,
    );
    expect((await balancer()).status).toBe(200);
    await until('no service incident open', async () => (await activeServiceDown()).length === 0, 20_000);
  }, 60_000);
});
