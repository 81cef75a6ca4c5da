// The incident card in a real Chromium against a collector process with a real agent: a host
// whose agent dies and comes back flaps; its incident resolves whenever the host is back, and
// the card shows flapping, silenced-until and acknowledged-by at a glance.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { chromiumPath, launchBrowser, screenshot, signIn } from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

const PASSWORD = 'a long enough password';
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

interface IncidentRow {
  id: number;
  kind: string;
  status: string;
  flappingSince: number | null;
}

run('incident card marks in Chromium', { timeout: 90_000 }, () => {
  let collector: CollectorProcess;
  let api: Api;
  let browser: Browser;
  let page: Page;
  let hostId = 0;
  let token = '';
  let agent: AgentProcess | undefined;

  const hostDown = async () =>
    (await api.get<{ items: IncidentRow[] }>(`/incidents?hostId=${hostId}`)).items.filter(
      (i) => i.kind === 'host_down',
    );
  const status = async () => (await api.host(hostId)).status;
  const up = async () => {
    agent = startAgent(collector.wsUrl, token);
    await until('web-1 online', async () => (await status()) === 'online', 20_000);
  };
  const down = async () => {
    agent?.child.kill('SIGKILL');
    await agent?.stop();
    await until('web-1 offline', async () => (await status()) === 'offline');
  };

  beforeAll(async () => {
    [collector, browser] = await Promise.all([
      startCollectorProcess({
        env: {
          PANTAU_MONITOR: JSON.stringify({ grace: '1s', thresholds: [], policy: { flapOpenings: 2 } }),
        },
      }),
      launchBrowser(),
    ]);
    api = new Api(collector.url, collector.adminToken);
    const res = await api.call('POST', '/users', { name: 'root', role: 'admin', password: PASSWORD });
    if (res.status !== 201) throw new Error(`POST /users: ${res.status} ${JSON.stringify(res.body)}`);
    ({ id: hostId, token } = await api.addHost('web-1'));
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await collector?.stop();
  });

  it('a flapping host: resolved while online, one incident reopened, marked on its card', async () => {
    await up();
    for (let bounce = 1; bounce <= 2; bounce++) {
      await down();
      await until(`host_down #${bounce} open`, async () =>
        (await hostDown()).some((i) => i.status === 'open'),
      );
      await up();
    }
    // Back online after the second opening: flapping, and resolved, not held open.
    const [flapping] = await until('the flapping incident resolved', async () => {
      const all = await hostDown();
      return all.every((i) => i.status === 'resolved') && all[0]?.flappingSince ? all : undefined;
    });
    expect(flapping!.flappingSince).not.toBeNull();

    // Down again within the flap window: the same incident reopens.
    await down();
    await until('the incident reopened', async () => {
      const all = await hostDown();
      return all.length === 2 && all[0]!.id === flapping!.id && all[0]!.status === 'open';
    });
    const silenced = await api.call('POST', '/silences', { incidentId: flapping!.id, duration: '1h' });
    expect(silenced.status).toBe(201);

    await signIn(page, collector.url, 'root', PASSWORD);
    await page.goto(`${collector.url}/incidents`);
    const card = page.getByTestId('incident').filter({ hasText: `web-1` }).first();
    await card.getByRole('button', { name: 'acknowledge' }).click();
    const marks = card.getByTestId('incident-marks');
    // The person's name, as everywhere a person reads (the id stays in the API's acknowledgedBy).
    await expect.poll(() => marks.textContent(), { timeout: 10_000 }).toContain('acknowledged by root');
    const text = (await marks.textContent()) ?? '';
    expect(text).toContain('flapping');
    expect(text).toMatch(/silenced until \S+/);
    await screenshot(page, 'incident-marks');
  });
});
