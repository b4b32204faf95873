import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where failure screenshots go, and where the README's screenshots are written. */
export const RESULTS = new URL('../test-results/', import.meta.url).pathname;
export const DOCS = new URL('../../../docs/screenshots/', import.meta.url).pathname;
mkdirSync(RESULTS, { recursive: true });

/** Debian's Chromium, headless; without the background-networking flags it keeps dialling out. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.BROWNOUT_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Runs a test step; on failure saves a full-page screenshot named after it, then fails. */
export async function step(page: Page, name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    await page.screenshot({ path: `${RESULTS}failed-${name}.png`, fullPage: true }).catch(() => undefined);
    throw e;
  }
}

/** Fills and submits the sign-in form (the caller waits for where it should land). */
export async function submitSignIn(page: Page, consoleUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${consoleUrl}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}
