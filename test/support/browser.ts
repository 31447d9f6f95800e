/**
 * The browser side of the console's browser tests: Debian's chromium driven by playwright-core (no
 * browser download), one page per test that records what would mean the page misbehaved (script
 * errors, dialogs), and waits on what the user sees, found by the page's data-testid attributes.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { until } from './until';

/** Launches headless chromium: $CHROMIUM, else Debian's /usr/bin/chromium. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `no chromium at ${executablePath}: run scripts/install-test-deps.sh (it installs Debian's chromium), ` +
        'or set CHROMIUM to a Chromium or Chrome binary',
    );
  }
  return chromium.launch({ executablePath, headless: true });
}

/** A page on the console, with what went wrong in it so far. */
export interface ConsolePage {
  readonly page: Page;
  /** Uncaught script errors and console.error lines. */
  readonly errors: string[];
  /** Messages of alert/confirm/prompt dialogs the page opened (each is dismissed). */
  readonly dialogs: string[];
  /** The element with this data-testid. */
  byTestId(id: string): Locator;
  /** Goes to a route (`#/groups`) and waits for the live stream to be up. */
  go(hash: string): Promise<void>;
}

export async function openConsole(browser: Browser, url: string): Promise<ConsolePage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const byTestId = (id: string) => page.locator(testId(id));
  await page.goto(url);
  return {
    page,
    errors,
    dialogs,
    byTestId,
    async go(hash) {
      // The hash as the page holds it (percent-encoded), which the page writes on the view it shows.
      const target = await page.evaluate((h) => {
        // Runs in the page (this file is type-checked without the DOM's types).
        const { location } = globalThis as unknown as { location: { hash: string } };
        if (location.hash !== h) location.hash = h;
        return location.hash;
      }, hash);
      await attributeOf(page.locator('#main'), 'data-view', (v) => v === target, `the view ${hash}`);
      await textOf(byTestId('live-status'), (t) => t === 'live', `the live stream of ${hash}`);
    },
  };
}

/** A CSS selector for a data-testid value, whatever characters it holds. */
export const testId = (id: string) => `[data-testid="${id.replace(/["\\]/g, '\\$&')}"]`;

/** Waits until `locator`'s attribute satisfies `ok`, and resolves to it. */
export async function attributeOf(
  locator: Locator,
  name: string,
  ok: (value: string) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  let last: string | null = null;
  return until(
    async () => {
      last = (await locator.count()) === 0 ? null : await locator.first().getAttribute(name);
      return last !== null && ok(last) ? last : undefined;
    },
    () => `${what} (${name} is ${last === null ? 'absent' : JSON.stringify(last)})`,
    { timeoutMs },
  );
}

/** Waits until `locator`'s text satisfies `ok`, and resolves to it. */
export async function textOf(
  locator: Locator,
  ok: (text: string) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  let last: string | null = null;
  return until(
    async () => {
      last = (await locator.count()) === 0 ? null : await locator.first().textContent();
      return last !== null && ok(last) ? last : undefined;
    },
    () => `${what} (the text is ${last === null ? 'absent' : JSON.stringify(last)})`,
    { timeoutMs },
  );
}

/** Clicks an action's control and waits for its answer in `action-result`; throws on an error answer. */
export async function act(console: ConsolePage, click: Locator, what: string): Promise<string> {
  const result = console.byTestId('action-result');
  // A previous answer must not pass for this one.
  await result.evaluate((line) => line.setAttribute('data-outcome', 'idle'));
  await click.click();
  await attributeOf(
    result,
    'data-outcome',
    (o) => o === 'ok' || o === 'error',
    `the answer to ${what}`,
    60_000,
  );
  const text = (await result.textContent()) ?? '';
  if ((await result.getAttribute('data-outcome')) !== 'ok') throw new Error(`${what}: ${text}`);
  return text;
}
