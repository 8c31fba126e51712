// Building blocks shared by the analytics tabs: chart cards (title + one-line description +
// chart), stat cards, sortable tables, and the loading / empty / error states. A tab module
// exports render(ctx) where ctx = {el, q (region/area/window query object), width(kind),
// alive(), section(id)}; it may return a cleanup function.
import { h, clear, activateOnKey } from '../../dom.js';
import { api, qs, ApiError } from '../../api.js';
import { num, fixed } from '../../format.js';

/** card wraps a chart or table: <section class="an-card"> with an h3 title and a description. */
export function card(title, desc, body, opts = {}) {
  return h('section', { class: 'an-card' + (opts.full ? ' full' : ''), id: opts.id || null, dataset: opts.chart ? { chart: opts.chart } : null },
    h('h3', null, title),
    desc ? h('p', { class: 'an-desc' }, desc) : null,
    body);
}

/** stat is one overview number with a label and an optional sub line / extra node. */
export function stat(label, value, sub, extra) {
  return h('div', { class: 'an-stat' },
    h('div', { class: 'an-stat-v' }, value),
    h('div', { class: 'an-stat-k' }, label),
    sub ? h('div', { class: 'an-stat-sub' }, sub) : null,
    extra || null);
}

/** empty explains why a chart or table has nothing to show. */
export const empty = (msg) => h('p', { class: 'an-empty' }, msg);

/** loading is the placeholder while a tab's data is in flight (the tests wait for it to go). */
export const loading = (what) => h('p', { class: 'loading' }, `Loading ${what}…`);

/**
 * failure explains a failed request in words: a 404 from an /api route means this server does
 * not offer it (yet); other statuses show the server's message. retry re-runs the tab.
 */
export function failure(err, what, retry) {
  const st = err instanceof ApiError ? err.status : 0;
  let msg;
  if (st === 404 || st === 405 || st === 501) msg = `${what} is not available from this server yet (the server does not provide this data).`;
  else if (st === 503) msg = `${what} is not ready yet: the server is still loading its data. Try again in a moment.`;
  else if (st === 0) msg = `Could not reach the server to load ${what}. Check the connection and try again.`;
  else msg = `Could not load ${what}: ${String(err.message || err).replace(/^\/[^:]*: /, '')} (HTTP ${st}).`;
  return h('div', { class: 'error-box an-error', role: 'alert', dataset: { status: String(st) } },
    h('p', null, '⚠ ', msg),
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

/**
 * get fetches an analytics path with the shared 60 s cache (analytics data changes slowly). A 503
 * means the server's first background computation has not finished (it starts with the server):
 * retry a few times, 2 s apart, before showing the "not ready" state.
 */
export async function get(path, params, tries = 6) {
  for (let i = 1; ; i++) {
    try {
      return await api(path + qs(params || {}), { ttl: 60000 });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 503 || i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/**
 * sortTable renders a sortable table. cols: [{key, label, num?, fmt?(row) → node|string,
 * sortVal?(row)}]. opts: {caption, sort: key, dir: 'desc'|'asc', rowHref(row), onRow(row, tr),
 * limit, id}. Click/Enter on a header sorts; aria-sort marks the active column.
 */
export function sortTable(cols, rows, opts = {}) {
  let key = opts.sort || null;
  let dir = opts.dir || 'desc';
  const table = h('table', { class: 'tbl an-tbl', id: opts.id || null });
  const thead = h('thead');
  const tbody = h('tbody');
  table.append(h('caption', { class: 'sr-only' }, opts.caption || ''), thead, tbody);
  const valOf = (c, r) => (c.sortVal ? c.sortVal(r) : r[c.key]);
  const draw = () => {
    clear(thead);
    const tr = h('tr');
    for (const c of cols) {
      const th = h('th', { scope: 'col', 'data-sort-key': c.sortable === false ? null : c.key, tabindex: c.sortable === false ? null : '0' }, c.label);
      if (c.key === key) th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      if (c.sortable !== false) {
        const go = () => { if (key === c.key) dir = dir === 'asc' ? 'desc' : 'asc'; else { key = c.key; dir = c.num ? 'desc' : 'asc'; } draw(); };
        th.addEventListener('click', go);
        activateOnKey(th, go);
      }
      tr.appendChild(th);
    }
    thead.appendChild(tr);
    let list = rows.slice();
    const col = cols.find((c) => c.key === key);
    if (col) {
      list.sort((a, b) => {
        const x = valOf(col, a); const y = valOf(col, b);
        const nx = x === null || x === undefined; const ny = y === null || y === undefined;
        if (nx || ny) return nx && ny ? 0 : nx ? 1 : -1;
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return dir === 'asc' ? c : -c;
      });
    }
    if (opts.limit) list = list.slice(0, opts.limit);
    clear(tbody);
    for (const r of list) {
      const row = h('tr', null, ...cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.fmt ? c.fmt(r) : fmtCell(r[c.key], c))));
      if (opts.onRow) {
        row.tabIndex = 0;
        row.addEventListener('click', () => opts.onRow(r, row));
        activateOnKey(row, () => opts.onRow(r, row));
      }
      tbody.appendChild(row);
    }
  };
  draw();
  return h('div', { class: 'scroll-x' }, table);
}

function fmtCell(v, c) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return c.dp !== undefined ? fixed(v, c.dp) : num(v);
  return String(v);
}

/** nodeLink links to a node page when the key is known, else shows the name as text. */
export function nodeLink(name, pk) {
  const label = String(name || (pk ? String(pk).slice(0, 8) : '—'));
  return pk ? h('a', { href: `#/nodes/${encodeURIComponent(pk)}` }, label) : h('span', null, label);
}

/** hourLabel turns "YYYY-MM-DDTHH" (or "YYYY-MM-DD HH") into a short "DD HHh" axis label. */
export function hourLabel(hr) {
  const m = /^\d{4}-(\d\d)-(\d\d)[T ](\d\d)/.exec(String(hr));
  return m ? `${m[2]} ${m[3]}h` : String(hr);
}

/** hourMs parses "YYYY-MM-DDTHH" (UTC) into epoch ms. */
export function hourMs(hr) {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d)/.exec(String(hr));
  return m ? Date.parse(`${m[1]}T${m[2]}:00:00Z`) : Date.parse(hr);
}

/** grid lays cards out in two columns on wide screens, one on phones. */
export const grid = (...kids) => h('div', { class: 'an-grid' }, ...kids);
export const stats = (...kids) => h('div', { class: 'an-stats' }, ...kids);
export { num, fixed };
