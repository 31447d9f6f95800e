/**
 * `npm run screenshots`: the pictures of the web console in README.md and docs/workshop, made from a
 * real run rather than by hand. Runs the pipeline as `kw up --brokers 3` does, in this process (the
 * synthesized app on three embedded brokers, with its console; every port free), and drives the
 * console's own page in Debian's chromium (playwright-core) through what the chapters describe:
 * orders sent, one poison order, the enrich function slowed until its group lags, a broker stopped.
 * Saves 1280x800 PNGs into docs/images/ and prints each file it wrote.
 *
 * Reruns give the same views with other order ids, offsets and times. Needs chromium (
 * scripts/install-test-deps.sh installs Debian's; $CHROMIUM points at another).
 */
import { mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { act, attributeOf, launchBrowser, openConsole, type ConsolePage } from '../test/support/browser';
import { startPipelineConsole } from '../test/support/console-app';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'images');
/** The function the lag drill slows, and by how much: enough for its group's lag to climb a while. */
const SLOW_FUNCTION = 'enrich';
const SLOW_MS = 1500;
/** How long the slowed function is left behind before the drill ends. */
const SLOW_FOR_MS = 10_000;

const at = (value: number) => (attribute: string) => Number(attribute) >= value;

/** Saves the viewport, with `target` (when given) near its top: the part of the page a chapter means. */
async function shoot(page: ConsolePage, name: string, target?: Locator): Promise<void> {
  if (target) {
    // Run in the page; this file is compiled without the DOM's types, hence the shape and the string.
    await target.evaluate((element: { scrollIntoView(options: object): void }) =>
      element.scrollIntoView({ block: 'start' }),
    );
    await page.page.evaluate('window.scrollBy(0, -90)'); // the heading above it too
  }
  // Let the once-a-second pushes land and the page settle before the picture.
  await page.page.waitForTimeout(1500);
  const file = path.join(OUT, name);
  await page.page.screenshot({ path: file });
  console.log(`wrote ${path.relative(ROOT, file)} (${Math.round(statSync(file).size / 1024)} KB)`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const app = await startPipelineConsole();
  console.log(`console at ${app.console.url}`);
  const browser = await launchBrowser();
  try {
    const page = await openConsole(browser, app.console.url);
    await page.page.setViewportSize({ width: 1280, height: 800 });
    const byTestId = page.byTestId;

    // Orders and one poison order, through the page's drills.
    await page.go('#/pipeline');
    await byTestId('drill-send-count').fill('40');
    await act(page, byTestId('drill-send'), 'sending 40 orders');
    await act(page, byTestId('drill-poison'), 'sending a poison order');
    const dlq = byTestId('dlq-count');
    await attributeOf(dlq, 'data-records', at(1), 'the poison order on the DLQ', 60_000);
    // Every order through to the ledger, so each edge of the graph has its count.
    const intoLedger = byTestId('edge-topic:orders.enriched->function:ledger');
    await attributeOf(intoLedger, 'data-count', at(40), 'the orders into ledger', 60_000);
    await attributeOf(intoLedger, 'data-lag', (lag) => lag === '0', 'the ledger mapping caught up', 60_000);
    await shoot(page, 'console-pipeline.png');
    await shoot(page, 'console-dlq.png', dlq);
    await page.page.evaluate('window.scrollTo(0, 0)');

    // The orders topic: partitions as tapes, with each group's committed offset on them.
    await page.go('#/topics/orders');
    await byTestId('tape-orders-0').waitFor();
    await shoot(page, 'console-topic.png');

    // The message browser on orders.enriched: keys, values, headers as text.
    await page.go('#/messages/orders.enriched');
    await byTestId('message-row').first().waitFor();
    await shoot(page, 'console-messages.png');

    // Lag: slow enrich, send a burst, let the lag climb, end the drill and wait for it to drain.
    await page.go('#/pipeline');
    await byTestId('drill-slow-function').selectOption(SLOW_FUNCTION);
    await byTestId('drill-slow-ms').fill(String(SLOW_MS));
    await act(page, byTestId('drill-slow-submit'), `slowing ${SLOW_FUNCTION}`);
    await byTestId('drill-send-count').fill('300');
    await act(page, byTestId('drill-send'), 'sending 300 orders');
    await page.page.waitForTimeout(SLOW_FOR_MS);
    await byTestId('drill-slow-ms').fill('0');
    await act(page, byTestId('drill-slow-submit'), 'ending the slow drill');
    const groupId = app.runtime.mappings.find((m) => m.spec.topic === 'orders')!.spec.consumerGroupId;
    await page.go(`#/groups/${groupId}`);
    await attributeOf(
      byTestId('group-lag'),
      'data-lag',
      (lag) => lag === '0',
      'the group caught up',
      120_000,
    );
    await shoot(page, 'console-groups.png');

    // A broker stopped: its partitions' leaders move to the others.
    await page.go('#/cluster');
    await act(page, byTestId('broker-stop-3'), 'stopping broker 3');
    await attributeOf(byTestId('broker-3'), 'data-state', (s) => s === 'down', 'broker 3 down');
    await shoot(page, 'console-cluster.png');
    await act(page, byTestId('broker-start-3'), 'starting broker 3');
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
