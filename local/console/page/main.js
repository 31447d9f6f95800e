/**
 * The console page: hash-routed views over the console's JSON API, kept current by Server-Sent Events.
 *
 * Plain ES modules with no framework and no build step, on purpose: the page has zero dependencies
 * to install or audit, the server hands these files out as they are in the repository (what you
 * read here is what runs), and a few tens of kilobytes parse and paint in well under a second.
 * Charts, tapes and the pipeline graph are hand-written SVG for the same reason.
 *
 * Routes: #/cluster (default), #/topics/<topic>, #/messages/<topic>, #/groups, #/groups/<group>,
 * #/pipeline (under `kw up` only). Each view subscribes only to the live views it shows.
 */
import { get, live, report, show } from './api.js';
import { el, fill } from './dom.js';
import { clusterView } from './cluster-view.js';
import { topicView } from './topic-view.js';
import { messagesView } from './messages-view.js';
import { groupsView, groupView } from './groups-view.js';
import { pipelineView } from './pipeline-view.js';

const main = document.getElementById('main');
let info = null;
/** What the current view opened (live streams, timers): closed when the route changes. */
let disposers = [];

function dispose() {
  for (const stop of disposers) stop();
  disposers = [];
}

function route() {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [name = 'cluster', ...rest] = parts;
  const arg = rest.join('/');
  for (const link of document.querySelectorAll('nav a')) {
    link.toggleAttribute('aria-current', link.getAttribute('data-route') === name);
  }
  dispose();
  fill(main);
  // Until the new view's stream is open, what the status says is not about it.
  show('connecting');
  main.setAttribute('data-view', location.hash);
  const ctx = {
    info,
    main,
    live(views, onView) {
      disposers.push(live(views, onView));
    },
    onDispose(fn) {
      disposers.push(fn);
    },
  };
  if (name === 'topics' && arg) topicView(ctx, arg);
  else if (name === 'messages') messagesView(ctx, arg);
  else if (name === 'groups' && arg) groupView(ctx, arg);
  else if (name === 'groups') groupsView(ctx);
  else if (name === 'pipeline' && info.mode === 'pipeline') pipelineView(ctx);
  else clusterView(ctx);
}

async function start() {
  try {
    info = await get('/api/info');
  } catch (error) {
    fill(main, el('p', { class: 'error' }, `The console's server did not answer: ${error.message}`));
    return;
  }
  fill(
    document.getElementById('about'),
    el('span', {}, `cluster ${info.clusterId}`),
    el('span', {}, `bootstrap ${info.bootstrapServers}`),
    info.ingestUrl ? el('span', {}, `ingest ${info.ingestUrl}`) : null,
  );
  document.querySelector('[data-testid="nav-pipeline"]').hidden = info.mode !== 'pipeline';
  window.addEventListener('hashchange', route);
  report('idle', '');
  route();
}

start();
