/**
 * The demo page in a real browser: Debian's Chromium, driven by
 * playwright-core. Buy, replay a paid event from the development panel, see
 * the outcome, in two tabs; then the same with a failed event. A screenshot
 * of the final page is saved under test-results/ (git-ignored).
 *
 * Without /usr/bin/chromium this file says so and runs nothing; `.ci/run`
 * installs it (apt-get install chromium), so CI always runs it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { useTestSettle } from './helpers/settle.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIRECTORY = 'test-results/browser';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `browser test skipped: ${CHROMIUM} is missing. Enable it with ` +
      '`apt-get install chromium` (CI does this in .ci/run).',
  );
}

const app = useTestSettle({ streamTimeoutMs: 30_000 });
let browser: Browser | undefined;

beforeAll(async () => {
  if (hasChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await mkdir(SCREENSHOT_DIRECTORY, { recursive: true });
  }
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

async function openPage(url: string): Promise<Page> {
  const page = await browser!.newPage();
  await page.goto(url);
  await page.locator('#dev').waitFor({ state: 'visible' });
  return page;
}

const state = (page: Page) => page.locator('#state');

describe.skipIf(!hasChromium)('the demo page in Chromium', () => {
  it('shows a paid outcome in the tab that bought and in a second tab', async () => {
    const first = await openPage(app().baseUrl);
    await first.getByRole('button', { name: /Buy/ }).click();
    await expect.poll(() => state(first).textContent()).toMatch(/Waiting for payment/);
    const second = await openPage(first.url());
    await expect.poll(() => state(second).textContent()).toMatch(/Waiting for payment/);

    await first.getByRole('button', { name: 'Paid', exact: true }).click();

    for (const page of [first, second]) {
      await expect.poll(() => state(page).getAttribute('data-status')).toBe('SUCCEEDED');
      expect(await state(page).textContent()).toMatch(/SUCCEEDED after \d+\.\d\d s/);
    }
    await first.screenshot({ path: `${SCREENSHOT_DIRECTORY}/paid.png` });
    await Promise.all([first.close(), second.close()]);
  });

  it('shows a failed outcome, then the retry that succeeds', async () => {
    const page = await openPage(app().baseUrl);
    await page.getByRole('button', { name: /Buy/ }).click();
    await expect.poll(() => state(page).textContent()).toMatch(/Waiting for payment/);

    await page.getByRole('button', { name: 'Failed', exact: true }).click();

    await expect.poll(() => state(page).getAttribute('data-status')).toBe('FAILED');
    await page.screenshot({ path: `${SCREENSHOT_DIRECTORY}/failed.png` });

    // The customer retries with another card: the page was still waiting.
    await page.getByRole('button', { name: 'Paid', exact: true }).click();
    await expect.poll(() => state(page).getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await state(page).textContent()).toMatch(/version 2/);
    await page.close();
  });
});
