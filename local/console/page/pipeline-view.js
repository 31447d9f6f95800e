/**
 * #/pipeline (under `kw up`): the pipeline as a graph (URL → function → topic → function → table,
 * dead-letter destinations in red) with live counts on each edge; each mapping's recent batches;
 * each function's invocations and log lines; one order traced hop by hop; the dead-letter topic
 * with redrive; and the drills (send orders, a poison order, a slow function). Live: `pipeline`.
 */
import { act, get } from './api.js';
import { bytes, clock, count, decoded, el, field, fill, route, section, table } from './dom.js';

const NODE_W = 150;
const NODE_H = 44;
const COL_W = 250;
const ROW_H = 90;

export function pipelineView(ctx) {
  const graph = el('div', { class: 'graph' });
  const mappings = el('div', { class: 'cards' });
  const functions = el('div', { class: 'cards' });
  const dlqCount = el('span', { 'data-testid': 'dlq-count' });
  const dlqRows = el('tbody');
  const recent = el('select', { 'data-testid': 'trace-recent' });
  const trace = traceSection(recent);
  const drills = drillSection();
  let dlqSeen = null;
  let ordersSeen = null;

  fill(
    ctx.main,
    section('Pipeline', {}, graph),
    section('Drills', {}, drills.form),
    section('Trace an order', {}, trace),
    section(
      'Dead letters',
      {},
      el(
        'p',
        { class: 'inline' },
        dlqCount,
        el(
          'button',
          {
            'data-testid': 'dlq-redrive-all',
            type: 'button',
            onclick: () => act('redrive every dead letter', '/api/pipeline/dlq/redrive', {}, redriven),
          },
          'Redrive all',
        ),
      ),
      table({}, ['partition', 'offset', 'time', 'dead letter', ''], dlqRows),
    ),
    section('Mappings', {}, mappings),
    section('Functions', {}, functions),
  );

  ctx.live(['pipeline'], (_view, p) => {
    fill(graph, drawGraph(p));
    fill(mappings, p.mappings.map(drawMapping));
    fill(functions, p.functions.map(drawFunction));
    // Functions a mapping invokes first: they are what the slow drill is for (lag builds up).
    const fed = new Set(p.edges.filter((e) => e.kind === 'mapping').map((e) => e.to));
    const first = (f) => (fed.has(`function:${f.name}`) ? 0 : 1);
    drills.functions([...p.functions].sort((a, b) => first(a) - first(b)).map((f) => f.name));
    if (p.recentOrders.join('\n') !== ordersSeen) {
      ordersSeen = p.recentOrders.join('\n');
      const chosen = recent.value;
      fill(
        recent,
        el('option', { value: '' }, p.recentOrders.length === 0 ? 'no orders yet' : 'recent orders'),
        [...p.recentOrders].reverse().map((id) => el('option', { value: id, selected: id === chosen }, id)),
      );
    }
    if (!p.dlq) {
      dlqCount.textContent = 'No dead-letter topic.';
      return;
    }
    dlqCount.setAttribute('data-records', p.dlq.records);
    dlqCount.textContent = `${count(p.dlq.records)} on ${p.dlq.topic}`;
    const key = `${p.dlq.topic}/${p.dlq.records}`;
    if (key !== dlqSeen) {
      dlqSeen = key;
      loadDeadLetters(p.dlq.topic, dlqRows);
    }
  });
}

const redriven = (r) =>
  r.redriven.length === 0
    ? 'nothing to redrive'
    : r.redriven
        .map((d) => `${d.from.partition}@${d.from.offset} → ${d.to.topic}-${d.to.partition}@${d.to.offset}`)
        .join(', ');

async function loadDeadLetters(topic, tbody) {
  try {
    const page = await get(`/api/topics/${encodeURIComponent(topic)}/messages?from=end&limit=50`);
    fill(
      tbody,
      page.records.length === 0 ? el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'None.')) : null,
      [...page.records].reverse().map((r) =>
        el(
          'tr',
          { 'data-testid': 'dlq-row', 'data-partition': r.partition, 'data-offset': r.offset },
          el('td', { class: 'n' }, String(r.partition)),
          el('td', { class: 'n' }, String(r.offset)),
          el('td', {}, clock(r.timestamp)),
          el('td', {}, decoded(r.value, 'dlq-value')),
          el(
            'td',
            {},
            el(
              'button',
              {
                'data-testid': `dlq-redrive-${r.partition}-${r.offset}`,
                type: 'button',
                onclick: () =>
                  act(
                    `redrive ${r.partition}@${r.offset}`,
                    '/api/pipeline/dlq/redrive',
                    { partition: r.partition, offset: r.offset },
                    redriven,
                  ),
              },
              'Redrive',
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    fill(tbody, el('tr', {}, el('td', { colspan: 5, class: 'error' }, error.message)));
  }
}

/**
 * Columns by the longest path from a node nothing points to; rows in the order nodes come.
 * Dead-letter destinations sit on a row of their own below, under the functions that write to them,
 * so their edges do not cross the main flow.
 */
function layout(nodes, edges) {
  const dead = new Set(nodes.filter((n) => n.deadLetter).map((n) => n.id));
  const main = nodes.filter((n) => !dead.has(n.id));
  const flow = edges.filter((e) => !dead.has(e.from) && !dead.has(e.to));
  const rank = new Map(main.map((n) => [n.id, 0]));
  // Relaxing every edge once per node settles the ranks of an acyclic graph; a cycle stops there.
  for (let i = 0; i < main.length; i++) {
    let moved = false;
    for (const e of flow) {
      if (!rank.has(e.from) || !rank.has(e.to)) continue;
      if (rank.get(e.to) < rank.get(e.from) + 1) {
        rank.set(e.to, rank.get(e.from) + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  const rows = new Map();
  const at = new Map();
  for (const n of main) {
    const column = rank.get(n.id);
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    at.set(n.id, { x: 20 + column * COL_W, y: 20 + row * ROW_H });
  }
  const columns = Math.max(0, ...rank.values()) + 1;
  const bottom = 20 + Math.max(1, ...rows.values()) * ROW_H;
  let spare = 0;
  for (const id of dead) {
    const sources = edges.filter((e) => e.to === id && at.has(e.from)).map((e) => at.get(e.from).x);
    const x = sources.length
      ? sources.reduce((a, b) => a + b, 0) / sources.length
      : 20 + (columns - 1 - spare++) * COL_W;
    at.set(id, { x, y: bottom });
  }
  return { at, dead, width: 40 + (columns - 1) * COL_W + NODE_W, height: bottom + (dead.size ? ROW_H : 0) };
}

/** A label cut to fit its box (the whole of it is in the node's tooltip). */
const fit = (text) => (text.length > 20 ? `${text.slice(0, 19)}…` : text);

function drawGraph(p) {
  const { at, dead, width, height } = layout(p.nodes, p.edges);
  const edges = p.edges.map((e) => {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) return null;
    // Into the main flow: right side to left side. Down to a dead-letter row: bottom to top.
    const down = dead.has(e.to) && !dead.has(e.from);
    const [x1, y1, x2, y2] = down
      ? [a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y]
      : [a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2];
    const bend = Math.max(40, (down ? Math.abs(y2 - y1) : Math.abs(x2 - x1)) / 2);
    const curve = down
      ? `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`
      : `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    const label = `${count(e.count)} · ${e.ratePerSec.toFixed(1)}/s`;
    const second = [
      e.lag !== null ? `lag ${count(e.lag)}` : null,
      e.errors > 0 ? `${count(e.errors)} errors` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    const mx = (x1 + x2) / 2 + (down ? 4 : 0);
    const my = (y1 + y2) / 2;
    const anchor = down ? 'start' : 'middle';
    return el(
      'g',
      {
        class: `edge ${e.kind}${e.errors > 0 ? ' failing' : ''}${e.ratePerSec > 0 ? ' moving' : ''}`,
        'data-testid': `edge-${e.id}`,
        'data-count': e.count,
        'data-lag': e.lag ?? '',
        'data-errors': e.errors,
      },
      el('path', { d: curve }),
      el('text', { x: mx, y: my - 6, 'text-anchor': anchor }, label),
      second ? el('text', { x: mx, y: my + 12, 'text-anchor': anchor, class: 'sub' }, second) : null,
      el('title', {}, `${e.kind} ${e.from} → ${e.to}: ${e.count} since start, ${e.errors} errors`),
    );
  });
  const nodes = p.nodes.map((n) => {
    const { x, y } = at.get(n.id);
    return el(
      'g',
      { class: `node ${n.kind}${n.deadLetter ? ' dead' : ''}`, 'data-testid': `node-${n.id}` },
      el('rect', { x, y, width: NODE_W, height: NODE_H, rx: 6 }),
      el('text', { x: x + NODE_W / 2, y: y + 18, 'text-anchor': 'middle', class: 'label' }, fit(n.label)),
      el('text', { x: x + NODE_W / 2, y: y + 34, 'text-anchor': 'middle', class: 'sub' }, fit(n.detail)),
      el('title', {}, `${n.kind} ${n.label}: ${n.detail}`),
    );
  });
  return el(
    'svg',
    {
      'data-testid': 'pipeline-graph',
      class: 'pipeline-graph',
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: 'img',
      'aria-label': 'the pipeline',
    },
    edges,
    nodes,
  );
}

function drawMapping(m) {
  return el(
    'div',
    { class: 'card', 'data-testid': `mapping-${m.name}` },
    el('h3', {}, m.name),
    el(
      'p',
      { class: 'facts' },
      el('span', {}, 'group ', el('a', { href: route('groups', m.group) }, m.group)),
      el('span', { class: m.lag > 0 ? 'warn' : '' }, `lag ${count(m.lag)}`),
      el('span', { class: m.deadLetters > 0 ? 'error' : '' }, `${count(m.deadLetters)} dead letters`),
    ),
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['time', 'partition', 'offsets', 'records', 'bytes', 'ms', 'outcome'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        [...m.batches]
          .reverse()
          .slice(0, 15)
          .map((b) =>
            el(
              'tr',
              { 'data-testid': 'batch-row', 'data-outcome': b.outcome, class: `outcome-${b.outcome}` },
              el('td', {}, clock(b.at)),
              el('td', { class: 'n' }, String(b.partition)),
              el('td', { class: 'n' }, `${b.firstOffset}–${b.lastOffset}`),
              el('td', { class: 'n' }, count(b.records)),
              el('td', { class: 'n' }, bytes(b.bytes)),
              el('td', { class: 'n' }, count(b.durationMs)),
              el(
                'td',
                { title: b.error ?? '' },
                b.outcome,
                b.attempt > 1 ? ` (attempt ${b.attempt})` : '',
                b.bisected ? ' bisected' : '',
                b.condition ? `: ${b.condition}` : '',
              ),
            ),
          ),
      ),
    ),
  );
}

function drawFunction(f) {
  return el(
    'div',
    { class: 'card', 'data-testid': `function-${f.name}`, 'data-cold-starts': f.coldStarts },
    el('h3', {}, f.name),
    el(
      'p',
      { class: 'facts' },
      el('span', {}, `${count(f.invocations)} invocations`),
      el('span', { class: f.errors > 0 ? 'error' : '' }, `${count(f.errors)} errors`),
      el('span', {}, `${count(f.timeouts)} timeouts`),
      el('span', {}, `${count(f.coldStarts)} cold starts`),
      f.delayMs > 0 ? el('span', { class: 'warn' }, `slowed by ${count(f.delayMs)} ms`) : null,
    ),
    el(
      'p',
      { class: 'spark' },
      [...f.recentInvocations].slice(-25).map((i) =>
        el('span', {
          class: `tick${i.ok ? '' : ' failed'}${i.coldStart ? ' cold' : ''}`,
          title: `${clock(i.at)} ${i.durationMs} ms${i.coldStart ? ', cold start' : ''}${i.error ? `: ${i.error}` : ''}`,
        }),
      ),
    ),
    el(
      'pre',
      { class: 'logs', 'data-testid': `function-logs-${f.name}` },
      f.recentLogs
        .slice(-20)
        .map((l) => el('div', {}, el('span', { class: 'muted' }, `${clock(l.at)} `), l.line)),
    ),
  );
}

function traceSection(recent) {
  const input = el('input', { 'data-testid': 'trace-order-id', placeholder: 'order id' });
  const hops = el('tbody');
  const total = el('p', { class: 'muted' });
  const run = async () => {
    const id = input.value.trim();
    if (!id) return;
    try {
      const t = await get(`/api/pipeline/trace/${encodeURIComponent(id)}`);
      fill(
        hops,
        t.hops.map((h) =>
          el(
            'tr',
            { 'data-testid': 'trace-hop', 'data-at': h.at ?? '', class: h.at === null ? 'muted' : '' },
            el('td', {}, h.name),
            el('td', {}, clock(h.at)),
            el('td', { class: 'n' }, h.ms === null ? '–' : `+${h.ms} ms`),
            el('td', {}, h.detail),
          ),
        ),
      );
      total.textContent = t.totalMs === null ? 'Not seen yet.' : `${t.totalMs} ms end to end so far.`;
    } catch (error) {
      fill(hops);
      total.textContent = error.message;
    }
  };
  recent.addEventListener('change', () => {
    if (!recent.value) return;
    input.value = recent.value;
    run();
  });
  return el(
    'div',
    {},
    el(
      'form',
      {
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          run();
        },
      },
      field('order', input),
      field('or pick one', recent),
      el('button', { 'data-testid': 'trace-submit', type: 'submit' }, 'Trace'),
    ),
    table({}, ['hop', 'at', 'since the previous', 'detail'], hops),
    total,
  );
}

function drillSection() {
  const n = el('input', {
    'data-testid': 'drill-send-count',
    type: 'number',
    min: 1,
    max: 1000,
    value: 10,
    class: 'narrow',
  });
  const fn = el('select', { 'data-testid': 'drill-slow-function' });
  const ms = el('input', {
    'data-testid': 'drill-slow-ms',
    type: 'number',
    min: 0,
    max: 30000,
    value: 2000,
    class: 'narrow',
  });
  const sent = (r) => {
    const ok = r.sent.filter((s) => s.status >= 200 && s.status < 300).length;
    return (
      `${ok} of ${r.sent.length} accepted` +
      (r.sent.length <= 3 ? `: ${r.sent.map((s) => s.orderId).join(', ')}` : '')
    );
  };
  let names = '';
  const form = el(
    'div',
    { class: 'drills' },
    el(
      'form',
      {
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          act(`send ${n.value} orders`, '/api/pipeline/orders', { count: Number(n.value) }, sent);
        },
      },
      field('orders', n),
      el('button', { 'data-testid': 'drill-send', type: 'submit' }, 'Send orders'),
      el(
        'button',
        {
          'data-testid': 'drill-poison',
          type: 'button',
          class: 'danger',
          onclick: () => act('send a poison order', '/api/pipeline/orders', { count: 1, poison: true }, sent),
        },
        'Send a poison order',
      ),
    ),
    el(
      'form',
      {
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          act('slow drill', '/api/pipeline/slow', { function: fn.value, delayMs: Number(ms.value) }, (r) =>
            r.delayMs === 0
              ? `${r.function} runs at full speed again`
              : `${r.function} waits ${r.delayMs} ms before each call`,
          );
        },
      },
      field('slow function', fn),
      field('delay ms (0 ends it)', ms),
      el('button', { 'data-testid': 'drill-slow-submit', type: 'submit' }, 'Apply'),
    ),
  );
  return {
    form,
    /** Fills the function picker once the names are known, keeping the choice. */
    functions(list) {
      if (list.join('\n') === names) return;
      names = list.join('\n');
      const chosen = fn.value;
      fill(
        fn,
        list.map((name) => el('option', { value: name, selected: name === chosen }, name)),
      );
    },
  };
}
