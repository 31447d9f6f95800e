/**
 * #/groups: every consumer group with its state and lag (live: `groups`). #/groups/<group>: members
 * and what each is assigned, committed offsets and lag per partition, lag over the last minutes as
 * a plot, rebalances as they happen, and resetting offsets (live: `group:<group>`).
 */
import { act } from './api.js';
import { clock, count, el, field, fill, route, section, table } from './dom.js';

export function groupsView(ctx) {
  const rows = el('tbody');
  fill(
    ctx.main,
    section('Consumer groups', {}, table({}, ['group', 'state', 'members', 'topics', 'lag'], rows)),
  );
  ctx.live(['groups'], (_view, groups) =>
    fill(
      rows,
      groups.length === 0
        ? el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No consumer groups yet.'))
        : null,
      groups.map((g) =>
        el(
          'tr',
          { 'data-testid': `group-${g.groupId}`, 'data-state': g.state, 'data-lag': g.lag },
          el('td', {}, el('a', { href: route('groups', g.groupId) }, g.groupId)),
          el('td', {}, el('span', { class: `badge ${g.state}` }, g.state)),
          el('td', { class: 'n' }, count(g.members)),
          el('td', {}, g.topics.join(', ')),
          el('td', { class: g.lag > 0 ? 'n warn' : 'n' }, count(g.lag)),
        ),
      ),
    ),
  );
}

export function groupView(ctx, groupId) {
  const head = el('div', { class: 'facts' });
  const lag = el('strong', { class: 'big', 'data-testid': 'group-lag' });
  const plot = el('div', { class: 'plot' });
  const members = el('tbody');
  const offsets = el('tbody');
  const rebalances = el('ol', { class: 'rebalances', 'data-testid': 'group-rebalances', reversed: true });
  const resetTopic = el('select', { 'data-testid': 'group-reset-topic' });
  const resetTo = el(
    'select',
    { 'data-testid': 'group-reset-to' },
    ['earliest', 'latest', 'offset', 'timestamp'].map((t) => el('option', { value: t }, t)),
  );
  const resetOffset = el('input', {
    'data-testid': 'group-reset-offset',
    type: 'number',
    min: 0,
    class: 'narrow',
  });
  const resetTime = el('input', { 'data-testid': 'group-reset-time', type: 'datetime-local', step: 1 });
  const resetPartition = el('input', {
    'data-testid': 'group-reset-partition',
    type: 'number',
    min: 0,
    class: 'narrow',
    placeholder: 'all',
  });
  const resetSubmit = el('button', { 'data-testid': 'group-reset-submit', type: 'submit' }, 'Reset offsets');
  const resetNote = el('p', { class: 'muted' });
  const offsetField = field('offset', resetOffset);
  const timeField = field('time', resetTime);
  const showTo = () => {
    offsetField.hidden = resetTo.value !== 'offset';
    timeField.hidden = resetTo.value !== 'timestamp';
  };
  resetTo.addEventListener('change', showTo);
  showTo();
  const reset = el(
    'form',
    {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        const request = { topic: resetTopic.value, to: resetTo.value };
        if (resetTo.value === 'offset') request.offset = Number(resetOffset.value);
        if (resetTo.value === 'timestamp') request.timestamp = new Date(resetTime.value).getTime();
        if (resetPartition.value !== '') request.partition = Number(resetPartition.value);
        act(
          `reset ${groupId} on ${request.topic}`,
          `/api/groups/${encodeURIComponent(groupId)}/reset-offsets`,
          request,
          (r) =>
            r.offsets.map((o) => `${o.topic}-${o.partition} ${o.before ?? 'none'}→${o.after}`).join(', '),
        );
      },
    },
    field('topic', resetTopic),
    field('to', resetTo),
    offsetField,
    timeField,
    field('partition', resetPartition),
    resetSubmit,
  );
  let topics = '';

  fill(
    ctx.main,
    el('h1', {}, `Group ${groupId}`),
    head,
    section('Lag', {}, el('p', {}, 'total ', lag), plot),
    section('Members', {}, table({}, ['member', 'client', 'host', 'assigned'], members)),
    section(
      'Committed offsets',
      {},
      table({}, ['topic', 'partition', 'committed', 'high watermark', 'lag'], offsets),
    ),
    section('Rebalances', {}, rebalances),
    section('Reset offsets', {}, resetNote, reset),
  );

  ctx.live([`group:${groupId}`], (_view, g) => {
    fill(
      head,
      el(
        'span',
        {},
        'state ',
        el('span', { class: `badge ${g.state}`, 'data-testid': 'group-state' }, g.state),
      ),
      el('span', {}, `protocol ${g.protocolType || '–'} ${g.protocol || ''}`),
      el('span', {}, `generation ${g.generation ?? '–'}`),
      el('span', {}, `${g.members} members`),
    );
    lag.textContent = count(g.lag);
    lag.setAttribute('data-lag', g.lag);
    fill(plot, lagPlot(g.lagHistory));
    fill(
      members,
      g.memberList.length === 0
        ? el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No members.'))
        : null,
      g.memberList.map((m) =>
        el(
          'tr',
          {},
          el('td', { class: 'mono' }, m.memberId),
          el('td', {}, m.clientId),
          el('td', {}, m.clientHost),
          el('td', {}, m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ')),
        ),
      ),
    );
    fill(
      offsets,
      g.offsets.map((o) =>
        el(
          'tr',
          { 'data-testid': `group-offset-${o.topic}-${o.partition}`, 'data-lag': o.lag },
          el('td', {}, o.topic),
          el('td', { class: 'n' }, String(o.partition)),
          el('td', { class: 'n' }, o.committed === null ? 'none' : count(o.committed)),
          el('td', { class: 'n' }, count(o.highWatermark)),
          el('td', { class: o.lag > 0 ? 'n warn' : 'n' }, count(o.lag)),
        ),
      ),
    );
    fill(
      rebalances,
      g.rebalances.length === 0
        ? el('li', { class: 'muted empty' }, 'None seen since the console started.')
        : null,
      [...g.rebalances].reverse().map((r) =>
        el(
          'li',
          {},
          el('b', {}, `${clock(r.at)} generation ${r.generation ?? '?'} ${r.state}`),
          el(
            'ul',
            {},
            r.members.map((m) =>
              el('li', {}, `${m.clientId} (${m.memberId}): ${m.partitions.join(', ') || 'nothing'}`),
            ),
          ),
        ),
      ),
    );
    const groupTopics = [...new Set(g.offsets.map((o) => o.topic).concat(g.topics))];
    if (groupTopics.join('\n') !== topics) {
      topics = groupTopics.join('\n');
      fill(
        resetTopic,
        groupTopics.map((t) => el('option', { value: t }, t)),
      );
    }
    resetSubmit.disabled = !g.canReset;
    resetNote.textContent = g.canReset
      ? 'No consumer is in the group: its offsets can be moved.'
      : `Offsets can be reset only while no consumer is in the group (it is ${g.state}).`;
  });
}

const PLOT_W = 640;
const PLOT_H = 160;

/** Total lag over time as a polyline, with the largest value and the time span on the axes. */
function lagPlot(samples) {
  const svg = el('svg', {
    class: 'lag-plot',
    'data-testid': 'group-lag-plot',
    viewBox: `0 0 ${PLOT_W} ${PLOT_H}`,
    role: 'img',
    'aria-label': 'lag over time',
  });
  if (samples.length === 0) {
    svg.appendChild(el('text', { x: PLOT_W / 2, y: PLOT_H / 2, 'text-anchor': 'middle' }, 'no samples yet'));
    return svg;
  }
  const left = 48;
  const bottom = PLOT_H - 20;
  const first = samples[0].at;
  const last = samples[samples.length - 1].at;
  const most = Math.max(1, ...samples.map((s) => s.lag));
  const x = (at) => left + ((at - first) / Math.max(1, last - first)) * (PLOT_W - left - 8);
  const y = (lag) => bottom - (lag / most) * (bottom - 8);
  svg.append(
    el('line', { class: 'axis', x1: left, x2: PLOT_W - 8, y1: bottom, y2: bottom }),
    el('line', { class: 'axis', x1: left, x2: left, y1: 8, y2: bottom }),
    el('text', { x: left - 4, y: 14, 'text-anchor': 'end' }, count(most)),
    el('text', { x: left - 4, y: bottom, 'text-anchor': 'end' }, '0'),
    el('text', { x: left, y: PLOT_H - 4 }, clock(first)),
    el('text', { x: PLOT_W - 8, y: PLOT_H - 4, 'text-anchor': 'end' }, clock(last)),
    el('polyline', {
      class: 'lag-line',
      points: samples.map((s) => `${x(s.at).toFixed(1)},${y(s.lag).toFixed(1)}`).join(' '),
    }),
  );
  return svg;
}
