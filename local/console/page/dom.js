/**
 * Building the page's DOM without markup strings: every text the server sends (record keys and
 * values, topic names, log lines) goes in as a text node or an attribute value, so a record holding
 * `<img onerror=...>` is shown as those characters and never parsed as HTML.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'path', 'polyline', 'circle', 'text', 'title']);

/**
 * `el('td', {class: 'n', 'data-testid': 'x', onclick: f}, 'text', child)`: attributes are set with
 * setAttribute (on* keys become listeners), children are nodes or strings (text nodes); null,
 * undefined and false children and attributes are skipped, arrays are flattened.
 */
export function el(tag, attrs = {}, ...children) {
  const node = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'value' && 'value' in node && !SVG_TAGS.has(tag)) node.value = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A table with a row of column headings over `body` (a tbody the view fills). */
export function table(attrs, headings, body) {
  return el(
    'table',
    attrs,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headings.map((h) => el('th', {}, h)),
      ),
    ),
    body,
  );
}

/** Replaces a node's children (the live views redraw their parts this way). */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** 1234567 → "1,234,567". */
export const count = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));

/** Bytes as B, KiB or MiB; "–" when unknown. */
export function bytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A time of day with milliseconds, local time. */
export function clock(ms) {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * A DecodedBytes as text: the encoding and a cut goes in data attributes (the stylesheet labels
 * them), so the element's text is exactly the decoded text.
 */
export function decoded(value, testid) {
  if (value === null || value === undefined)
    return el('span', { class: 'bytes', 'data-testid': testid, 'data-null': true });
  return el(
    value.encoding === 'json' ? 'pre' : 'span',
    {
      class: 'bytes',
      'data-testid': testid,
      'data-encoding': value.encoding,
      'data-truncated': value.truncated || undefined,
      title: `${value.encoding}, ${bytes(value.size)}`,
    },
    value.text,
  );
}

/** A section with a heading. */
export const section = (title, attrs, ...children) => el('section', attrs, el('h2', {}, title), ...children);

/** A labelled form control. */
export const field = (label, control) => el('label', { class: 'field' }, el('span', {}, label), control);

/** Route links: `#/topics/orders` with the parts URI-encoded. */
export const route = (...parts) => `#/${parts.map(encodeURIComponent).join('/')}`;
