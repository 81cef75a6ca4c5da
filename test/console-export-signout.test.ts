// A job export answered 401 signs the tab out like every other API call, in a real Chromium
// against a collector process.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchBrowser, signIn } from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api } from './support/e2e.ts';

const PASSWORD = 'a long enough password';
// Without Chromium the suite cannot run; CI installs it (.ci/run), so there it always runs.
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

run('web console: job export without a session', () => {
  let collector: CollectorProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [collector, browser] = await Promise.all([startCollectorProcess({}), launchBrowser()]);
    const api = new Api(collector.url, collector.adminToken);
    const res = await api.call('POST', '/users', { name: 'root', role: 'admin', password: PASSWORD });
    if (res.status !== 201) throw new Error(`POST /users: ${res.status} ${JSON.stringify(res.body)}`);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('goes back to the login page when the export is refused with 401', async () => {
    await signIn(page, collector.url, 'root', PASSWORD);
    await page.getByRole('link', { name: 'Jobs' }).click();
    const exportButton = page.getByRole('button', { name: 'export 30 days (CSV)' });
    await exportButton.waitFor();
    // The session cookie is gone (as after it expired): the next request is a 401.
    await page.context().clearCookies();
    await exportButton.click();
    await page.getByLabel('Password').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
  });
});
