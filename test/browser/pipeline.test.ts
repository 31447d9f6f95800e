/**
 * The console page in chromium under `kw up` (the synthesized app on three embedded brokers, in this
 * process, started once for the file): an order posted to the ingest URL shows on the pipeline
 * graph and in the message browser; a poison order reaches the dead letters and is redriven from
 * the page; a function slowed from the page's drill makes its group's lag rise, and it falls to 0
 * once the drill ends.
 */
import type { Browser } from 'playwright-core';
import type { PipelineSnapshot } from '../../local/console/api';
import {
  act,
  attributeOf,
  launchBrowser,
  openConsole,
  testId,
  textOf,
  type ConsolePage,
} from '../support/browser';
import { startPipelineConsole, type PipelineConsole } from '../support/console-app';
import { postToUrl } from '../support/function-url';

describe('the console page under kw up', () => {
  jest.setTimeout(240_000);
  let app: PipelineConsole;
  let browser: Browser;
  let ui: ConsolePage;
  const log: string[] = [];

  const pipeline = async (): Promise<PipelineSnapshot> => {
    const res = await fetch(new URL('/api/pipeline', app.console.url));
    return (await res.json()) as PipelineSnapshot;
  };
  /** The mapping that feeds `fn` (enrich, ledger). */
  const mappingOf = async (fn: string) => {
    const m = (await pipeline()).mappings.find((m) => m.name.startsWith(`${fn} `));
    if (!m) throw new Error(`no mapping for ${fn} in ${JSON.stringify((await pipeline()).mappings)}`);
    return m;
  };

  beforeAll(async () => {
    app = await startPipelineConsole((line) => log.push(line));
    browser = await launchBrowser();
    ui = await openConsole(browser, app.console.url);
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(ui.errors).toEqual([]));

  it('GIVEN the pipeline view WHEN an order is posted to the ingest URL THEN the counts on its edges rise and the message browser shows it on orders', async () => {
    const snapshot = await pipeline();
    const request = snapshot.edges.find((e) => e.kind === 'request')!;
    const mapping = snapshot.edges.find((e) => e.kind === 'mapping' && e.from === 'topic:orders')!;
    expect(request).toBeDefined();
    expect(mapping).toBeDefined();
    await ui.go('#/pipeline');
    await ui.byTestId('pipeline-graph').waitFor();
    const countOn = (id: string) =>
      attributeOf(ui.byTestId(`edge-${id}`), 'data-count', (c) => c !== '', `edge ${id} drawn`).then(Number);
    const requestsBefore = await countOn(request.id);
    const mappedBefore = await countOn(mapping.id);

    const orderId = `browser-${Date.now()}`;
    // Signed as the run's caller: IAM is enforced, and the URL's auth type is AWS_IAM.
    const res = await postToUrl(
      app.ingestUrl,
      {
        orderId,
        customerId: 'browser-customer',
        currency: 'EUR',
        items: [{ sku: 'tea', quantity: 2, unitPrice: 3 }],
      },
      app.runtime.iam?.callerKeys,
    );
    expect(res.status).toBe(202);

    const requests = await attributeOf(
      ui.byTestId(`edge-${request.id}`),
      'data-count',
      (c) => Number(c) > requestsBefore,
      `more requests on ${request.id} than ${requestsBefore}`,
    );
    const mapped = await attributeOf(
      ui.byTestId(`edge-${mapping.id}`),
      'data-count',
      (c) => Number(c) > mappedBefore,
      `more records across ${mapping.id} than ${mappedBefore}`,
    );
    console.log(
      `edge ${request.id}: ${requestsBefore} → ${requests}; edge ${mapping.id}: ${mappedBefore} → ${mapped}`,
    );

    await ui.go('#/messages/orders');
    await ui.byTestId('message-search').fill(orderId);
    await ui.byTestId('message-load').click();
    const value = await textOf(
      ui.byTestId('message-value'),
      (t) => t.includes(orderId),
      `order ${orderId} in the message browser`,
    );
    expect(JSON.parse(value)).toMatchObject({ orderId, customerId: 'browser-customer' });
    expect(await ui.byTestId('message-row').count()).toBe(1);
  });

  it('GIVEN the pipeline view WHEN a poison order is sent from the drill THEN it shows among the dead letters, and redriving it from the page puts it back on orders', async () => {
    await ui.go('#/pipeline');
    const dlqCount = ui.byTestId('dlq-count');
    const before = Number(await attributeOf(dlqCount, 'data-records', () => true, 'the dead-letter count'));
    const sent = await act(ui, ui.byTestId('drill-poison'), 'send a poison order');
    // The drill's answer names the order it sent.
    const poisonId = /: (\S+)$/.exec(sent)?.[1] ?? '';
    expect(poisonId).not.toBe('');
    const after = await attributeOf(
      dlqCount,
      'data-records',
      (r) => Number(r) > before,
      `more dead letters than ${before} after ${sent}`,
      120_000,
    );
    const rows = ui.byTestId('dlq-row');
    await textOf(rows.first(), (t) => t.includes(poisonId), `the dead letter of ${poisonId} listed`);
    const newest = rows.first();
    const partition = Number(await newest.getAttribute('data-partition'));
    const offset = Number(await newest.getAttribute('data-offset'));
    const deadValue = await newest.locator(testId('dlq-value')).textContent();
    console.log(
      `poison order ${poisonId}: dead letters ${before} → ${after}, newest at ${partition}@${offset}`,
    );

    const redriven = await act(ui, ui.byTestId(`dlq-redrive-${partition}-${offset}`), 'redrive one');
    const back = /→ orders-(\d+)@(\d+)/.exec(redriven);
    expect(back).not.toBeNull();

    // The record it put back, read in the message browser where the page says it went.
    await ui.go('#/messages/orders');
    await ui.byTestId('message-partition').selectOption(back![1]);
    await ui.byTestId('message-from').selectOption('offset');
    await ui.byTestId('message-offset').fill(back![2]);
    await ui.byTestId('message-load').click();
    const row = ui.page.locator(`${testId('message-row')}[data-offset="${back![2]}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-partition')).toBe(back![1]);
    expect(await row.locator(testId('message-value')).textContent()).toBe(deadValue);
  });

  it('GIVEN enrich slowed from the drill form WHEN orders are sent THEN its group shows lag, and once the drill ends the lag falls back to 0', async () => {
    const { group } = await mappingOf('enrich');
    await ui.go(`#/groups/${group}`);
    const lag = ui.byTestId('group-lag');
    await attributeOf(lag, 'data-lag', (l) => l === '0', `${group} caught up before the drill`, 120_000);

    const slow = async (ms: number) => {
      await ui.go('#/pipeline');
      await ui.byTestId('drill-slow-function').selectOption('enrich');
      await ui.byTestId('drill-slow-ms').fill(String(ms));
      return act(ui, ui.byTestId('drill-slow-submit'), `slow enrich by ${ms} ms`);
    };
    let peak: string;
    try {
      await slow(4000);
      await ui.byTestId('drill-send-count').fill('30');
      await act(ui, ui.byTestId('drill-send'), 'send 30 orders');
      await ui.go(`#/groups/${group}`);
      peak = await attributeOf(
        lag,
        'data-lag',
        (l) => Number(l) > 0,
        `${group} lagging while enrich is slow`,
        60_000,
      );
      await ui.page.locator(`${testId('group-lag-plot')} polyline`).waitFor();
    } finally {
      await slow(0);
    }
    await ui.go(`#/groups/${group}`);
    await attributeOf(lag, 'data-lag', (l) => l === '0', `${group} caught up after the drill`, 120_000);
    const points = await ui.page.locator(`${testId('group-lag-plot')} polyline`).getAttribute('points');
    console.log(
      `${group}: lag rose to ${peak} while enrich waited 4000 ms per call, then 0; plot ${points?.split(' ').length} samples`,
    );
  });
});
