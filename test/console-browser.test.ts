// The web console in a real Chromium against a collector process with real agents.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAccess } from '../packages/collector/src/access/index.ts';
import { loadConfig } from '../packages/collector/src/config/index.ts';
import { EventBus } from '../packages/collector/src/events.ts';
import { Store } from '../packages/collector/src/store/index.ts';
import { AGENT_BIN, type AgentProcess } from './support/agent-process.ts';
import {
  chromiumPath,
  launchBrowser,
  screenshot,
  screenshotOf,
  signIn,
  watchPage,
} from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';
const HOSTILE_LABEL = '<script>alert(2)</script>';
const PASSWORD = 'a long enough password';
// Without Chromium the suite cannot run; CI installs it (.ci/run), so there it always runs.
// expect.poll's 1 s default is too short for a page on a loaded 2-core machine.
const eventually = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 10_000 });
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

run('web console in Chromium', () => {
  let collector: CollectorProcess;
  let api: Api;
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  const agents: AgentProcess[] = [];
  const hosts: Record<string, number> = {};
  const users: Record<string, number> = {};

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantau-console-'));
    // A host name the API would refuse, as old data or a future rename could hold it.
    const store = new Store({ dataDir, busyTimeout: 5000, retention: loadConfig({ env: {} }).retention });
    store.hosts.add(HOSTILE, { note: HOSTILE_LABEL });
    // Somebody who wrote to the Telegram bot and waits for an admin.
    buildAccess({
      db: store.db,
      audit: store.audit,
      events: new EventBus(),
      adminToken: null,
      rejectCooldown: 0,
    }).users.registerTelegram({
      telegramId: 4242,
      chatId: 4242,
      name: 'tg-alice',
      email: 'alice@example.com',
    });
    store.close();
    [collector, browser] = await Promise.all([startCollectorProcess({ dataDir }), launchBrowser()]);
    api = new Api(collector.url, collector.adminToken);
    for (const [name, role] of [
      ['root', 'admin'],
      ['vera', 'viewer'],
    ]) {
      const res = await api.call('POST', '/users', { name, role, password: PASSWORD });
      if (res.status !== 201) throw new Error(`POST /users: ${res.status} ${JSON.stringify(res.body)}`);
      users[name!] = (res.body as { id: number }).id;
    }
    for (const name of ['web-1', 'web-2']) {
      const added = await api.addHost(name);
      hosts[name] = added.id;
      await api.call('PATCH', `/hosts/${added.id}`, {
        labels: { env: name === 'web-1' ? 'prod' : 'staging' },
      });
      agents.push(startAgent(collector.wsUrl, added.token));
    }
    await until('both agents online', async () => {
      const list = await api.get<{ items: { status: string; latest: unknown }[] }>('/hosts');
      return list.items.filter((h) => h.status === 'online' && h.latest).length === 2;
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    seen = watchPage(page);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await browser?.close();
    await collector?.stop();
  });

  // Each test starts on the fleet page signed in as root, whatever the one before it left, so
  // each also passes alone.
  beforeEach(async () => {
    await page.goto(collector.url);
    const form = page.getByLabel('Password');
    await form.or(page.getByTestId('connection').getByText('live')).first().waitFor();
    if (await form.isVisible()) await signIn(page, collector.url, 'root', PASSWORD);
  });

  /** web-2's agent stopped, so a host-down incident opens; once, by whichever test needs it first. */
  let web2Stopped: Promise<unknown> | undefined;
  const web2Down = () => {
    web2Stopped ??= agents[1]!.stop();
    return web2Stopped;
  };

  it('refuses a wrong password on the login page, then signs in, out and in again', async () => {
    await page.context().clearCookies();
    await page.goto(collector.url);
    await page.getByLabel('Name').fill('root');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await eventually(() => page.getByRole('alert').textContent()).toContain('name or password is wrong');
    await screenshot(page, 'login-refused');
    await signIn(page, collector.url, 'root', PASSWORD);
    expect(await page.getByTestId('who').textContent()).toContain('root · admin');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'pantau_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Password').waitFor();
    // The session ended on the server: a reload does not bring the console back.
    await page.reload();
    await page.getByLabel('Password').waitFor();
    await signIn(page, collector.url, 'root', PASSWORD);
    expect(await page.getByRole('heading', { name: 'Fleet' }).isVisible()).toBe(true);
  });

  it('shows every host on the fleet page, online, with numbers that move', async () => {
    const row = page.locator('[data-testid="host-row"][data-host="web-1"]');
    await row.locator('.status-online').waitFor();
    const points = () => row.locator('polyline').first().getAttribute('points');
    const first = await until('a sparkline', async () => ((await points())?.split(' ').length ?? 0) >= 2);
    expect(first).toBe(true);
    const before = await points();
    await eventually(points).not.toBe(before);
    expect(await row.getByTestId('cpu').textContent()).toMatch(/^\d+\.\d %$/);
    expect(await page.getByTestId('fleet-totals').textContent()).toContain('2 of 3 online');
    await screenshot(page, 'fleet');
  });

  it('filters by label and by status, and sorts', async () => {
    const names = () =>
      page
        .locator('[data-testid="host-row"]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')));
    await page.getByLabel('Filter hosts').fill('env=prod');
    await eventually(names).toEqual(['web-1']);
    await page.getByLabel('Filter hosts').fill('');
    await page.getByLabel('Status').selectOption('new');
    await eventually(names).toEqual([HOSTILE]);
    await page.getByLabel('Status').selectOption('all');
    await page.getByLabel('Sort by').selectOption('status');
    await eventually(async () => (await names())[0]).toBe(HOSTILE);
    await page.getByLabel('Sort by').selectOption('name');
  });

  it('renders hostile host names and labels as text', async () => {
    const row = page.locator('[data-testid="host-row"]').filter({ hasText: HOSTILE });
    await row.waitFor();
    expect(await row.locator('a').first().textContent()).toBe(HOSTILE);
    expect(await row.locator('.label').first().textContent()).toBe(`note=${HOSTILE_LABEL}`);
    expect(await page.locator('main img, main script').count()).toBe(0);
    await row.locator('a').first().click();
    await eventually(() => page.getByTestId('host-name').textContent()).toBe(HOSTILE);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(seen.dialogs).toEqual([]);
    await screenshot(page, 'hostile-host');
    await page.goBack();
  });

  it('draws the host page charts from history and keeps them live', async () => {
    await page.goto(`${collector.url}/hosts/${hosts['web-1']}`);
    await eventually(() => page.getByTestId('host-name').textContent()).toBe('web-1');
    const cpu = page.locator('.chart[data-metric="cpu"]');
    await cpu.locator('canvas').waitFor();
    const count = async () => Number(await cpu.getAttribute('data-points'));
    await eventually(count).toBeGreaterThan(0);
    const before = await count();
    await eventually(count).toBeGreaterThan(before);
    expect(await cpu.getAttribute('data-tier')).toBe('raw');
    expect(await page.locator('.chart canvas').count()).toBe(5);
    await eventually(() => page.getByTestId('processes').locator('tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'host');
    await screenshotOf(page.locator('.charts'), 'host-charts');
    // A long range is served from the rollups, not raw rows.
    await page.getByRole('button', { name: '7d' }).click();
    await eventually(() => cpu.getAttribute('data-tier')).toBe('1m');
    expect(seen.errors).toEqual([]);
  });

  it('runs uptime on two hosts from the host page in three clicks and shows both outputs live', async () => {
    await page.goto(`${collector.url}/hosts/${hosts['web-1']}`);
    await page.getByRole('link', { name: 'run an activity on this host' }).click(); // 1
    await page.getByRole('heading', { name: 'Actions' }).waitFor();
    const picks = page.getByTestId('host-picks');
    expect(await picks.getByLabel('web-1').isChecked()).toBe(true);
    await picks.getByLabel('web-2').check(); // 2
    await eventually(() => page.getByTestId('preview-count').textContent()).toBe('2 hosts will run it');
    // The hosts that would not run it are listed with the reason.
    expect(await page.getByTestId('skipped').count()).toBe(0);
    expect(await page.getByLabel('Activity').inputValue()).toBe('uptime');
    await page.getByRole('button', { name: /^Run uptime on 2 hosts$/ }).click(); // 3
    for (const name of ['web-1', 'web-2']) {
      const pane = page.locator(`[data-testid="pane"][data-host="${name}"]`);
      await eventually(() => pane.locator('pre').textContent()).toContain('load average');
      await eventually(() => pane.locator('.badge').textContent()).toBe('succeeded');
    }
    await eventually(() => page.getByTestId('job-state').textContent()).toBe('succeeded');
    await screenshot(page, 'actions');
  });

  it('runs a dangerous activity only after the number of hosts is typed', async () => {
    const made = await api.call('POST', '/activities', {
      name: 'careful-uptime',
      description: 'uptime, treated as dangerous for this test',
      action: 'uptime',
      dangerous: true,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await page.goto(`${collector.url}/actions`);
    await page.getByTestId('host-picks').getByLabel('web-1').check();
    await page.getByLabel('Activity').selectOption({ label: 'careful-uptime (dangerous)' });
    await eventually(() => page.getByTestId('preview-count').textContent()).toBe('1 host will run it');
    await page.getByRole('button', { name: /^Run careful-uptime on 1 host$/ }).click();
    const confirm = page.getByTestId('confirm');
    await confirm.waitFor();
    expect(await page.getByTestId('job-state').textContent()).toBe('awaiting_confirmation');
    const button = confirm.getByRole('button', { name: 'confirm' });
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel('Number of hosts').fill('2');
    expect(await button.isDisabled()).toBe(true);
    // Nothing ran while it waits.
    expect(await page.locator('[data-testid="pane"] pre').count()).toBe(0);
    await screenshot(page, 'actions-confirm');
    await confirm.getByLabel('Number of hosts').fill('1');
    await button.click();
    const pane = page.locator('[data-testid="pane"][data-host="web-1"]');
    await eventually(() => pane.locator('pre').textContent()).toContain('load average');
    await eventually(() => page.getByTestId('job-state').textContent()).toBe('succeeded');
  });

  it('reports the jobs with per-host results and exports them as CSV', async () => {
    for (let i = 0; i < 2; i++) {
      const made = await api.call('POST', '/jobs', {
        activity: 'uptime',
        targets: { hosts: ['web-1', 'web-2'] },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    await page.getByRole('link', { name: 'Jobs' }).click();
    const rows = page.getByTestId('jobs').locator('tbody tr');
    await eventually(() => rows.count()).toBeGreaterThanOrEqual(2);
    const uptime = page
      .getByTestId('jobs')
      .locator('tbody tr')
      .filter({ hasText: /^#\d+uptime/ })
      .first();
    await uptime.getByRole('button').click();
    const detail = page.getByTestId('job-detail');
    for (const name of ['web-1', 'web-2']) {
      await eventually(() => detail.locator(`tr[data-host="${name}"] .badge`).textContent()).toBe(
        'succeeded',
      );
    }
    await screenshot(page, 'jobs');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      detail.getByRole('button', { name: 'export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('web-1');
    expect(csv).toContain('web-2');
    expect(csv.split('\n')[0]).toContain(',');
  });

  it('lets an admin define an activity with an enum parameter, then offers and runs it on the Actions page', async () => {
    await page.goto(`${collector.url}/admin?tab=activities`);
    const table = page.getByTestId('activities');
    await table.locator('[data-activity="uptime"]').waitFor();
    expect(await table.locator('[data-activity="uptime"]').textContent()).toContain('built-in');
    const form = page.getByTestId('activity-form');
    await form.getByLabel('Activity name').fill('unit-status');
    await form.getByLabel('Agent action').fill('uptime');
    await form.getByLabel('Description').fill(HOSTILE);
    await form.getByRole('button', { name: 'add parameter' }).click();
    const row = form.getByTestId('param-row').first();
    await row.getByLabel('Parameter name').fill('unit');
    await row.getByLabel('Kind').selectOption('enum');
    await row.getByLabel('Values (comma-separated)').fill('cron');
    // The collector's refusal shows next to the form, and nothing is created.
    await form.getByRole('button', { name: 'create activity' }).click();
    await eventually(() => form.getByTestId('activity-error').textContent()).toContain(
      'unit is not a parameter of uptime',
    );
    expect(await table.locator('[data-activity="unit-status"]').count()).toBe(0);
    await form.getByLabel('Agent action').fill('service-status');
    await form.getByRole('button', { name: 'create activity' }).click();
    const made = table.locator('[data-activity="unit-status"]');
    await made.waitFor();
    expect(await form.getByTestId('activity-error').count()).toBe(0);
    // The hostile description is text, not markup.
    expect(await made.locator('.muted').textContent()).toBe(HOSTILE);
    expect(await made.locator('img').count()).toBe(0);
    // Edit: a second value.
    await made.getByRole('button', { name: 'edit' }).click();
    expect(await form.getByLabel('Activity name').isDisabled()).toBe(true);
    await form.getByLabel('Values (comma-separated)').fill('cron, ssh');
    await screenshot(page, 'admin-activities');
    await form.getByRole('button', { name: 'save activity' }).click();
    await eventually(() => made.textContent()).toContain('unit*: enum cron | ssh');
    const stored = await api.get<{ items: { id: string; params: { values?: string[] }[] }[] }>('/activities');
    expect(stored.items.find((a) => a.id === 'unit-status')?.params[0]?.values).toEqual(['cron', 'ssh']);

    // The Actions page offers it with a form generated from its schema; web-2's agent allows service-status.
    await page.getByRole('link', { name: 'Actions' }).click();
    await page.getByTestId('host-picks').getByLabel('web-2').check();
    await page.getByLabel('Activity').selectOption({ label: 'unit-status' });
    const unit = page.getByTestId('params').getByLabel('unit');
    expect(await unit.locator('option').allTextContents()).toEqual(['', 'cron', 'ssh']);
    await unit.selectOption('ssh');
    await eventually(() => page.getByTestId('preview-count').textContent()).toBe('1 host will run it');
    await page.getByRole('button', { name: /^Run unit-status on 1 host$/ }).click();
    // systemctl answers with the unit's status, or says why it cannot: either way the agent ran it.
    const pane = page.locator('[data-testid="pane"][data-host="web-2"]');
    await eventually(() => pane.locator('.badge').textContent()).toMatch(/^(succeeded|failed)$/);
    expect((await pane.locator('pre').textContent())?.trim()).not.toBe('');
    const jobText = await page.getByTestId('job-state').locator('..').textContent();
    const jobId = Number(/job #(\d+)/.exec(jobText ?? '')?.[1]);
    const job = await api.get<{ activity: string; params: Record<string, unknown> }>(`/jobs/${jobId}`);
    expect(job.activity).toBe('unit-status');
    expect(job.params).toEqual({ unit: 'ssh' });

    // Deleted, it leaves the list (its job stays in the history).
    await page.goto(`${collector.url}/admin?tab=activities`);
    await made.getByRole('button', { name: 'delete' }).click();
    await eventually(() => made.count()).toBe(0);
    expect((await api.get<{ id: number }>(`/jobs/${jobId}`)).id).toBe(jobId);
    expect(seen.dialogs).toEqual([]);
  });

  it('lists an incident when an agent stops, and acknowledges and resolves it', async () => {
    await web2Down();
    await page.goto(`${collector.url}/incidents`);
    const card = page.locator('[data-testid="incident"]').filter({ hasText: 'web-2' });
    await card.waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'acknowledge' }).click();
    await eventually(() => card.locator('.badge').first().textContent()).toBe('acknowledged');
    await card.getByRole('button', { name: 'timeline' }).click();
    await eventually(() => card.locator('.timeline li').count()).toBeGreaterThan(1);
    // The person by name, not user:<id>.
    await eventually(() => card.locator('.timeline').textContent()).toContain('acknowledged by root');
    expect(await card.locator('.timeline').textContent()).not.toContain(`user:${users.root}`);
    await screenshot(page, 'incidents');
    await card.getByRole('button', { name: 'resolve' }).click();
    await eventually(() => card.count()).toBe(0);
    const list = await api.get<{ items: { hostName: string; status: string }[] }>(
      '/incidents?status=resolved',
    );
    expect(list.items.find((i) => i.hostName === 'web-2')?.status).toBe('resolved');
  }, 40_000);

  it('fits a phone screen (390×844) on the fleet, host and incidents pages', async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await signIn(phone, collector.url, 'root', PASSWORD);
    for (const [path, name] of [
      ['/', 'phone-fleet'],
      [`/hosts/${hosts['web-1']}`, 'phone-host'],
      ['/incidents', 'phone-incidents'],
    ] as const) {
      await phone.goto(`${collector.url}${path}`);
      await phone.getByTestId('connection').getByText('live').waitFor();
      if (path.startsWith('/hosts')) await phone.locator('.chart canvas').first().waitFor();
      // A string runs in the page, where the DOM exists (this file is type-checked without it).
      const overflow = await phone.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow, path).toBeLessThanOrEqual(0);
      await screenshot(phone, name);
    }
    await phone.close();
  });

  it('shows a viewer no actions, answers their POST with 403 and one without CSRF too, and ends their session on a role change', async () => {
    await web2Down();
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(viewer, collector.url, 'vera', PASSWORD);
    await viewer.goto(`${collector.url}/incidents?status=all`);
    await viewer.locator('[data-testid="incident"]').first().waitFor();
    expect(await viewer.getByRole('button', { name: 'acknowledge' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'resolve' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'schedule maintenance' }).count()).toBe(0);
    await screenshot(viewer, 'viewer-incidents');
    // The page's own credentials: the cookie, plus the CSRF token from /session.
    const post = (withCsrf: boolean) =>
      viewer.evaluate<{ status: number; message: string }>(`(async () => {
        const me = await (await fetch('/api/v1/session')).json();
        const res = await fetch('/api/v1/silences', {
          method: 'POST',
          headers: { 'content-type': 'application/json'${withCsrf ? ", 'x-csrf-token': me.csrfToken" : ''} },
          body: JSON.stringify({ all: true, duration: '1h' }),
        });
        return { status: res.status, message: (await res.json()).error.message };
      })()`);
    const forbidden = await post(true);
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toContain('viewer');
    const noCsrf = await post(false);
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.message).toContain('X-CSRF-Token');
    expect((await api.get<{ items: unknown[] }>('/silences')).items).toEqual([]);
    // No activities page for a viewer, and the API refuses her a new activity.
    await viewer.goto(`${collector.url}/admin?tab=activities`);
    await viewer.getByText('Your role cannot use the admin pages.').waitFor();
    expect(await viewer.getByTestId('activity-form').count()).toBe(0);
    const activity = await viewer.evaluate<number>(`(async () => {
      const me = await (await fetch('/api/v1/session')).json();
      const res = await fetch('/api/v1/activities', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ name: 'sneaky', action: 'uptime' }),
      });
      return res.status;
    })()`);
    expect(activity).toBe(403);
    expect((await api.get<{ items: { id: string }[] }>('/activities')).items.map((a) => a.id)).not.toContain(
      'sneaky',
    );
    // An admin makes vera an operator: her session ends at once and the page asks her to sign in.
    await api.call('PATCH', `/users/${users.vera}`, { role: 'operator' });
    await viewer.getByLabel('Password').waitFor({ timeout: 10_000 });
    await viewer.close();
  });

  it('lets an admin approve a Telegram applicant and add a host whose install command works', async () => {
    await page.goto(`${collector.url}/admin?tab=users`);
    const applicant = page.locator('[data-testid="applicant"][data-user="tg-alice"]');
    await applicant.waitFor();
    await screenshot(page, 'admin-users');
    await applicant.getByLabel('Role for tg-alice').selectOption('operator');
    await applicant.getByRole('button', { name: 'approve' }).click();
    await page.locator('[data-testid="users"] tr[data-user="tg-alice"]').waitFor();
    const users = await api.get<{ items: { name: string; status: string; role: string }[] }>('/users');
    expect(users.items.find((u) => u.name === 'tg-alice')).toMatchObject({
      status: 'active',
      role: 'operator',
    });

    // An admin sets vera's password by hand; the old one stops working.
    const vera = page.locator('[data-testid="users"] tr[data-user="vera"]');
    await vera.getByRole('button', { name: 'set password' }).click();
    await vera.getByLabel('New password for vera').fill(`${PASSWORD} 2`);
    await vera.getByRole('button', { name: 'save' }).click();
    await eventually(() => page.getByRole('status').textContent()).toContain('password of vera set');
    const login = async (password: string) =>
      (
        await fetch(`${collector.url}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'vera', password }),
        })
      ).status;
    expect(await login(`${PASSWORD} 2`)).toBe(200);
    expect(await login(PASSWORD)).toBe(401);

    // A webhook sink, added on its tab, is listed with the users' contact points.
    await page.getByRole('link', { name: 'Notification sinks' }).click();
    await page.getByLabel('name', { exact: true }).fill('ops-hook');
    await page.getByLabel('address').fill('http://127.0.0.1:9/hook');
    await page.getByRole('button', { name: 'add sink' }).click();
    await page.getByTestId('sinks').getByText('ops-hook').waitFor();

    await page.getByRole('link', { name: 'Hosts' }).click();
    await page.getByLabel('name', { exact: true }).fill('new-box');
    await page.getByLabel('labels', { exact: true }).fill('env=test, role=db');
    await page.getByRole('button', { name: 'add host' }).click();
    const install = (await page.getByTestId('install-command').textContent()) ?? '';
    const shown =
      /^curl -fsSL (http:\/\/127\.0\.0\.1:\d+)\/install\/agent\.sh \| sudo sh -s -- --token (pag_[\w-]+)$/.exec(
        install,
      );
    expect(shown, install).not.toBeNull();
    const [, base, token] = shown!;
    expect(base).toBe(collector.url);
    await screenshot(page, 'admin-host-added');
    // The script the command pipes into sh is served by this collector.
    const script = await fetch(`${base}/install/agent.sh`);
    expect(script.status).toBe(200);
    await script.text();
    // Run the agent with exactly the collector and token the command carries (the script would
    // install it as a service, which needs root and systemd).
    const env = { PANTAU_COLLECTOR_URL: `${base!.replace(/^http/, 'ws')}/agent`, PANTAU_TOKEN: token! };
    expect(await page.getByTestId('run-command').textContent()).toBe(
      `PANTAU_COLLECTOR_URL='${env.PANTAU_COLLECTOR_URL}' PANTAU_TOKEN='${token}' pantau-agent run`,
    );
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
    const agent = spawn(process.execPath, [AGENT_BIN, 'run'], { env: { ...clean, ...env }, stdio: 'ignore' });
    try {
      await page.getByRole('link', { name: 'Fleet' }).click();
      await page
        .locator('[data-testid="host-row"][data-host="new-box"] .status-online')
        .waitFor({ timeout: 15_000 });
      const host = (
        await api.get<{ items: { name: string; labels: Record<string, string> }[] }>('/hosts')
      ).items.find((h) => h.name === 'new-box');
      expect(host?.labels).toEqual({ env: 'test', role: 'db' });
    } finally {
      agent.kill('SIGTERM');
    }
  }, 40_000);

  it('shows the audit log by name and finds a person’s rows by their name', async () => {
    await page.goto(`${collector.url}/admin?tab=audit`);
    const table = page.getByTestId('audit');
    await eventually(() => table.locator('tbody tr').count()).toBeGreaterThan(3);
    await page.getByLabel('Actor').fill('root');
    await page.getByLabel('Actor').press('Enter');
    await eventually(async () => {
      const who = await table.locator('tbody tr td:nth-child(2)').allTextContents();
      return who.length > 0 && who.every((name) => name === 'root');
    }).toBe(true);
    const actions = await table.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toContain('session.login');
    expect(await table.textContent()).not.toContain(`user:${users.root}`);
  });

  it('creates an API token on its tab, shows the secret once, and revokes it', async () => {
    const made = (await api.call('POST', '/tokens', { name: 'stale-bot', role: 'viewer' })).body as {
      token: { id: number };
    };
    await page.goto(`${collector.url}/admin?tab=tokens`);
    const row = (name: string) =>
      page.locator('tr').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row('stale-bot').waitFor();
    await page.getByLabel('name', { exact: true }).fill('ci-bot');
    await page.getByLabel(/^role/).selectOption('operator');
    await page.getByRole('button', { name: 'create token' }).click();
    await eventually(() => page.getByRole('status').textContent()).toBe('token ci-bot created');
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    const hostsWith = async (token: string) =>
      (await fetch(`${collector.url}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } }))
        .status;
    expect(await hostsWith(secret)).toBe(200);
    await row('ci-bot').waitFor();
    expect(await row('ci-bot').locator('td').nth(1).textContent()).toBe('operator');

    // Revoked elsewhere while the page shows it: the refusal is shown, the secret stays in sight.
    await api.call('DELETE', `/tokens/${made.token.id}`);
    await row('stale-bot').getByRole('button', { name: 'revoke' }).click();
    await eventually(() => page.getByRole('status').textContent()).toBe(
      `no live token with id ${made.token.id} (NOT_FOUND)`,
    );
    expect(await page.getByTestId('token-secret').textContent()).toBe(secret);

    // Revoking hides the secret shown before, and the token stops working.
    await row('ci-bot').getByRole('button', { name: 'revoke' }).click();
    await eventually(() => page.getByRole('status').textContent()).toBe('token ci-bot revoked');
    await eventually(() => page.getByTestId('token-secret').count()).toBe(0);
    await eventually(() => row('ci-bot').locator('.muted').textContent()).toMatch(/^revoked /);
    expect(await hostsWith(secret)).toBe(401);
    expect(seen.dialogs).toEqual([]);
  });

  it('says when the collector goes away and reconnects by itself', async () => {
    await page.goto(collector.url);
    await page.getByTestId('connection').getByText('live').waitFor();
    const { port, dataDir, adminToken } = collector;
    // A collector that does not exit is a failure to report, not a test timeout to wait out.
    const gone = collector;
    const stopped = gone.stop();
    const exited = () => gone.child.exitCode !== null || gone.child.signalCode !== null;
    await until(
      () => `the collector to exit on SIGTERM:\n${gone.output().slice(-3000)}`,
      exited,
      8_000,
    ).catch((err: unknown) => {
      gone.child.kill('SIGKILL');
      throw err;
    });
    await stopped;
    await page.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
    await screenshot(page, 'collector-away');
    collector = await startCollectorProcess({ port, dataDir, adminToken });
    await page.getByTestId('connection').getByText('live').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('offline-banner').count()).toBe(0);
    // Still signed in: the stream came back with the same token, no reload needed.
    await page
      .locator('[data-testid="host-row"][data-host="web-1"] .status-online')
      .waitFor({ timeout: 15_000 });
  }, 45_000);
});
