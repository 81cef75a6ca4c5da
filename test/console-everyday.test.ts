// What a console user tripped over in everyday use, driven in a real Chromium against a collector
// process with real agents: chart axes, ages of offline hosts, the phone layout on every page,
// silences and maintenance, the jobs pages, activities over agents' custom actions, the actions
// page's missing parameters, accessibility (axe-core) on every page, and small ones.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { chromiumPath, launchBrowser, screenshot, seriousA11yViolations, signIn } from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

const PASSWORD = 'a long enough password';
const eventually = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 10_000 });
const run = chromiumPath() || process.env.CI ? describe : describe.skip;
// web-1's agent announces two custom actions: one with a parameter, one whose program is missing.
const CUSTOM_ACTIONS = {
  allow: ['uptime', 'ping', 'service-status', 'greet', 'tool-check'],
  custom: [
    {
      name: 'greet',
      description: 'says hello',
      argv: ['echo', 'hello', '{{who}}'],
      params: { who: { type: 'regex', pattern: '^[a-z]+$' } },
    },
    { name: 'tool-check', argv: ['pantau-no-such-tool', '--version'] },
  ],
};

run('web console in everyday use (Chromium)', () => {
  let collector: CollectorProcess;
  let api: Api;
  let browser: Browser;
  let page: Page;
  const agents: Record<string, AgentProcess> = {};
  const hosts: Record<string, number> = {};

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantau-everyday-'));
    [collector, browser] = await Promise.all([startCollectorProcess({ dataDir }), launchBrowser()]);
    api = new Api(collector.url, collector.adminToken);
    const made = await api.call('POST', '/users', { name: 'root', role: 'admin', password: PASSWORD });
    if (made.status !== 201) throw new Error(`POST /users: ${made.status} ${JSON.stringify(made.body)}`);
    for (const name of ['web-1', 'web-2']) {
      const added = await api.addHost(name);
      hosts[name] = added.id;
      await api.call('PATCH', `/hosts/${added.id}`, {
        labels: { env: name === 'web-1' ? 'prod' : 'staging' },
      });
      agents[name] = startAgent(
        collector.wsUrl,
        added.token,
        name === 'web-1' ? { actions: CUSTOM_ACTIONS } : {},
      );
    }
    await until('both agents online', async () => {
      const list = await api.get<{ items: { status: string; latest: unknown }[] }>('/hosts');
      return list.items.filter((h) => h.status === 'online' && h.latest).length === 2;
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, collector.url, 'root', PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(agents).map((a) => a.stop()));
    await browser?.close();
    await collector?.stop();
  });

  it('draws every chart on an axis from now − range to now, whatever the data covers', async () => {
    await page.goto(`${collector.url}/hosts/${hosts['web-1']}`);
    const cpu = page.locator('.chart[data-metric="cpu"]');
    await cpu.locator('canvas').waitFor();
    for (const [range, ms] of [
      ['15m', 15 * 60_000],
      ['24h', 86_400_000],
      ['7d', 7 * 86_400_000],
      ['30d', 30 * 86_400_000],
    ] as const) {
      await page.getByRole('button', { name: range, exact: true }).click();
      // The host is a minute old: its data covers a sliver of these ranges (one point on the long ones).
      await eventually(async () => {
        const min = Number(await cpu.getAttribute('data-x-min')) * 1000;
        const max = Number(await cpu.getAttribute('data-x-max')) * 1000;
        const now = Date.now();
        return Math.abs(max - now) < 90_000 && Math.abs(min - (now - ms)) < 90_000;
      }).toBe(true);
    }
    await page.getByRole('button', { name: '15m', exact: true }).click();
  });

  /** web-2's agent stopped (offline, and a host-down incident); once, by whichever test needs it first. */
  let web2Stopped: Promise<unknown> | undefined;
  const web2Down = () => {
    web2Stopped ??= agents['web-2']!.stop();
    return web2Stopped;
  };

  it('keeps counting an offline host’s last-seen age and greys its stale figures', async () => {
    await page.goto(collector.url);
    await web2Down();
    const row = page.locator('[data-testid="host-row"][data-host="web-2"]');
    await row.locator('.status-offline').waitFor({ timeout: 20_000 });
    const seen = row.locator('.seen');
    // Nothing arrives for an offline host; its age still moves on, second after second.
    const ages = new Set<string | null>();
    await until('three different ages', async () => ages.add(await seen.textContent()).size >= 3, 10_000);
    expect(await row.getByTestId('cpu').evaluate((el) => el.closest('.stale') !== null)).toBe(true);
    const online = page.locator('[data-testid="host-row"][data-host="web-1"]');
    expect(await online.getByTestId('cpu').evaluate((el) => el.closest('.stale') !== null)).toBe(false);
    // Its own page gets no live updates at all (only a reload every 10 s): the age still counts.
    await page.goto(`${collector.url}/hosts/${hosts['web-2']}`);
    const head = page.locator('.page-head .muted').first();
    await head.getByText('last snapshot').waitFor();
    const seenHere = new Set<string>();
    await until(
      'three different ages within 5 s',
      async () => {
        const age = /last snapshot (\S+ ago)/.exec((await head.textContent()) ?? '')?.[1];
        if (age) seenHere.add(age);
        return seenHere.size >= 3;
      },
      5000,
    );
    expect(await page.locator('.now.stale').count()).toBe(1);
  }, 40_000);

  it('keeps the jobs list live, shows stored output of finished runs, and words a missing program for people', async () => {
    await page.goto(`${collector.url}/jobs`);
    await page.getByTestId('jobs').waitFor();
    // Started elsewhere (the API), it appears without a reload.
    const started = await api.call<{ id: number }>('POST', '/jobs', {
      activity: 'uptime',
      targets: { hosts: ['web-1'] },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const row = page.locator(`[data-testid="jobs"] tr[data-job="${started.body.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await eventually(() => row.locator('.badge').textContent()).toBe('succeeded');
    await row.getByRole('button').click();
    const detail = page.getByTestId('job-detail');
    await eventually(() => detail.locator('[data-testid="run-output"]').first().textContent()).toContain(
      'load average',
    );

    // A program the host does not have: said for people, and the CSV carries the reason.
    const tool = await api.call('POST', '/activities', { name: 'tool-check', action: 'tool-check' });
    expect(tool.status, JSON.stringify(tool.body)).toBe(201);
    const failed = await api.call<{ id: number }>('POST', '/jobs', {
      activity: 'tool-check',
      targets: { hosts: ['web-1'] },
    });
    expect(failed.status, JSON.stringify(failed.body)).toBe(201);
    const failedRow = page.locator(`[data-testid="jobs"] tr[data-job="${failed.body.id}"]`);
    await failedRow.waitFor({ timeout: 10_000 });
    await eventually(() => failedRow.locator('.badge').textContent()).toBe('failed');
    await failedRow.getByRole('button').click();
    await eventually(() => detail.locator('tr[data-host="web-1"]').textContent()).toContain(
      'pantau-no-such-tool is not installed on web-1',
    );
    await screenshot(page, 'everyday-jobs');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      detail.getByRole('button', { name: 'export CSV' }).click(),
    ]);
    const [head, first] = readFileSync((await download.path())!, 'utf8').split('\r\n');
    const error = head!.split(',').indexOf('error');
    expect(error, head).toBeGreaterThanOrEqual(0);
    expect(first!.split(',').slice(error).join(',')).toContain('ENOENT');
  }, 40_000);

  it('offers agents’ custom actions on the activity form and refuses a parameter the action does not take', async () => {
    await page.goto(`${collector.url}/admin?tab=activities`);
    const form = page.getByTestId('activity-form');
    await eventually(() =>
      form.locator('#agent-actions option').evaluateAll((os) => os.map((o) => o.getAttribute('value'))),
    ).toEqual(expect.arrayContaining(['uptime', 'greet', 'tool-check']));
    await form.getByLabel('Activity name').fill('greet-someone');
    await form.getByLabel('Agent action').fill('greet');
    await form.getByRole('button', { name: 'add parameter' }).click();
    const row = form.getByTestId('param-row').first();
    await row.getByLabel('Parameter name').fill('whom');
    await row.getByLabel('Kind').selectOption('regex');
    await row.getByLabel('Pattern').fill('^[a-z]+$');
    await form.getByRole('button', { name: 'create activity' }).click();
    await eventually(() => form.getByTestId('activity-error').textContent()).toContain(
      'whom is not a parameter of greet (it takes who)',
    );
    // The API refuses it too, whoever calls.
    const direct = await api.call('POST', '/activities', {
      name: 'greet-direct',
      action: 'greet',
      params: [{ name: 'whom', kind: 'regex', pattern: '^[a-z]+$' }],
    });
    expect(direct.status).toBe(400);
    // An integer default stays an integer.
    const waits = await api.call<{ params: { default?: unknown }[] }>('POST', '/activities', {
      name: 'ping-some',
      action: 'ping',
      params: [{ name: 'count', kind: 'integer', min: 1, max: 10, default: 3 }],
    });
    expect(waits.status, JSON.stringify(waits.body)).toBe(201);
    expect(waits.body.params[0]?.default).toBe(3);
    const listed = await api.get<{ items: { id: string; params: { default?: unknown }[] }[] }>('/activities');
    expect(listed.items.find((a) => a.id === 'ping-some')?.params[0]?.default).toBe(3);
  });

  it('says which required parameter is missing on the actions page', async () => {
    await page.goto(`${collector.url}/actions`);
    await page.getByTestId('host-picks').getByLabel('web-1').check();
    await page.getByLabel('Activity').selectOption('service-status');
    await eventually(() => page.getByTestId('preview-count').textContent()).toContain('unit');
    expect(await page.getByTestId('preview-count').textContent()).toMatch(/unit.*required|required.*unit/);
    const button = page.getByRole('button', { name: /^Run service-status/ });
    expect(await button.isDisabled()).toBe(true);
    expect(await button.textContent()).not.toContain('0 hosts');
    await page.getByTestId('params').getByLabel(/unit/).fill('cron');
    await eventually(() => page.getByTestId('preview-count').textContent()).toBe('1 host will run it');
  });

  it('gives job output the width of a wide screen', async () => {
    await page.goto(`${collector.url}/actions?host=${hosts['web-1']}`);
    await page.getByLabel('Activity').selectOption('uptime');
    await eventually(() => page.getByTestId('preview-count').textContent()).toBe('1 host will run it');
    await page.getByRole('button', { name: /^Run uptime on 1 host$/ }).click();
    const pane = page.locator('[data-testid="pane"][data-host="web-1"]');
    await eventually(() => pane.locator('pre').textContent()).toContain('load average');
    const width = await pane.locator('pre').evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(900);
  });

  it('says what each silence and maintenance window mutes, and takes names, globs, labels or all hosts', async () => {
    await page.goto(`${collector.url}/incidents`);
    const form = page.getByTestId('maintenance-form');
    const entries = page.getByTestId('silence');
    const schedule = async (scope: string, value: string | null, reason: string) => {
      await form.getByLabel('Mutes').selectOption(scope);
      if (value !== null) await form.getByRole('textbox', { name: /^(hosts|label)$/ }).fill(value);
      await form.getByLabel('reason').fill(reason);
      await form.getByRole('button', { name: 'schedule maintenance' }).click();
      await entries.filter({ hasText: reason }).waitFor();
    };
    await schedule('hosts', 'web-1', 'kernel update');
    await schedule('hosts', 'web-*', 'rolling restart');
    await schedule('label', 'env=staging', 'staging rebuild');
    await schedule('all', null, 'network move');
    const scopeOf = (reason: string) =>
      entries.filter({ hasText: reason }).getByTestId('scope').textContent();
    expect(await scopeOf('kernel update')).toBe('host web-1');
    expect(await scopeOf('rolling restart')).toBe('hosts web-*');
    expect(await scopeOf('staging rebuild')).toBe('label env=staging');
    expect(await scopeOf('network move')).toBe('all hosts');
    // An empty hosts field is an error, not everything.
    await form.getByLabel('Mutes').selectOption('hosts');
    await form.getByRole('textbox', { name: 'hosts' }).fill('');
    await form.getByLabel('reason').fill('oops');
    await form.getByRole('button', { name: 'schedule maintenance' }).click();
    expect(await entries.filter({ hasText: 'oops' }).count()).toBe(0);
    // The stored windows match what the page said.
    const stored = await api.get<{ items: { reason: string; hostId: number | null; host: string | null }[] }>(
      '/silences',
    );
    expect(stored.items.find((s) => s.reason === 'kernel update')?.hostId).toBe(hosts['web-1']);
    expect(stored.items.find((s) => s.reason === 'rolling restart')?.host).toBe('web-*');
    // A name nobody has is refused with the collector's reason.
    await form.getByRole('textbox', { name: 'hosts' }).fill('nope-9');
    await form.getByLabel('reason').fill('nobody');
    await form.getByRole('button', { name: 'schedule maintenance' }).click();
    await eventually(() => page.getByRole('status').textContent()).toContain('nope-9');
    await screenshot(page, 'everyday-silences');
  });

  it('shows the small things right: sinks, the add-host form, the install URL warning and port owners', async () => {
    await page.goto(`${collector.url}/admin?tab=sinks`);
    await page.getByText('No notification sinks configured').waitFor();
    expect(await page.getByTestId('sinks').count()).toBe(0);

    await page.getByRole('link', { name: 'Hosts' }).click();
    await page.getByLabel('name', { exact: true }).fill('db-1');
    await page.getByLabel('labels', { exact: true }).fill('env=test');
    await page.getByRole('button', { name: 'add host' }).click();
    await page.getByTestId('install-command').waitFor();
    expect(await page.getByLabel('name', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('labels', { exact: true }).inputValue()).toBe('');
    // This collector listens on 127.0.0.1: the command only works on this machine, and the page says so.
    expect(await page.getByTestId('install-warning').textContent()).toContain('only works on this machine');
    await screenshot(page, 'everyday-host-added');

    await page.goto(`${collector.url}/hosts/${hosts['web-1']}`);
    const ports = page.getByTestId('ports');
    await eventually(() => ports.locator('tbody tr').count()).toBeGreaterThan(0);
    const heads = await ports.locator('th').allTextContents();
    expect(heads).toContain('pid');
  });

  it('shows an incident card opened at the same time as its timeline', async () => {
    await web2Down();
    await until(
      'the host-down incident of web-2',
      async () => {
        const { items } = await api.get<{ items: unknown[] }>(`/incidents?hostId=${hosts['web-2']}`);
        return items.length > 0;
      },
      30_000,
    );
    await page.goto(`${collector.url}/incidents?status=all`);
    const card = page.locator('[data-testid="incident"]').filter({ hasText: 'web-2' }).first();
    await card.waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'timeline' }).click();
    const first = card.locator('.timeline li').filter({ hasText: 'opened' }).first();
    await first.waitFor();
    const at = await first.locator('.muted').first().textContent();
    expect(await card.locator('.card-head').textContent()).toContain(`opened ${at}`);
  }, 40_000);

  const PAGES = (): [string, string][] => [
    ['fleet', '/'],
    ['host', `/hosts/${hosts['web-1']}`],
    ['incidents', '/incidents?status=all'],
    ['actions', '/actions'],
    ['jobs', '/jobs'],
    ['admin users', '/admin?tab=users'],
    ['admin hosts', '/admin?tab=hosts'],
    ['admin tokens', '/admin?tab=tokens'],
    ['admin sinks', '/admin?tab=sinks'],
    ['admin activities', '/admin?tab=activities'],
    ['admin audit', '/admin?tab=audit'],
  ];
  const settle = async (p: Page, path: string) => {
    await p.goto(`${collector.url}${path}`);
    await p.getByTestId('connection').getByText('live').waitFor();
    await p.locator('h1').first().waitFor();
    if (path.startsWith('/hosts')) await p.locator('.chart canvas').first().waitFor();
  };

  it('has no serious or critical accessibility violations on any page (axe-core)', async () => {
    const found: Record<string, string[]> = {};
    const check = async (p: Page, name: string) => {
      const violations = await seriousA11yViolations(p);
      if (violations.length > 0) found[name] = violations;
    };
    for (const [name, path] of PAGES()) {
      await settle(page, path);
      await check(page, name);
    }
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await fresh.goto(collector.url);
    await fresh.getByLabel('Password').waitFor();
    await check(fresh, 'sign-in');
    await fresh.goto(`${collector.url}/set-password#ppl_nothing`);
    await fresh.getByRole('heading', { name: 'Choose a password' }).waitFor();
    await check(fresh, 'set-password');
    await fresh.close();
    expect(found).toEqual({});
  }, 60_000);

  it('fits a phone (390×844) on every page, the signed-in nav included', async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await signIn(phone, collector.url, 'root', PASSWORD);
    const wide: Record<string, number> = {};
    for (const [name, path] of PAGES()) {
      await settle(phone, path);
      const overflow = await phone.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      if (overflow > 0) wide[name] = overflow;
      if (name === 'fleet') await screenshot(phone, 'everyday-phone-fleet');
    }
    // Sign out stays on screen.
    const box = await phone.getByRole('button', { name: 'Sign out' }).boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await phone.close();
    // And the pages before signing in.
    const guest = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    for (const [name, path] of [
      ['sign-in', '/'],
      ['set-password', '/set-password#ppl_nothing'],
    ] as const) {
      await guest.goto(`${collector.url}${path}`);
      await guest.locator('h1').first().waitFor();
      const overflow = await guest.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      if (overflow > 0) wide[name] = overflow;
    }
    await guest.close();
    expect(wide).toEqual({});
  }, 60_000);
});
