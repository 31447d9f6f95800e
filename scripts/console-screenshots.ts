/**
 * `npm run screenshots`: the pictures of the web console in README.md and docs/workshop, made from a
 * real run rather than by hand. Starts the pipeline as a learner does (`kw up --brokers 3`, on free
 * ports), drives the console's own page in Debian's chromium (playwright-core) through what the
 * chapters describe: orders sent, one poison order, the enrich function slowed until its group lags,
 * a broker stopped. Saves 1280x800 PNGs into docs/images/ and prints each file it wrote.
 *
 * Reruns give the same views with other order ids, offsets and times. Needs /usr/bin/chromium
 * (scripts/install-test-deps.sh installs it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Locator, type Page } from 'playwright-core';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'images');
const CHROMIUM = '/usr/bin/chromium';
/** The function the lag drill slows, and how much: enough for its group's lag to climb for a while. */
const SLOW_FUNCTION = 'enrich';
const SLOW_MS = 1500;

interface Pipeline {
  readonly console: string;
  stop(): Promise<void>;
}

/** `kw up --brokers 3` on free ports, as its own process; resolves once its ready block is out. */
function startPipeline(): Promise<Pipeline> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'cli', 'kw.js'),
      'up',
      '--brokers',
      '3',
      '--port',
      '0',
      '--broker-port',
      '0',
      '--dynamodb-port',
      '0',
      '--console-port',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } },
  );
  let output = '';
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`kw up was not ready within 120 s:\n${output}`)),
      120_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const url = /console:?\s+(http:\/\/\S+\/)/.exec(output)?.[1];
      if (url && output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        // Keep reading, so a full pipe never stalls the runtime.
        child.stdout.resume();
        child.stderr.resume();
        resolve({ console: url, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kw up exited ${code} before it was ready:\n${output}`));
    });
  });
}

/** Waits until `check` holds, reading the page every 200 ms. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`screenshots: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const attribute = async (locator: Locator, name: string) => Number(await locator.getAttribute(name));

/** Runs one of the page's actions and waits for its answer in `action-result`. */
async function act(page: Page, click: Locator): Promise<string> {
  const result = page.getByTestId('action-result');
  const before = (await result.textContent().catch(() => '')) ?? '';
  await click.click();
  let after = before;
  await until('the action was not answered', async () => {
    after = (await result.textContent()) ?? '';
    return after !== before && after.trim() !== '';
  });
  return after;
}

async function shoot(page: Page, name: string, target?: Locator): Promise<void> {
  await target?.scrollIntoViewIfNeeded();
  // Let the once-a-second pushes land and the page settle before the picture.
  await page.waitForTimeout(1500);
  const file = path.join(OUT, name);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(ROOT, file)} (${Math.round(statSync(file).size / 1024)} KB)`);
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no ${CHROMIUM}: install Debian's chromium (scripts/install-test-deps.sh does)`);
  }
  mkdirSync(OUT, { recursive: true });
  const pipeline = await startPipeline();
  console.log(`console at ${pipeline.console}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const go = async (route: string) => {
      await page.goto(`${pipeline.console}${route}`);
      await page
        .getByTestId('live-status')
        .filter({ hasText: /^live$/ })
        .waitFor();
    };

    // Orders and one poison order, through the page's drills.
    await go('#/pipeline');
    await page.getByTestId('drill-send-count').fill('40');
    await act(page, page.getByTestId('drill-send'));
    await act(page, page.getByTestId('drill-poison'));
    const dlq = page.getByTestId('dlq-count');
    await until(
      'the poison order did not reach the DLQ',
      async () => (await attribute(dlq, 'data-records')) >= 1,
    );
    const toLedger = page.locator('[data-testid^="edge-"][data-testid*="ledger"]').first();
    await until(
      'the orders did not reach the ledger',
      async () => (await attribute(toLedger, 'data-count')) >= 40,
    );
    await shoot(page, 'console-pipeline.png', page.getByTestId('pipeline-graph'));
    await shoot(page, 'console-dlq.png', dlq);

    // The orders topic: partitions as tapes, with each group's committed offset on them.
    await go('#/topics/orders');
    await page.getByTestId('tape-orders-0').waitFor();
    await shoot(page, 'console-topic.png');

    // The message browser on orders.enriched: keys, values, headers as text.
    await go('#/messages/orders.enriched');
    await page.getByTestId('message-row').first().waitFor();
    await shoot(page, 'console-messages.png');

    // Lag: slow enrich, send a burst, let the lag climb, end the drill and wait for it to drain.
    await go('#/pipeline');
    await page.getByTestId('drill-slow-function').selectOption(SLOW_FUNCTION);
    await page.getByTestId('drill-slow-ms').fill(String(SLOW_MS));
    await act(page, page.getByTestId('drill-slow-submit'));
    await page.getByTestId('drill-send-count').fill('200');
    await act(page, page.getByTestId('drill-send'));
    await page.waitForTimeout(8000);
    await page.getByTestId('drill-slow-ms').fill('0');
    await act(page, page.getByTestId('drill-slow-submit'));
    await go('#/groups');
    const group = page.locator('[data-testid^="group-"][data-testid$="-enrich"]').first();
    const groupId = ((await group.getAttribute('data-testid')) ?? '').slice('group-'.length);
    await go(`#/groups/${groupId}`);
    const lag = page.getByTestId('group-lag');
    await until('the group did not catch up', async () => (await attribute(lag, 'data-lag')) === 0, 120_000);
    await shoot(page, 'console-groups.png', page.getByTestId('group-lag-plot'));

    // A broker stopped: its partitions' leaders move to the others.
    await go('#/cluster');
    await act(page, page.getByTestId('broker-stop-3'));
    await until(
      'broker 3 did not show as down',
      async () => (await page.getByTestId('broker-3').getAttribute('data-state')) === 'down',
    );
    await shoot(page, 'console-cluster.png');
    await act(page, page.getByTestId('broker-start-3'));
  } finally {
    await browser.close();
    await pipeline.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
