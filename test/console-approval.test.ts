// Four-eyes approval and interleaved output in the web console, in a real Chromium against a
// collector process in four-eyes mode with a real agent.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { chromiumPath, launchBrowser, screenshot, signIn, watchPage } from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

const PASSWORD = 'a long enough password';
const eventually = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 10_000 });
// Without Chromium the suite cannot run; CI installs it (.ci/run), so there it always runs.
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

run('web console: approval and output streams', () => {
  let collector: CollectorProcess;
  let api: Api;
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  let agent: AgentProcess;
  let hostId: number;
  let annToken: string;

  beforeAll(async () => {
    [collector, browser] = await Promise.all([
      startCollectorProcess({ env: { PANTAU_JOBS_FOUR_EYES: 'true' } }),
      launchBrowser(),
    ]);
    api = new Api(collector.url, collector.adminToken);
    const ids: Record<string, number> = {};
    for (const name of ['ann', 'bob']) {
      const res = await api.call('POST', '/users', { name, role: 'admin', password: PASSWORD });
      if (res.status !== 201) throw new Error(`POST /users: ${res.status} ${JSON.stringify(res.body)}`);
      ids[name] = (res.body as { id: number }).id;
    }
    annToken = (
      await api.call<{ secret: string }>('POST', '/tokens', { name: 'ann', role: 'admin', userId: ids.ann })
    ).body.secret;
    const added = await api.addHost('app-1');
    hostId = added.id;
    agent = startAgent(collector.wsUrl, added.token, {
      actions: {
        allow: ['pretend', 'both'],
        custom: [
          { name: 'pretend', argv: ['echo', 'pretending to reboot'], dangerous: true },
          {
            name: 'both',
            argv: [
              process.execPath,
              '-e',
              `[['stdout', 'first'], ['stderr', 'second'], ['stdout', 'third'], ['stderr', 'fourth']]
                .forEach(([s, l], i) => setTimeout(() => process[s].write(l + '\\n'), i * 30));`,
            ],
          },
        ],
      },
    });
    await until('the agent online', async () => {
      const host = await api.get<{ status: string }>(`/hosts/${hostId}`);
      return host.status === 'online';
    });
    for (const [name, dangerous] of [
      ['pretend', true],
      ['both', false],
    ] as const) {
      const res = await api.call('POST', '/activities', { name, action: name, dangerous });
      if (res.status !== 201) throw new Error(`POST /activities: ${res.status} ${JSON.stringify(res.body)}`);
    }
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    seen = watchPage(page);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await collector?.stop();
  });

  it('shows a job confirmed through the API under awaiting_approval, and another admin approves it there', async () => {
    const ann = new Api(collector.url, annToken);
    const job = (
      await ann.call<{ id: number }>('POST', '/jobs', { activity: 'pretend', targets: { hosts: [hostId] } })
    ).body;
    expect((await ann.call<{ state: string }>('POST', `/jobs/${job.id}/confirm`)).body.state).toBe(
      'awaiting_approval',
    );

    await signIn(page, collector.url, 'bob', PASSWORD);
    // The link an e-mailed approval request carries.
    await page.goto(`${collector.url}/jobs?state=awaiting_approval`);
    const row = page.locator(`[data-job="${job.id}"]`);
    await row.getByRole('button').click();
    const approve = page.getByTestId('approve');
    await eventually(() => approve.textContent()).toContain('ann confirmed this job');
    await screenshot(page, 'jobs-approve');
    await approve.getByRole('button', { name: 'Approve' }).click();
    await eventually(async () => (await api.get<{ state: string }>(`/jobs/${job.id}`)).state).toBe(
      'succeeded',
    );
    const done = await api.get<{ approvedBy: string }>(`/jobs/${job.id}`);
    expect(done.approvedBy).toMatch(/^user:\d+$/);
    expect(seen.errors).toEqual([]);
  });

  it('shows stdout and stderr interleaved in the order written, stderr marked', async () => {
    await page.goto(`${collector.url}/actions?host=${hostId}`);
    await page.getByLabel('Activity').selectOption({ label: 'both' });
    await page.getByRole('button', { name: /^Run both on 1 host$/ }).click();
    await eventually(() => page.getByTestId('job-state').textContent()).toBe('succeeded');
    // A string runs in the page, where the DOM exists (this file is type-checked without it).
    const shown = await page.evaluate<string[][]>(
      `[...document.querySelectorAll('[data-testid="pane"] pre span[data-stream]')].map((s) =>
        [s.dataset.stream, s.textContent, getComputedStyle(s).borderLeftStyle])`,
    );
    expect(shown).toEqual([
      ['stdout', 'first\n', 'none'],
      ['stderr', 'second\n', 'solid'],
      ['stdout', 'third\n', 'none'],
      ['stderr', 'fourth\n', 'solid'],
    ]);
    await screenshot(page, 'actions-streams');
    expect(seen.errors).toEqual([]);
  });
});
