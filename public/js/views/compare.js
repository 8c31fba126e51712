// Observer comparison (#/compare?a={id}&b={id}, UI.md §10): the packets each of two observers
// heard in the last 24 h (GET /api/packets?observer=&since=&limit=), compared by hash: seen by
// both, only A, only B; optional route filter (flood / direct) and sub-tabs with packet tables.
import { h, clear, tablist, replace } from '../dom.js';
import { api, qs } from '../api.js';
import { parse, setQuery } from '../router.js';
import { failure, empty } from './analytics/common.js';
import { ago, absTime, typeName, typeClass, num } from '../format.js';

const LIMIT = 20000;
let S = null;

const isFlood = (p) => p.route_type === 0 || p.route_type === 1;

function table(rows, nameOf) {
  if (!rows.length) return empty('No packets in this set.');
  const shown = rows.slice(0, 500);
  return h('div', null, h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'compare-table' },
    h('caption', { class: 'sr-only' }, 'Compared packets'),
    h('thead', null, h('tr', null, ...['Hash', 'Time', 'Type', 'Observer'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...shown.map((p) => h('tr', null,
      h('td', { class: 'mono' }, h('a', { href: `#/packets/${encodeURIComponent(p.hash)}` }, String(p.hash).slice(0, 16))),
      h('td', { title: absTime(p.timestamp || p.first_seen) }, ago(p.timestamp || p.first_seen)),
      h('td', null, h('span', { class: 'badge t-' + typeClass(p.payload_type) }, typeName(p.payload_type))),
      h('td', null, nameOf(p))))))),
  rows.length > shown.length ? h('p', { class: 'an-note' }, `Showing the newest ${shown.length} of ${num(rows.length)}.`) : null);
}

async function compare() {
  const a = S.selA.value; const b = S.selB.value;
  setQuery({ a, b, type: S.type.value === 'all' ? '' : S.type.value });
  if (!a || !b || a === b) { clear(S.out).appendChild(empty('Pick two different observers to compare.')); return; }
  clear(S.out).appendChild(h('p', { class: 'loading' }, 'Loading packets of both observers…'));
  const since = new Date(Date.now() - 24 * 3600e3).toISOString();
  let ra; let rb;
  try {
    [ra, rb] = await Promise.all([a, b].map((id) => api('/packets' + qs({ observer: id, since, limit: LIMIT }))));
  } catch (e) { if (S) clear(S.out).appendChild(failure(e, 'The packets of these observers', compare)); return; }
  if (!S) return;
  const capped = [ra, rb].some((r) => (r.total || 0) > (r.packets || []).length) ? Math.max((ra.packets || []).length, (rb.packets || []).length) : 0;
  const f = S.type.value;
  const keep = (p) => f === 'all' || (f === 'flood' ? isFlood(p) : !isFlood(p));
  const A = new Map(); const B = new Map();
  for (const p of (ra.packets || [])) if (keep(p) && !A.has(p.hash)) A.set(p.hash, p);
  for (const p of (rb.packets || [])) if (keep(p) && !B.has(p.hash)) B.set(p.hash, p);
  const both = [...A.values()].filter((p) => B.has(p.hash));
  const onlyA = [...A.values()].filter((p) => !B.has(p.hash));
  const onlyB = [...B.values()].filter((p) => !A.has(p.hash));
  const nA = S.names.get(a) || a; const nB = S.names.get(b) || b;
  const pct = (n) => (A.size + B.size - both.length ? ` (${((n / (A.size + B.size - both.length)) * 100).toFixed(1)}%)` : '');
  const cardEl = (k, n, sub, id) => h('div', { class: 'an-stat', id }, h('div', { class: 'an-stat-v' }, num(n)), h('div', { class: 'an-stat-k' }, k), h('div', { class: 'an-stat-sub' }, sub));
  const view = h('div', { role: 'tabpanel' });
  const show = (which) => {
    if (which === 'summary') {
      replace(view, h('p', null, `In the last 24 h ${nA} heard ${num(A.size)} transmissions and ${nB} heard ${num(B.size)}; ${num(both.length)} were heard by both${pct(both.length)}.`),
        h('p', { class: 'an-note' }, 'A packet only one observer hears points at a coverage difference (range, antenna, or the observer being down).'),
        capped ? h('p', { class: 'an-note' }, `The server returned at most ${num(capped)} packets per observer: older packets of the busier observer are not compared.`) : null);
    } else if (which === 'both') clear(view).appendChild(table(both, () => `${nA} + ${nB}`));
    else if (which === 'a') clear(view).appendChild(table(onlyA, () => nA));
    else clear(view).appendChild(table(onlyB, () => nB));
  };
  replace(S.out, 
    h('div', { class: 'an-stats', id: 'compare-cards', dataset: { both: String(both.length), onlyA: String(onlyA.length), onlyB: String(onlyB.length) } },
      cardEl('Seen by both', both.length, 'same hash at both observers', 'cmp-both'),
      cardEl(`Only ${nA}`, onlyA.length, 'missed by B', 'cmp-only-a'),
      cardEl(`Only ${nB}`, onlyB.length, 'missed by A', 'cmp-only-b')),
    tablist('Comparison views', [['summary', 'Summary'], ['both', `Both (${both.length})`], ['a', `Only A (${onlyA.length})`], ['b', `Only B (${onlyB.length})`]], 'summary', show),
    view);
  show('summary');
}

export async function mount(el, p) {
  S = { names: new Map() };
  const q = p.query;
  S.selA = h('select', { id: 'compare-a' }); S.selB = h('select', { id: 'compare-b' });
  S.type = h('select', { id: 'compare-type' }, h('option', { value: 'all' }, 'All packets'), h('option', { value: 'flood' }, 'Flood only'), h('option', { value: 'direct' }, 'Direct only'));
  S.type.value = ['flood', 'direct'].includes(q.get('type')) ? q.get('type') : 'all';
  S.out = h('div', { 'aria-live': 'polite' });
  el.appendChild(h('section', { class: 'page' },
    h('p', null, h('a', { href: '#/observers' }, '← Observers')),
    h('h1', null, '🔍 Observer Comparison'),
    h('p', { class: 'muted' }, 'Which packets two observers both heard in the last 24 hours, and which only one of them did.'),
    h('div', { class: 'cmp-controls' },
      h('label', null, 'Observer A', S.selA), h('label', null, 'Observer B', S.selB), h('label', null, 'Packet type', S.type),
      h('button', { type: 'button', class: 'btn', id: 'compare-go', onclick: () => compare() }, 'Compare')),
    S.out));
  let obs;
  try { obs = ((await api('/observers')).observers) || []; } catch (e) { if (S) clear(S.out).appendChild(failure(e, 'The observer list', () => { unmount(); clear(el); mount(el, parse()); })); return; }
  if (!S) return;
  for (const o of obs) S.names.set(o.id, String(o.name || o.id));
  for (const sel of [S.selA, S.selB]) for (const o of obs) sel.appendChild(h('option', { value: o.id }, `${o.name || o.id}${o.iata ? ' (' + o.iata + ')' : ''}`));
  if (obs.length < 2) { clear(S.out).appendChild(empty('Comparison needs at least two observers.')); return; }
  S.selA.value = S.names.has(q.get('a')) ? q.get('a') : obs[0].id;
  S.selB.value = S.names.has(q.get('b')) ? q.get('b') : obs.find((o) => o.id !== S.selA.value).id;
  await compare();
}

export function unmount() { S = null; }
