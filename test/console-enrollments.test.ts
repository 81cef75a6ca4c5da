// The console's enrollment page in a real Chromium against a collector process: an admin makes a
// code, a real agent uses it, another code is revoked; all through the page and the existing API.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from './support/agent-process.ts';
import { chromiumPath, launchBrowser, screenshot, signIn, watchPage } from './support/browser.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api } from './support/e2e.ts';

const PASSWORD = 'a long enough password';
const eventually = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 10_000 });
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

run('enrollment codes in the console (Chromium)', () => {
  let collector: CollectorProcess;
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  let api: Api;
  const dir = mkdtempSync(join(tmpdir(), 'pantau-console-enroll-'));

  beforeAll(async () => {
    [collector, browser] = await Promise.all([startCollectorProcess(), launchBrowser()]);
    api = new Api(collector.url, collector.adminToken);
    const made = await api.call('POST', '/users', { name: 'ada', role: 'admin', password: PASSWORD });
    expect(made.status).toBe(201);
    await api.call('POST', '/users', { name: 'otto', role: 'operator', password: PASSWORD });
    page = await browser.newPage();
    seen = watchPage(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await collector?.stop('SIGKILL');
    if (collector) rmSync(collector.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('an admin makes a code on the Enroll page; an agent uses it; the list shows which host', async () => {
    await signIn(page, collector.url, 'ada', PASSWORD);
    await page.getByRole('link', { name: 'Enroll' }).click();
    await page.getByRole('heading', { name: 'Enroll hosts' }).waitFor();
    await page.getByText('No enrollment codes yet.').waitFor();
    await page.getByLabel('host name (empty: its hostname)').fill('web-9');
    await page.getByLabel('labels').fill('env=prod');
    await page.getByLabel('valid for').selectOption('1h');
    await page.getByRole('button', { name: 'create code' }).click();
    const code = (await page.getByTestId('enrollment-code').textContent())!;
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(await page.getByTestId('enrollment-install').textContent()).toBe(
      `curl -fsSL ${collector.url}/install/agent.sh | sudo sh -s -- --code ${code}`,
    );
    const row = page.locator('[data-testid=enrollments] tbody tr').first();
    expect(await row.getAttribute('data-status')).toBe('pending');
    expect(await row.textContent()).toContain('env=prod');
    const [listed] = (
      await api.get<{ items: Array<{ id: number; expiresAt: number; createdAt: number }> }>('/enrollments')
    ).items;
    expect(listed!.expiresAt - listed!.createdAt).toBe(3_600_000);
    await screenshot(page, 'enrollments');

    // The enroll command the page shows, used by the real agent CLI (token and config in a temp dir).
    const enrolled = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [
          AGENT_BIN,
          'enroll',
          collector.url,
          code,
          '--token-file',
          join(dir, 't'),
          '--config',
          join(dir, 'c.yaml'),
        ],
        (err, stdout) => resolve({ code: err ? 1 : 0, stdout }),
      ),
    );
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/enrolled as host web-9 \(id (\d+)\)/);
    const hostId = /\(id (\d+)\)/.exec(enrolled.stdout)![1];
    await page.reload();
    await eventually(() =>
      page.locator('[data-testid=enrollments] tbody tr').first().getAttribute('data-status'),
    ).toBe('used');
    const usedBy = page
      .locator('[data-testid=enrollments] tbody tr')
      .first()
      .getByRole('link', { name: `host ${hostId}` });
    expect(await usedBy.getAttribute('href')).toBe(`/hosts/${hostId}`);
    expect(seen.errors).toEqual([]);
  });

  it('revoking a pending code from the page ends it; the API refuses to use it', async () => {
    await page.getByRole('button', { name: 'create code' }).click();
    const code = (await page.getByTestId('enrollment-code').textContent())!;
    // The code just made is the newest; its row appears once the list has reloaded.
    const id = (await api.get<{ items: Array<{ id: number }> }>('/enrollments')).items[0]!.id;
    const row = page.locator(`[data-testid=enrollments] tbody tr[data-enrollment="${id}"]`);
    await eventually(() => row.getAttribute('data-status')).toBe('pending');
    await page.getByRole('button', { name: `revoke code ${id}` }).click();
    await page.getByText(`code ${id} revoked`).waitFor();
    await eventually(() => row.getAttribute('data-status')).toBe('expired');
    // The code shown once is hidden again after another action.
    expect(await page.getByTestId('enrollment-once').count()).toBe(0);
    const used = await fetch(`${collector.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'too-late' }),
    });
    expect(used.status).toBe(401);
    expect(await page.getByRole('button', { name: `revoke code ${id}` }).count()).toBe(0);
  });

  it('an operator sees no Enroll link, and the page says why', async () => {
    const other = await browser.newPage();
    await signIn(other, collector.url, 'otto', PASSWORD);
    expect(await other.getByRole('link', { name: 'Enroll' }).count()).toBe(0);
    await other.goto(`${collector.url}/enrollments`);
    await other.getByText('Your role cannot make enrollment codes.').waitFor();
    await other.close();
  });
});
