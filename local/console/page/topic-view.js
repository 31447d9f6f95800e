/**
 * #/topics/<topic>: each partition as a tape (log start to high watermark, every group's committed
 * offset marked, the newest records arriving at the right end) and the topic's configs.
 * Live: `tape:<topic>:<p>` for each partition.
 */
import { get } from './api.js';
import { clock, count, decoded, el, fill, route, section } from './dom.js';

const WIDTH = 640;
const PAD = 12;

export async function topicView(ctx, topic) {
  const tapes = el('div', { class: 'tapes' });
  const configs = el('tbody');
  fill(
    ctx.main,
    el(
      'h1',
      {},
      `Topic ${topic} `,
      el('a', { class: 'small', href: route('messages', topic) }, 'browse messages'),
    ),
    section('Partitions', {}, tapes),
    section(
      'Configs',
      {},
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', {}, 'name'), el('th', {}, 'value'), el('th', {}, 'source'))),
        configs,
      ),
    ),
  );
  let partitions;
  try {
    const cluster = await get('/api/cluster');
    partitions = cluster.topics.find((t) => t.name === topic)?.partitions;
    const list = await get(`/api/topics/${encodeURIComponent(topic)}/configs`);
    fill(
      configs,
      list.map((c) =>
        el(
          'tr',
          { class: c.isDefault ? 'muted' : '' },
          el('td', {}, c.name),
          el('td', {}, c.sensitive ? '(sensitive)' : (c.value ?? 'null')),
          el('td', {}, c.isDefault ? 'default' : 'set on the topic', c.readOnly ? ', read-only' : ''),
        ),
      ),
    );
  } catch (error) {
    fill(tapes, el('p', { class: 'error' }, error.message));
    return;
  }
  if (!partitions) {
    fill(tapes, el('p', { class: 'error' }, `No topic ${topic}.`));
    return;
  }
  const holders = new Map(partitions.map((p) => [p.partition, el('div', { class: 'tape' })]));
  fill(tapes, [...holders.values()]);
  const seen = new Map();
  ctx.live(
    partitions.map((p) => `tape:${topic}:${p.partition}`),
    (_view, tape) => drawTape(holders.get(tape.partition), tape, seen),
  );
}

/** One partition's tape; `seen` remembers each partition's newest offset so new arrivals flash. */
function drawTape(holder, tape, seen) {
  if (!holder) return;
  const start = tape.logStartOffset;
  const end = tape.highWatermark;
  const span = Math.max(1, end - start);
  const x = (offset) => PAD + ((Math.min(Math.max(offset, start), end) - start) / span) * (WIDTH - 2 * PAD);
  const before = seen.get(tape.partition) ?? end;
  seen.set(tape.partition, end);
  const svg = el(
    'svg',
    {
      class: 'tape-bar',
      'data-testid': `tape-${tape.topic}-${tape.partition}`,
      'data-log-start': start,
      'data-high-watermark': end,
      viewBox: `0 0 ${WIDTH} 64`,
      role: 'img',
      'aria-label': `partition ${tape.partition}: offsets ${start} to ${end}`,
    },
    el('rect', { class: 'log', x: PAD, y: 18, width: WIDTH - 2 * PAD, height: 18, rx: 3 }),
    tape.recent.map((r) =>
      el(
        'rect',
        {
          class: r.offset >= before ? 'record fresh' : 'record',
          x: x(r.offset) - 1,
          y: 18,
          width: 2,
          height: 18,
        },
        el('title', {}, `offset ${r.offset} at ${clock(r.timestamp)}`),
      ),
    ),
    // What each group has yet to read: from its committed offset to the high watermark.
    tape.groups.map((g) =>
      el('rect', {
        class: 'unread',
        x: x(g.committed),
        y: 22,
        width: Math.max(0, x(end) - x(g.committed)),
        height: 10,
      }),
    ),
    tape.groups.map((g) =>
      el(
        'g',
        { class: 'group-mark', 'data-testid': `tape-group-${g.groupId}`, 'data-committed': g.committed },
        el('line', { x1: x(g.committed), x2: x(g.committed), y1: 12, y2: 42 }),
        el('text', { x: x(g.committed), y: 54, 'text-anchor': 'middle' }, `${g.groupId} @${g.committed}`),
        el('title', {}, `${g.groupId}: committed ${g.committed}, lag ${end - g.committed}`),
      ),
    ),
    el('text', { x: PAD, y: 12 }, `log start ${count(start)}`),
    el('text', { x: WIDTH - PAD, y: 12, 'text-anchor': 'end' }, `high watermark ${count(end)}`),
  );
  const newest = tape.recent.slice(-5).reverse();
  fill(
    holder,
    el('h3', {}, `partition ${tape.partition}`, el('span', { class: 'muted' }, ` leader ${tape.leader}`)),
    svg,
    el(
      'ul',
      { class: 'recent' },
      newest.map((r) =>
        el(
          'li',
          { class: r.offset >= before ? 'fresh' : '' },
          el('span', { class: 'muted' }, `@${r.offset} ${clock(r.timestamp)} `),
          decoded(r.key, 'tape-key'),
          ' ',
          decoded(r.value, 'tape-value'),
        ),
      ),
    ),
  );
}
