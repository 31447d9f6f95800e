/**
 * #/cluster: the brokers (up, paused or down; stop and start when the cluster runs in this process)
 * and every topic with its partitions' leader, replicas, ISR, offsets and size; create, delete and
 * grow topics. Live: `cluster`.
 */
import { act } from './api.js';
import { bytes, count, el, field, fill, route, section } from './dom.js';

export function clusterView(ctx) {
  const brokers = el('tbody');
  const topics = el('tbody');
  const showInternal = el('input', { type: 'checkbox' });
  let last = null;
  // Each topic's action controls are kept across redraws, so a typed count or an armed delete stays.
  const actions = new Map();
  const draw = () =>
    last && (drawBrokers(brokers, last), drawTopics(topics, last, showInternal.checked, actions));
  showInternal.addEventListener('change', draw);

  const name = el('input', { 'data-testid': 'topic-create-name', required: true, placeholder: 'payments' });
  const partitions = el('input', {
    'data-testid': 'topic-create-partitions',
    type: 'number',
    min: 1,
    value: 3,
    required: true,
  });
  const replication = el('input', { type: 'number', min: 1, placeholder: 'default' });
  const create = el(
    'form',
    {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        const request = { name: name.value.trim(), partitions: Number(partitions.value) };
        if (replication.value) request.replicationFactor = Number(replication.value);
        act(`create topic ${request.name}`, '/api/topics', request, (r) => `created ${r.name}`);
      },
    },
    field('name', name),
    field('partitions', partitions),
    field('replication factor', replication),
    el('button', { 'data-testid': 'topic-create-submit', type: 'submit' }, 'Create topic'),
  );

  fill(
    ctx.main,
    section(
      'Brokers',
      {},
      el(
        'table',
        {},
        el('thead', {}, row('th', ['node', 'address', 'state', 'leads', 'replicas', ''])),
        brokers,
      ),
    ),
    section(
      'Topics',
      {},
      create,
      el('label', { class: 'toggle' }, showInternal, ' show internal topics'),
      el(
        'table',
        { class: 'topics' },
        el(
          'thead',
          {},
          row('th', [
            'topic / partition',
            'leader',
            'replicas',
            'ISR',
            'log start',
            'high watermark',
            'records',
            'size',
            '',
          ]),
        ),
        topics,
      ),
    ),
  );
  ctx.live(['cluster'], (_view, snapshot) => {
    last = snapshot;
    draw();
  });
}

const row = (cell, values) =>
  el(
    'tr',
    {},
    values.map((v) => el(cell, {}, v)),
  );

function drawBrokers(tbody, snapshot) {
  fill(
    tbody,
    snapshot.brokers.map((b) =>
      el(
        'tr',
        { 'data-testid': `broker-${b.nodeId}`, 'data-state': b.state, class: `state-${b.state}` },
        el('td', {}, String(b.nodeId)),
        el('td', {}, `${b.host}:${b.port}`),
        el('td', {}, el('span', { class: `badge ${b.state}` }, b.state)),
        el('td', { class: 'n' }, count(b.leaderOf)),
        el('td', { class: 'n' }, count(b.replicaOf)),
        el(
          'td',
          {},
          snapshot.controllable && b.state !== 'down'
            ? el(
                'button',
                {
                  'data-testid': `broker-stop-${b.nodeId}`,
                  onclick: () => brokerAction(b.nodeId, 'stop'),
                },
                'Stop',
              )
            : null,
          snapshot.controllable && b.state === 'down'
            ? el(
                'button',
                {
                  'data-testid': `broker-start-${b.nodeId}`,
                  onclick: () => brokerAction(b.nodeId, 'start'),
                },
                'Start',
              )
            : null,
        ),
      ),
    ),
  );
}

function brokerAction(nodeId, action) {
  act(`${action} broker ${nodeId}`, `/api/brokers/${nodeId}/${action}`, {}, (r) =>
    r.leaderChanges.length === 0
      ? 'no leader moved'
      : `${r.leaderChanges.length} leaders moved: ` +
        r.leaderChanges.map((c) => `${c.topic}-${c.partition} ${c.before}→${c.after}`).join(', '),
  );
}

function drawTopics(tbody, snapshot, showInternal, actions) {
  const shown = snapshot.topics.filter((t) => showInternal || !t.internal);
  fill(
    tbody,
    shown.length === 0 ? el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No topics yet.')) : null,
    shown.map((t) => [
      el(
        'tr',
        { class: 'topic', 'data-testid': `topic-${t.name}` },
        el(
          'td',
          {},
          el('a', { href: route('topics', t.name) }, t.name),
          ' ',
          el('a', { class: 'small', href: route('messages', t.name) }, 'messages'),
        ),
        el('td', { colspan: 5, class: 'muted' }, `${t.partitions.length} partitions`),
        el('td', { class: 'n' }, count(t.records)),
        el('td', { class: 'n' }, bytes(t.sizeInBytes)),
        el('td', {}, t.internal ? null : cached(actions, t)),
      ),
      t.partitions.map((p) =>
        el(
          'tr',
          {
            class: p.leader === -1 ? 'partition offline' : 'partition',
            'data-testid': `partition-${t.name}-${p.partition}`,
            'data-leader': p.leader,
            'data-isr': p.isr.join(','),
          },
          el('td', { class: 'indent' }, `partition ${p.partition}`),
          el('td', {}, p.leader === -1 ? 'none' : String(p.leader)),
          el('td', {}, p.replicas.join(', ')),
          el('td', { class: p.isr.length < p.replicas.length ? 'warn' : '' }, p.isr.join(', ')),
          el('td', { class: 'n' }, count(p.logStartOffset)),
          el('td', { class: 'n' }, count(p.highWatermark)),
          el('td', { class: 'n' }, count(p.highWatermark - p.logStartOffset)),
          el('td', { class: 'n' }, bytes(p.sizeInBytes)),
          el('td'),
        ),
      ),
    ]),
  );
}

function cached(actions, topic) {
  const key = `${topic.name}/${topic.partitions.length}`;
  if (!actions.has(key)) actions.set(key, topicActions(topic));
  return actions.get(key);
}

/** Add partitions, and delete (asked again on the button itself: a dialog would block the page). */
function topicActions(topic) {
  // How many to add; the API takes the new total, as CreatePartitions does. `topic` is current: the
  // controls are cached by name and partition count, so a grown topic gets new ones.
  const more = el('input', {
    type: 'number',
    class: 'narrow',
    min: 1,
    value: 1,
    'aria-label': `partitions to add to ${topic.name}`,
  });
  const grow = el(
    'button',
    {
      'data-testid': `topic-add-partitions-${topic.name}`,
      onclick: () =>
        act(
          `add ${more.value} partitions to ${topic.name}`,
          `/api/topics/${encodeURIComponent(topic.name)}/partitions`,
          { count: topic.partitions.length + Number(more.value) },
          () => 'done',
        ),
    },
    'Add partitions',
  );
  const remove = el('button', { class: 'danger', 'data-testid': `topic-delete-${topic.name}` }, 'Delete');
  remove.addEventListener('click', () => {
    if (remove.getAttribute('data-armed') !== 'true') {
      remove.setAttribute('data-armed', 'true');
      remove.textContent = 'Really delete?';
      return;
    }
    act(
      `delete topic ${topic.name}`,
      `/api/topics/${encodeURIComponent(topic.name)}/delete`,
      {},
      () => 'deleted',
    );
  });
  return el('span', { class: 'actions' }, more, grow, remove);
}
