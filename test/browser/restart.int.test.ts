/**
 * The web UI while the lone webapp behind it is killed outright and started again: a run already
 * streaming picks up where its stream was cut and shows its result, and a Run pressed while the
 * webapp is down goes through once it is back. Debian's Chromium, a real webapp and executor, SIGKILL.
 */
import type { Page } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type Browser } from './browser.js';
import { ensureUiBuilt, startService, type Service } from './service.js';

let service: Service;
let browser: Browser;

beforeAll(async () => {
  await ensureUiBuilt();
  service = await startService();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

const SLOW = 'import time\nprint("first", flush=True)\ntime.sleep(6)\nprint("second")\n';

async function pythonEditor(page: Page, code: string): Promise<void> {
  await page.goto(service.url);
  await page.waitForSelector('#language:not([disabled])');
  await page.selectOption('#language', 'python');
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
  await page.fill('#stdin', '');
  if ((await page.locator('details.limits[open]').count()) === 0)
    await page.locator('details.limits summary').click();
  await page.fill('#limit-wall_time', '20s');
}

async function verdict(page: Page): Promise<string> {
  await page.waitForSelector('#result[data-state="finished"], #result[data-state="error"]', {
    timeout: 60_000,
  });
  return (await page.locator('#result-status').textContent()) ?? '';
}

describe('the UI across a restart of the webapp', () => {
  it('shows the result of a run whose stream was cut, with its output once', async () => {
    const page = await browser.newPage();
    await pythonEditor(page, SLOW);
    await page.click('#run');
    const live = page.locator('pre[data-live="true"][data-stream="stdout"]');
    await live.waitFor({ timeout: 30_000 });
    await expect.poll(() => live.textContent({ timeout: 1_000 }), { timeout: 20_000 }).toBe('first\n');

    await service.killWebapp();
    await sleep(1_000);
    await service.startWebapp();

    expect(await verdict(page)).toBe('Accepted');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('first\nsecond\n');
    await screenshot(page, 'restart-01-stream-resumed');
    await page.close();
  }, 120_000);

  it('sends a Run pressed while the webapp is down once it is back, and shows its result', async () => {
    const page = await browser.newPage();
    await pythonEditor(page, 'print("after the restart")\n');
    await service.killWebapp();
    await page.click('#run');
    // The page keeps trying while nothing answers; give it a few tries before the webapp returns.
    await sleep(2_000);
    expect(await page.locator('#result').getAttribute('data-state')).not.toBe('error');
    await service.startWebapp();

    expect(await verdict(page)).toBe('Accepted');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('after the restart\n');
    await screenshot(page, 'restart-02-run-while-down');
    await page.close();
  }, 120_000);
});
