/**
 * The console page in chromium against three embedded brokers in this process: what the Cluster and
 * Messages views show, that a record's contents stay text, that the server refuses foreign hosts and
 * tokenless actions, and that stopping a broker from the page moves its partitions' leaders.
 */
import { request } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import type { Browser } from 'playwright-core';
import { act, attributeOf, launchBrowser, openConsole, testId, type ConsolePage } from '../support/browser';
import { startClusterConsole, type ClusterConsole } from '../support/console-app';
import { until } from '../support/until';

const MARKUP = '<img src=x onerror=alert(1)>';

/** A plain HTTP request with the headers given as they are (fetch will not send a foreign Host). */
function raw(
  url: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the console page on three embedded brokers', () => {
  let app: ClusterConsole;
  let browser: Browser;
  let ui: ConsolePage;

  beforeAll(async () => {
    app = await startClusterConsole();
    const kafka = new Kafka({ brokers: app.broker.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 3 }, { topic: 'markup' }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'payments',
      messages: Array.from({ length: 12 }, (_, i) => ({
        key: `customer-${i % 4}`,
        value: `{"payment":${i}}`,
      })),
    });
    await producer.send({
      topic: 'markup',
      messages: [{ key: '<b>key</b>', value: MARKUP, headers: { note: '<script>alert(2)</script>' } }],
    });
    await producer.disconnect();
    browser = await launchBrowser();
    ui = await openConsole(browser, app.console.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(ui.errors).toEqual([]));

  it('GIVEN three brokers and a topic WHEN the Cluster view opens THEN it shows each broker up and each partition with the leader and ISR the cluster has, and a topic created from the form appears and grows by one partition', async () => {
    await ui.go('#/cluster');
    for (const node of [1, 2, 3]) {
      await attributeOf(ui.byTestId(`broker-${node}`), 'data-state', (s) => s === 'up', `broker ${node} up`);
    }
    const stats = app.broker.stats().topics.find((t) => t.name === 'payments')!;
    await ui.byTestId('topic-payments').waitFor();
    for (const p of stats.partitions) {
      const row = ui.byTestId(`partition-payments-${p.partition}`);
      await attributeOf(
        row,
        'data-leader',
        (l) => l === String(p.leader),
        `payments-${p.partition} led by ${p.leader}`,
      );
      expect(await row.getAttribute('data-isr')).toBe(p.isr.join(','));
    }
    // 12 records over three partitions: the rows' high watermarks add up to them.
    const watermarks = await ui.page
      .locator('[data-testid^="partition-payments-"] td:nth-child(6)')
      .allTextContents();
    expect(watermarks.map(Number).reduce((a, b) => a + b, 0)).toBe(12);

    await ui.byTestId('topic-create-name').fill('audit');
    await ui.byTestId('topic-create-partitions').fill('2');
    const answer = await act(ui, ui.byTestId('topic-create-submit'), 'create topic audit');
    expect(answer).toContain('created audit');
    await ui.byTestId('partition-audit-1').waitFor();
    expect(app.broker.stats().topics.find((t) => t.name === 'audit')?.partitions).toHaveLength(2);
    // One more partition from the row's own control (its count input starts at 1).
    await act(ui, ui.byTestId('topic-add-partitions-audit'), 'add a partition to audit');
    await ui.byTestId('partition-audit-2').waitFor();
    expect(await ui.page.locator('[data-testid^="partition-audit-"]').count()).toBe(3);
    expect(app.broker.stats().topics.find((t) => t.name === 'audit')?.partitions).toHaveLength(3);
  });

  it('GIVEN a record whose key, value and header are HTML WHEN the message browser shows it THEN each renders as its characters: no element is made and no script runs', async () => {
    await ui.go('#/messages/markup');
    const row = ui.byTestId('message-row');
    await row.waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator(testId('message-value')).textContent()).toBe(MARKUP);
    expect(await row.locator(testId('message-key')).textContent()).toBe('<b>key</b>');
    expect(await row.locator(testId('message-headers')).textContent()).toBe(
      'note: <script>alert(2)</script>',
    );
    expect(await ui.page.locator('img').count()).toBe(0);
    expect(await row.locator(`${testId('message-key')} b`).count()).toBe(0);
    expect(await ui.page.locator('main script').count()).toBe(0);
    expect(ui.dialogs).toEqual([]);
  });

  it('GIVEN the console WHEN a request names a foreign Host or an action comes without the token THEN they are refused with 421 and 403, and the same action with the token is done', async () => {
    const { url, port, token } = app.console;
    const foreign = await raw(url, {
      method: 'GET',
      path: '/',
      headers: { host: `console.example:${port}` },
    });
    expect(foreign.status).toBe(421);
    const body = JSON.stringify({ name: 'refused', partitions: 1 });
    const own = { host: `127.0.0.1:${port}`, 'content-type': 'application/json' };
    const tokenless = await raw(url, { method: 'POST', path: '/api/topics', headers: own, body });
    expect(tokenless.status).toBe(403);
    const wrong = await raw(url, {
      method: 'POST',
      path: '/api/topics',
      headers: { ...own, 'x-kw-token': 'guess' },
      body,
    });
    expect(wrong.status).toBe(403);
    expect(app.broker.stats().topics.some((t) => t.name === 'refused')).toBe(false);
    const allowed = await raw(url, {
      method: 'POST',
      path: '/api/topics',
      headers: { ...own, 'x-kw-token': token },
      body,
    });
    expect(allowed.status).toBe(200);
    expect(app.broker.stats().topics.some((t) => t.name === 'refused')).toBe(true);
  });

  it('GIVEN the Cluster view WHEN the broker leading payments-0 is stopped from the page THEN it shows as down and every partition it led shows another leader; started again, it is up', async () => {
    await ui.go('#/cluster');
    const victim = Number(
      await attributeOf(
        ui.byTestId('partition-payments-0'),
        'data-leader',
        (l) => Number(l) > 0,
        'a leader of payments-0',
      ),
    );
    const led = app.broker
      .stats()
      .topics.filter((t) => !t.name.startsWith('__'))
      .flatMap((t) => t.partitions.filter((p) => p.leader === victim).map((p) => `${t.name}-${p.partition}`));

    const answer = await act(ui, ui.byTestId(`broker-stop-${victim}`), `stop broker ${victim}`);
    expect(answer).toContain('leaders moved');
    await attributeOf(
      ui.byTestId(`broker-${victim}`),
      'data-state',
      (s) => s === 'down',
      `broker ${victim} down`,
    );
    for (const partition of led) {
      const row = ui.byTestId(`partition-${partition}`);
      await attributeOf(
        row,
        'data-leader',
        (l) => Number(l) > 0 && Number(l) !== victim,
        `${partition} led elsewhere`,
      );
      await attributeOf(
        row,
        'data-isr',
        (isr) => !isr.split(',').includes(String(victim)),
        `${partition}'s ISR without ${victim}`,
      );
    }
    console.log(`stopped broker ${victim} from the page; leaders moved for ${led.join(', ')}`);

    await act(ui, ui.byTestId(`broker-start-${victim}`), `start broker ${victim}`);
    await attributeOf(
      ui.byTestId(`broker-${victim}`),
      'data-state',
      (s) => s === 'up',
      `broker ${victim} up again`,
    );
    await until(() => app.broker.control.status().underReplicated === 0, 'every replica back in sync');
  });
});
