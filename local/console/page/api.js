/**
 * Talking to the console's server: JSON GETs, POSTs carrying the run's token (from the meta tag the
 * server fills in), the `action-result` line every action reports to, and the live Server-Sent Events.
 */

const TOKEN = document.querySelector('meta[name="kw-console-token"]')?.getAttribute('content') ?? '';

async function answer(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new Error(`${res.status}: ${body?.error ?? (text || res.statusText)}`);
  return body;
}

/** GET a JSON route; throws "status: error" when it fails. */
export async function get(path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' } }));
}

/** POST JSON with the token. */
export async function post(path, body) {
  return answer(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-kw-token': TOKEN },
      body: JSON.stringify(body ?? {}),
    }),
  );
}

/** Shows what an action came to in the `action-result` line. */
export function report(outcome, text) {
  const line = document.querySelector('[data-testid="action-result"]');
  if (!line) return;
  line.setAttribute('data-outcome', outcome);
  line.textContent = text;
}

/**
 * Runs an action: POSTs, reports `describe(answer)` or the error, and resolves to the answer
 * (undefined when it failed).
 */
export async function act(label, path, body, describe) {
  report('pending', `${label}…`);
  try {
    const result = await post(path, body);
    report('ok', `${label}: ${describe ? describe(result) : 'done'}`);
    return result;
  } catch (error) {
    report('error', `${label} failed: ${error.message}`);
    return undefined;
  }
}

/** Says in `live-status` whether the live stream is up: connecting, live or reconnecting. */
export function show(state) {
  const status = document.querySelector('[data-testid="live-status"]');
  if (!status) return;
  status.textContent = state;
  status.setAttribute('data-state', state);
}

/**
 * Subscribes to live views (`cluster`, `group:G`, ...): `onView(view, data)` gets each snapshot, the
 * `live-status` element says whether the stream is up. Returns a function that closes it. A stream
 * the server refused (EventSource gives up then) is opened again after a pause.
 */
export function live(views, onView) {
  let source;
  let retry;
  let closed = false;
  const open = () => {
    source = new EventSource(`/api/live?${views.map((v) => `view=${encodeURIComponent(v)}`).join('&')}`);
    source.addEventListener('open', () => show('live'));
    for (const view of views) source.addEventListener(view, (e) => onView(view, JSON.parse(e.data)));
    source.addEventListener('error', (e) => {
      // A view the server could not compute arrives as an `error` event with data; a dropped
      // connection is a plain `error` event.
      if (typeof e.data === 'string') {
        const failure = JSON.parse(e.data);
        report('error', `${failure.view}: ${failure.error}`);
        return;
      }
      show('reconnecting');
      if (source.readyState === EventSource.CLOSED && !closed) retry = setTimeout(open, 2000);
    });
  };
  show('connecting');
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    source.close();
  };
}
