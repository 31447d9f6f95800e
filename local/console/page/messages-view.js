/**
 * #/messages/<topic>: a page of records at a time (from the end, the beginning, an offset or a time;
 * one partition or all; a text search), key, value and headers decoded by the server and shown as
 * text; a produce form; selected rows copied to another topic.
 */
import { act, get } from './api.js';
import { clock, decoded, el, field, fill, route, section, table } from './dom.js';

export async function messagesView(ctx, topic) {
  let cluster;
  try {
    cluster = await get('/api/cluster');
  } catch (error) {
    fill(ctx.main, el('p', { class: 'error' }, error.message));
    return;
  }
  const names = cluster.topics.filter((t) => !t.internal).map((t) => t.name);
  if (!topic) {
    const first = names.includes('orders') ? 'orders' : names[0];
    if (first) location.replace(route('messages', first));
    else fill(ctx.main, el('p', { class: 'muted' }, 'No topics yet: create one on the Cluster view.'));
    return;
  }
  const partitions = cluster.topics.find((t) => t.name === topic)?.partitions ?? [];
  const path = `/api/topics/${encodeURIComponent(topic)}/messages`;

  const picker = el(
    'select',
    {
      'data-testid': 'message-topic',
      onchange: (e) => location.assign(route('messages', e.target.value)),
    },
    names.map((n) => el('option', { value: n, selected: n === topic }, n)),
  );
  const partition = el(
    'select',
    { 'data-testid': 'message-partition' },
    el('option', { value: '' }, 'all'),
    partitions.map((p) => el('option', { value: p.partition }, String(p.partition))),
  );
  const from = el(
    'select',
    { 'data-testid': 'message-from' },
    ['end', 'beginning', 'offset', 'timestamp'].map((f) => el('option', { value: f }, f)),
  );
  const offset = el('input', {
    'data-testid': 'message-offset',
    type: 'number',
    min: 0,
    value: 0,
    class: 'narrow',
  });
  const time = el('input', { 'data-testid': 'message-time', type: 'datetime-local', step: 1 });
  const offsetField = field('offset', offset);
  const timeField = field('time', time);
  const showFrom = () => {
    offsetField.hidden = from.value !== 'offset';
    timeField.hidden = from.value !== 'timestamp';
  };
  from.addEventListener('change', showFrom);
  showFrom();
  const search = el('input', {
    'data-testid': 'message-search',
    type: 'search',
    placeholder: 'text in key or value',
  });
  const rows = el('tbody');
  const status = el('span', { 'data-testid': 'message-status' });
  const next = el('button', { 'data-testid': 'message-next', type: 'button', disabled: true }, 'Next page');
  const arrived = el('span', { class: 'warn', 'data-testid': 'message-new' });
  let cursor = null;
  let pageNumber = 1;
  /** The topic's high watermarks when the page was read, to count what arrived since. */
  let readAt = null;
  let latest = partitions;
  const countArrived = () => {
    if (!readAt) return;
    const now = latest.reduce((n, p) => n + p.highWatermark, 0);
    const since = now - readAt;
    arrived.textContent =
      since > 0 ? ` ${since} new records since this page was read: Load again to see them.` : '';
  };

  const load = async (withCursor) => {
    const query = new URLSearchParams();
    if (withCursor) query.set('cursor', withCursor);
    else {
      if (partition.value !== '') query.set('partition', partition.value);
      query.set('from', from.value);
      if (from.value === 'offset') query.set('offset', offset.value || '0');
      if (from.value === 'timestamp' && time.value)
        query.set('timestamp', String(new Date(time.value).getTime()));
      if (search.value) query.set('search', search.value);
      pageNumber = 1;
    }
    status.textContent = 'Reading…';
    try {
      const page = await get(`${path}?${query}`);
      readAt = page.partitions.reduce((n, p) => n + p.highWatermark, 0);
      cursor = page.cursor;
      next.disabled = cursor === null;
      drawRows(rows, page.records);
      status.textContent =
        `Page ${pageNumber}: ${page.records.length} records (${page.scanned} read)` +
        (cursor === null ? ', end of the log.' : '.');
      countArrived();
    } catch (error) {
      status.textContent = error.message;
    }
  };
  next.addEventListener('click', () => {
    pageNumber++;
    load(cursor);
  });

  const browse = el(
    'form',
    {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        load(null);
      },
    },
    field('topic', picker),
    field('partition', partition),
    field('from', from),
    offsetField,
    timeField,
    field('search', search),
    el('button', { 'data-testid': 'message-load', type: 'submit' }, 'Load'),
    next,
  );

  const copyTo = el('input', { 'data-testid': 'message-copy-to', list: 'topic-names', placeholder: 'topic' });
  const copy = el(
    'button',
    {
      'data-testid': 'message-copy',
      type: 'button',
      onclick: () => {
        const records = [...rows.querySelectorAll('[data-testid="message-select"]:checked')].map((box) => ({
          partition: Number(box.getAttribute('data-partition')),
          offset: Number(box.getAttribute('data-offset')),
        }));
        act(
          `copy ${records.length} records to ${copyTo.value}`,
          `/api/topics/${encodeURIComponent(topic)}/copy`,
          { to: copyTo.value, records },
          (r) =>
            r.copied
              .map((c) => `${c.from.partition}@${c.from.offset} → ${c.topic}-${c.partition}@${c.offset}`)
              .join(', '),
        );
      },
    },
    'Copy selected',
  );

  fill(
    ctx.main,
    el(
      'datalist',
      { id: 'topic-names' },
      names.map((n) => el('option', { value: n })),
    ),
    el('h1', {}, `Messages on ${topic}`),
    browse,
    el('p', { class: 'muted' }, status, arrived),
    table({ class: 'messages' }, ['', 'partition', 'offset', 'time', 'key', 'value', 'headers'], rows),
    el('p', { class: 'inline' }, field('copy the selected rows to', copyTo), copy),
    section(
      'Produce',
      {},
      produceForm(topic, partitions, () => load(null)),
    ),
  );
  load(null);
  ctx.live(['cluster'], (_view, snapshot) => {
    latest = snapshot.topics.find((t) => t.name === topic)?.partitions ?? [];
    countArrived();
  });
}

function drawRows(tbody, records) {
  fill(
    tbody,
    records.length === 0 ? el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No records.')) : null,
    records.map((r) =>
      el(
        'tr',
        { 'data-testid': 'message-row', 'data-partition': r.partition, 'data-offset': r.offset },
        el(
          'td',
          {},
          el('input', {
            type: 'checkbox',
            'data-testid': 'message-select',
            'data-partition': r.partition,
            'data-offset': r.offset,
            'aria-label': `select ${r.partition}@${r.offset}`,
          }),
        ),
        el('td', { class: 'n' }, String(r.partition)),
        el('td', { class: 'n' }, String(r.offset)),
        el('td', {}, clock(r.timestamp)),
        el('td', {}, decoded(r.key, 'message-key')),
        el('td', {}, decoded(r.value, 'message-value')),
        el(
          'td',
          { 'data-testid': 'message-headers' },
          r.headers.map((h) =>
            el('div', {}, el('b', {}, h.key), ': ', decoded(h.value, 'message-header-value')),
          ),
        ),
      ),
    ),
  );
}

/** Key, value, headers (one `name: value` a line) and an optional partition. */
function produceForm(topic, partitions, reload) {
  const key = el('input', { 'data-testid': 'produce-key', placeholder: 'none' });
  const value = el('textarea', {
    'data-testid': 'produce-value',
    rows: 4,
    placeholder: '{"hello": "world"}',
  });
  const headers = el('textarea', { 'data-testid': 'produce-headers', rows: 2, placeholder: 'name: value' });
  const partition = el(
    'select',
    { 'data-testid': 'produce-partition' },
    el('option', { value: '' }, 'by key'),
    partitions.map((p) => el('option', { value: p.partition }, String(p.partition))),
  );
  return el(
    'form',
    {
      class: 'stack',
      onsubmit: async (e) => {
        e.preventDefault();
        const request = {
          key: key.value === '' ? null : key.value,
          value: value.value,
          headers: headers.value
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => {
              const at = line.indexOf(':');
              return at < 0
                ? { key: line.trim(), value: '' }
                : { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
            }),
        };
        if (partition.value !== '') request.partition = Number(partition.value);
        const result = await act(
          `produce to ${topic}`,
          `/api/topics/${encodeURIComponent(topic)}/messages`,
          request,
          (r) => `${r.topic}-${r.partition}@${r.offset}`,
        );
        if (result) reload();
      },
    },
    el('div', { class: 'inline' }, field('key', key), field('partition', partition)),
    field('value', value),
    field('headers', headers),
    el('button', { 'data-testid': 'produce-submit', type: 'submit' }, 'Produce'),
  );
}
