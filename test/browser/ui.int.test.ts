/**
 * The web UI end to end: Debian's Chromium against a real webapp and executor started by this file.
 * Every test leaves a screenshot in test-output/browser/ so a person can see what the page showed.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, SCREENSHOTS, type Browser } from './browser.js';
import { ensureUiBuilt, startService, type Service } from './service.js';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/keys.js';
import { parkPool, poolQueueName, unparkPools } from '../../common/pools.js';
import { TEST_REDIS_URL } from '../support/isolation.js';
import { publishedLanguage } from '../support/published-language.js';

const STREAMING_PYTHON = [
  'import sys, time',
  'name = sys.stdin.readline().strip()',
  'print(f"Hello, {name}!", flush=True)',
  'time.sleep(3)',
  'print("Goodbye")',
  '',
].join('\n');

let service: Service;
let browser: Browser;

async function openEditor(page: Page, path = '/'): Promise<void> {
  await page.goto(service.url + path);
  await page.waitForSelector('#language:not([disabled])');
}

/** Replaces the editor's text the way a person would: focus, select all, type (as one input event). */
async function setCode(page: Page, code: string): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

/** A fresh editor on Python holding `code`, as most tests start. */
async function openPythonEditor(page: Page, code: string): Promise<void> {
  await openEditor(page);
  await page.selectOption('#language', 'python');
  await setCode(page, code);
}

/** Sets a limit in the form, opening its section first. The draft keeps it: tests clear it after. */
async function setLimit(page: Page, name: string, value: string): Promise<void> {
  if ((await page.locator('details.limits[open]').count()) === 0)
    await page.locator('details.limits summary').click();
  await page.fill(`#limit-${name}`, value);
}

const status = (page: Page) => page.locator('#result-status');

/**
 * Text of an element for expect.poll. Each call is bounded: unbounded, one call for an element that
 * never appears waits Playwright's 30 s default, and the poll's last try waits again, so the test
 * would reach its own time limit with no message.
 */
const textOf = (locator: Locator) => locator.textContent({ timeout: 1_000 });
const POLL = { timeout: 10_000 };

async function waitForVerdict(page: Page): Promise<string> {
  await page.waitForSelector(
    '#result[data-state="finished"], #result[data-state="error"], #result[data-state="cancelled"]',
    {
      timeout: 30_000,
    },
  );
  return (await status(page).textContent()) ?? '';
}

beforeAll(async () => {
  await ensureUiBuilt();
  service = await startService();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe('the web UI', () => {
  let permalink = '';

  it("runs a newcomer's starter as shown: the stdin box holds the line the starter reads", async () => {
    const page = await browser.newPage();
    await openEditor(page);
    await page.selectOption('#language', 'python');
    expect(await page.locator('#stdin').inputValue()).toBe('World\n');
    await page.click('#run');
    expect(await waitForVerdict(page)).toBe('Accepted');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('Hello, World!\n');
    await page.close();
  });

  it('runs a Python program that reads stdin, streams its output, then shows the verdict', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, STREAMING_PYTHON);
    await page.fill('#stdin', 'Ada');
    await page.click('#run');

    // The first line arrives through the event stream while the program is still sleeping.
    const live = page.locator('pre[data-live="true"][data-stream="stdout"]');
    await live.waitFor({ timeout: 30_000 });
    await expect.poll(() => textOf(live), POLL).toContain('Hello, Ada!');
    expect(await status(page).textContent()).toBe('Running…');
    await screenshot(page, '01-python-streaming');

    expect(await waitForVerdict(page)).toBe('Accepted');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('Hello, Ada!\nGoodbye\n');
    expect(await page.locator('[data-fact="exit-code"] dd').textContent()).toBe('0');
    permalink = (await page.locator('a.permalink').getAttribute('href')) ?? '';
    expect(permalink).toMatch(/^\/s\/[\w-]+$/);
    await screenshot(page, '02-python-accepted');
    await page.close();
  });

  it('opens the permanent link in a fresh browser with the code, input and result, and edits a copy', async () => {
    expect(permalink).not.toBe('');
    const other = await launchBrowser();
    try {
      const page = await other.newPage();
      await page.goto(service.url + permalink);
      expect(await waitForVerdict(page)).toBe('Accepted');
      await expect.poll(() => textOf(page.locator('#code .cm-content')), POLL).toContain('time.sleep(3)');
      expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('Hello, Ada!\nGoodbye\n');
      await page.getByRole('heading', { name: 'Input (stdin)' }).waitFor({ timeout: 10_000 });
      await expect.poll(() => textOf(page.locator('.inputs pre').first()), POLL).toBe('Ada');
      await screenshot(page, '03-permalink-fresh-browser');

      await other.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url });
      await page.getByRole('button', { name: 'Copy link' }).click();
      await expect
        .poll(() => page.evaluate<string>('navigator.clipboard.readText()'))
        .toBe(service.url + permalink);

      await page.getByRole('button', { name: 'Edit a copy' }).click();
      await page.waitForURL(`${service.url}/`);
      await page.waitForSelector('#language:not([disabled])');
      expect(await page.locator('#language').inputValue()).toBe('python');
      await expect.poll(() => textOf(page.locator('#editor .cm-content')), POLL).toContain('time.sleep(3)');
      expect(await page.locator('#stdin').inputValue()).toBe('Ada');
    } finally {
      await other.close();
    }
  });

  it('follows a run live on its permanent page opened elsewhere while it is still running', async () => {
    // The watcher's browser starts before the run: starting Chromium is the slow part of opening the
    // page, and on a slow machine it alone once outlasted the program, leaving nothing live to follow.
    const other = await launchBrowser();
    try {
      const watcher = await other.newPage();
      const page = await browser.newPage();
      await openPythonEditor(
        page,
        'import time\nprint("first", flush=True)\ntime.sleep(5)\nprint("second")\n',
      );
      // Above the default wall limit of 5 s; cleared below for the tests that follow.
      await setLimit(page, 'wall_time', '20s');
      await page.click('#run');
      const link = page.locator('a.permalink');
      await link.waitFor();
      const href = (await link.getAttribute('href')) ?? '';

      await watcher.goto(service.url + href);
      // Bounded per call, so that a page without live output fails here with what it showed instead
      // of each call waiting out Playwright's default timeout.
      const live = watcher.locator('pre[data-live="true"][data-stream="stdout"]');
      const shown = async (): Promise<string | null> =>
        (await live.count()) > 0
          ? textOf(live)
          : `no live output; the status says ${await textOf(status(watcher))}`;
      await expect.poll(shown, { timeout: 20_000 }).toBe('first\n');
      expect(await status(watcher).textContent()).toBe('Running…');
      await screenshot(watcher, '03-permalink-while-running');
      expect(await waitForVerdict(watcher)).toBe('Accepted');
      expect(await watcher.locator('pre[data-stream="stdout"]').textContent()).toBe('first\nsecond\n');
      await waitForVerdict(page);
      await page.fill('#limit-wall_time', '');
      await page.close();
    } finally {
      await other.close();
    }
  });

  it('shows a C compile error with the compiler message', async () => {
    const page = await browser.newPage();
    await openEditor(page);
    await page.selectOption('#language', 'c');
    await setCode(page, 'int main(void) {\n  return undeclared_thing;\n}\n');
    await page.click('#run');
    expect(await waitForVerdict(page)).toBe('Compile error');
    const compiler = page.locator('pre[data-stream="compile"]');
    expect(await compiler.textContent()).toContain('undeclared_thing');
    await screenshot(page, '04-c-compile-error');
    await page.close();
  });

  it('shows a time limit verdict for a program that never ends', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, 'while True:\n    pass\n');
    await page.fill('#stdin', '');
    await setLimit(page, 'cpu_time', '1s');
    await page.click('#run');
    expect(await waitForVerdict(page)).toMatch(/^Time limit exceeded/);
    await screenshot(page, '05-time-limit');
    // The limit stays in the draft; clear it for the tests that follow.
    await page.fill('#limit-cpu_time', '');
    await page.close();
  });

  it('shows an API error as a sentence that says what to do next', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, 'print("never runs")\n');
    await setLimit(page, 'cpu_time', 'a while');
    await page.click('#run');
    expect(await waitForVerdict(page)).toBe(
      'A limit is not valid. cpu_time "a while" is not understood; write it like "2s" or "500ms". Correct it and press Run again.',
    );
    expect(await status(page).getAttribute('role')).toBe('alert');
    await screenshot(page, '06-api-error');
    await page.fill('#limit-cpu_time', '');
    await page.close();
  });

  it('can be used with the keyboard alone', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, '');
    await page.fill('#stdin', '');
    await page.goto(service.url + '/');
    await page.waitForSelector('#language:not([disabled])');

    // Page-side code is passed as text: this file is compiled without the DOM library.
    const focused = () =>
      page.evaluate<string>("document.activeElement?.id || String(document.activeElement?.className ?? '')");
    const tabTo = async (want: (f: string) => boolean): Promise<void> => {
      for (let i = 0; i < 20 && !want(await focused()); i++) await page.keyboard.press('Tab');
      expect(want(await focused())).toBe(true);
    };
    await tabTo((f) => f.includes('cm-content'));
    await page.keyboard.type('print("Hello, " + input() + "!")');
    await tabTo((f) => f === 'stdin');
    await page.keyboard.type('Bob');
    await page.keyboard.press('Control+Enter');
    expect(await waitForVerdict(page)).toBe('Accepted');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe('Hello, Bob!\n');
    await tabTo((f) => f === 'run');
    // The focused control carries a visible outline.
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await screenshot(page, '07-keyboard-only');
    await page.close();
  });

  it('shows terminal escapes, markup and binary output as inert text', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, 'print("\\x1b[31mred\\x1b[0m <b>bold</b> \\x07done")\n');
    await page.click('#run');
    expect(await waitForVerdict(page)).toBe('Accepted');
    const stdout = page.locator('pre[data-stream="stdout"]');
    expect(await stdout.textContent()).toBe('red <b>bold</b> \u2407done\n');
    expect(await stdout.locator('b').count()).toBe(0);
    await screenshot(page, '08-escapes-and-markup');

    await setCode(page, 'import sys\nsys.stdout.buffer.write(bytes(range(256)) * 4)\n');
    await page.click('#run');
    await page.waitForSelector('.output-stdout .note');
    expect(await waitForVerdict(page)).toBe('Accepted');
    expect(await page.locator('.output-stdout .note').textContent()).toBe(
      'This output is not text (1024 bytes), so it is shown in hexadecimal.',
    );
    expect((await stdout.textContent())?.split('\n')[0]).toBe(
      '00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................',
    );
    await screenshot(page, '08-binary-output');
    await page.close();
  });

  it('keeps the draft across a reload', async () => {
    const page = await browser.newPage();
    await openPythonEditor(page, 'print("kept")\n');
    await page.fill('#stdin', 'draft input');
    await page.fill('#args', 'one "two words"');
    await page.reload();
    await page.waitForSelector('#language:not([disabled])');
    await expect.poll(() => textOf(page.locator('#editor .cm-content')), POLL).toContain('print("kept")');
    expect(await page.locator('#stdin').inputValue()).toBe('draft input');
    expect(await page.locator('#args').inputValue()).toBe('one "two words"');
    await page.fill('#args', '');
    await page.close();
  });

  it('holds its layout on a phone in the dark theme, and the toggle switches to light', async () => {
    const phone = await launchBrowser({ colorScheme: 'dark', mobile: true });
    try {
      const page = await phone.newPage();
      await openEditor(page);
      await page.fill('#stdin', 'Grace');
      await page.click('#run');
      expect(await waitForVerdict(page)).toBe('Accepted');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe('rgb(13, 17, 23)');
      await screenshot(page, '09-phone-dark');
      await page.getByRole('button', { name: 'Switch to the light theme' }).click();
      expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe(
        'rgb(255, 255, 255)',
      );
      await page.reload();
      expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe(
        'rgb(255, 255, 255)',
      );
    } finally {
      await phone.close();
    }
  });

  it('shows the history of runs and the service status', async () => {
    const page = await browser.newPage();
    await page.goto(service.url + '/history');
    expect(await page.locator('ol.history li').count()).toBeGreaterThanOrEqual(4);
    await screenshot(page, '10-history');
    await page.goto(service.url + '/status');
    await page.waitForSelector('[data-fact="executors"]');
    expect(await page.locator('[data-fact="executors"] dd').textContent()).toBe('1');
    await page.waitForSelector('ul.languages li strong');
    await screenshot(page, '11-status');
    await page.close();
  });

  it('offers a language only a pool at zero has, and says its first run waits for an executor', async () => {
    // What the controller leaves for a pool it scaled to zero (controller/autoscale/parking.ts).
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
    const keys = redisKeys(service.prefix);
    // A language the running executor does not have, so only the parked pool offers it.
    const zig = publishedLanguage('zig', { name: 'Zig', version: '0.13.0', compiled: true });
    await parkPool(redis, keys, {
      pool: 'big',
      queue: poolQueueName('big'),
      languages: [zig],
      at: Date.now(),
    });
    const page = await browser.newPage();
    try {
      const option = page.locator('#language option[value="zig"]');
      // The webapp reads the pools again every few seconds.
      await expect
        .poll(
          async () => {
            await openEditor(page);
            return option.count();
          },
          { timeout: 20_000 },
        )
        .toBe(1);
      expect(await option.textContent()).toBe('Zig · 0.13.0 (starts on demand)');
      expect(await page.locator('#language option[value="python"]').textContent()).not.toContain('on demand');
      await page.selectOption('#language', 'zig');
      expect(await page.locator('#cold-note').isVisible()).toBe(true);
      expect(await page.locator('#cold-note').textContent()).toContain('No executor for Zig is running');
      await screenshot(page, '12-cold-language');
      await page.selectOption('#language', 'python');
      expect(await page.locator('#cold-note').isVisible()).toBe(false);
      await page.goto(service.url + '/status');
      await expect
        .poll(() => textOf(page.locator('ul.languages li', { hasText: 'Zig' })), POLL)
        .toContain('one starts on the first run');
    } finally {
      await page.close();
      await unparkPools(redis, keys, ['big']);
      await redis.quit();
    }
  });

  it('loads in under 300 KB compressed, and records how soon a result is painted after the API answers', async () => {
    const fresh = await launchBrowser();
    try {
      const page = await fresh.newPage();
      await openEditor(page);
      // Python highlighting is loaded lazily; wait for it so its chunk counts as part of the first load.
      await page.waitForSelector('#editor .cm-content span');
      await page.waitForLoadState('networkidle');
      interface Loaded {
        url: string;
        transfer: number;
        body: number;
        decoded: number;
      }
      const load = await page.evaluate<Loaded[]>(`
        [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => ({
          url: new URL(e.name).pathname,
          transfer: e.transferSize,
          body: e.encodedBodySize,
          decoded: e.decodedBodySize,
        }))`);
      const total = load.reduce((sum, e) => sum + e.transfer, 0);

      const timings: number[] = [];
      for (let i = 0; i < 10; i++) {
        await page.fill('#stdin', `run ${i}`);
        await page.click('#run');
        await page.waitForFunction(
          () => performance.getEntriesByName('remcode:result-painted').length > 0,
          null,
          {
            timeout: 30_000,
          },
        );
        timings.push(
          await page.evaluate(() => {
            const received = performance.getEntriesByName('remcode:result-received')[0];
            const painted = performance.getEntriesByName('remcode:result-painted')[0];
            return (painted?.startTime ?? NaN) - (received?.startTime ?? NaN);
          }),
        );
      }
      const sorted = [...timings].sort((x, y) => x - y);
      const median = ((sorted[4] ?? NaN) + (sorted[5] ?? NaN)) / 2;
      const report = {
        firstLoad: { totalTransferBytes: total, resources: load },
        resultPaintAfterAnswerMs: timings,
      };
      await mkdir(SCREENSHOTS, { recursive: true });
      await writeFile(join(SCREENSHOTS, 'performance.json'), `${JSON.stringify(report, null, 2)}\n`);
      console.log(
        `first load: ${(total / 1024).toFixed(1)} KiB transferred in ${load.length} requests; ` +
          `result painted after the API answer: median ${median.toFixed(1)} ms, max ${Math.max(...timings).toFixed(1)} ms ` +
          `(${timings.map((t) => t.toFixed(1)).join(', ')})`,
      );
      expect(total).toBeLessThan(300 * 1024);
      expect(load.every((e) => e.url.startsWith('/api/') || e.transfer < e.decoded || e.decoded < 1024)).toBe(
        true,
      );
    } finally {
      await fresh.close();
    }
  });
});

describe('the web UI when the queue is full', () => {
  let busy: Service | undefined;

  beforeAll(async () => {
    busy = await startService({
      // No standby slot, so that the second submission waits in the queue rather than in the executor.
      env: {
        REMCODE_QUEUE_MAX: '1',
        EXECUTOR_SLOTS: '1',
        EXECUTOR_STANDBY_SLOTS: '0',
        EXECUTOR_SHUTDOWN_GRACE: '1s',
      },
    });
  });

  afterAll(async () => {
    await busy?.close();
  });

  it('says the service is busy and when to try again', async () => {
    const url = busy?.url ?? '';
    const sleeper = async (): Promise<number> =>
      (
        await fetch(`${url}/api/v1/submissions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            language: 'python',
            // Long enough that the queue stays full however slowly the page opens; the service is
            // stopped after the test, not waited for.
            source: 'import time\ntime.sleep(20)\n',
            limits: { wall_time: '30s' },
          }),
        })
      ).status;
    const status = async (): Promise<Record<string, number>> =>
      (await (await fetch(`${url}/api/v1/status`)).json()) as Record<string, number>;
    // One runs on the only slot and one waits: the queue holds its maximum of one. The second is sent
    // once the executor has taken the first, or on a slow machine it would find the queue full itself.
    expect(await sleeper()).toBe(201);
    await expect.poll(status, { timeout: 30_000 }).toMatchObject({ queue_depth: 0, running: 1 });
    expect(await sleeper()).toBe(201);
    await expect.poll(status, { timeout: 10_000 }).toMatchObject({ queue_depth: 1, running: 1 });

    const page = await browser.newPage();
    await page.goto(url + '/');
    await page.waitForSelector('#language:not([disabled])');
    await page.selectOption('#language', 'python');
    await setCode(page, 'print("too late")\n');
    await page.click('#run');
    expect(await waitForVerdict(page)).toBe('Too many submissions are waiting. Try again in a few seconds.');
    await screenshot(page, '13-queue-full');
    await page.close();
  });
});
