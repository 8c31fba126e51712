// Mesh analytics (#/analytics, UI.md §9): header, area filter, time-window select and the
// 15-tab strip; each tab is its own module under views/analytics/ (lazy-imported). URL state
// ?tab=&window=&section= is kept with replaceState for filter changes and pushState for tab
// changes, so reload and back/forward both restore what was shown. The region filter is the
// shell's region bar (region-changed event).
import { h, clear, tablist, store } from '../dom.js';
import { api } from '../api.js';
import { parse } from '../router.js';
import { region } from '../region.js';
import { loading, failure } from './analytics/common.js';

export const TABS = [
  ['overview', 'Overview'], ['rf', 'RF / Signal'], ['topology', 'Topology'], ['channels', 'Channels'],
  ['hashsizes', 'Hash Stats'], ['collisions', 'Hash Issues'], ['subpaths', 'Route Patterns'], ['nodes', 'Nodes'],
  ['distance', 'Distance'], ['neighbor-graph', 'Neighbor Graph'], ['rf-health', 'RF Health'],
  ['clock-health', 'Clock Health'], ['roles', 'Roles'], ['scopes', 'Scopes'], ['prefix-tool', 'Prefix Tool'],
];
const IDS = new Set(TABS.map((t) => t[0]));
// Area applies where transmitter GPS attribution makes sense; window only where the server takes it.
const AREA_TABS = new Set(['overview', 'rf', 'topology', 'hashsizes', 'collisions', 'nodes', 'clock-health']);
const WINDOW_TABS = new Set(['overview', 'rf', 'topology', 'channels']);
const WINDOWS = [['', 'All data'], ['1h', 'Last 1 hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days']];
const AREA_KEY = 'meshcore-area-filter';

let S = null;

function state() {
  const q = parse().query;
  const tab = IDS.has(q.get('tab')) ? q.get('tab') : 'overview';
  const win = WINDOWS.some((w) => w[0] === q.get('window')) ? q.get('window') : '';
  return { tab, win, section: q.get('section') || '', q };
}

/** url builds the hash for a tab/window, keeping other tab-owned params when asked. */
function url(tab, win, extra) {
  const p = new URLSearchParams();
  p.set('tab', tab);
  if (win) p.set('window', win);
  for (const [k, v] of Object.entries(extra || {})) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
  return '#/analytics?' + p.toString();
}

/** setParams lets a tab keep its own URL state (section, range, observer…) via replaceState. */
function setParams(params) {
  const st = state();
  const p = new URLSearchParams(st.q);
  for (const [k, v] of Object.entries(params)) {
    if (v === '' || v === null || v === undefined) p.delete(k); else p.set(k, v);
  }
  history.replaceState(history.state, '', '#/analytics?' + p.toString());
}

function widthOf(kind) {
  const w = Math.max(300, (S && S.content.clientWidth) || window.innerWidth - 24);
  if (kind === 'half' && w >= 900) return Math.floor((w - 16) / 2) - 30;
  return Math.min(w - 30, 1400);
}

async function renderTab() {
  const st = state();
  const seq = ++S.seq;
  if (S.cleanup) { try { S.cleanup(); } catch (e) { console.error(e); } S.cleanup = null; }
  S.tab = st.tab;
  S.winSel.value = st.win;
  S.winWrap.hidden = !WINDOW_TABS.has(st.tab);
  S.areaWrap.hidden = !AREA_TABS.has(st.tab) || !S.areas.length;
  for (const b of S.tabs.querySelectorAll('[role=tab]')) {
    const on = b.dataset.value === st.tab;
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
  }
  S.content.dataset.tab = st.tab;
  S.content.setAttribute('aria-labelledby', 'an-tab-' + st.tab);
  clear(S.content).appendChild(loading(TABS.find((t) => t[0] === st.tab)[1]));
  let mod;
  try {
    mod = await import(`./analytics/${st.tab}.js`);
  } catch (e) {
    if (seq === S.seq) clear(S.content).appendChild(failure(e, 'This tab', () => renderTab()));
    return;
  }
  if (!S || seq !== S.seq) return;
  const q = { region: region() };
  if (AREA_TABS.has(st.tab) && S.area) q.area = S.area;
  if (WINDOW_TABS.has(st.tab) && st.win) q.window = st.win;
  const host = h('div', { class: 'an-tab-body' });
  const ctx = {
    el: host, q, win: st.win, query: st.q,
    alive: () => !!S && seq === S.seq,
    width: widthOf,
    setParams,
    retry: () => renderTab(),
    failure: (err, what) => failure(err, what, () => renderTab()),
  };
  const t0 = performance.now();
  try {
    const ret = await mod.render(ctx);
    if (!S || seq !== S.seq) { if (typeof ret === 'function') ret(); return; }
    S.cleanup = typeof ret === 'function' ? ret : null;
  } catch (e) {
    console.error(e);
    if (S && seq === S.seq) clear(S.content).appendChild(failure(e, 'This tab', () => renderTab()));
    return;
  }
  clear(S.content).appendChild(host);
  S.content.dataset.renderMs = String(Math.round(performance.now() - t0));
  S.content.dataset.ready = st.tab;
  if (st.section) {
    const target = document.getElementById(st.section);
    if (target) target.scrollIntoView({ block: 'start' });
  }
}

export async function mount(el) {
  S = { seq: 0, cleanup: null, areas: [], area: store.get(AREA_KEY, '') || '' };
  const st = state();
  S.tabs = tablist('Analytics sections', TABS, st.tab, (v) => {
    if (v === state().tab) return;
    // A new history entry per tab (pushState: no hashchange, so the view is not re-mounted and
    // keyboard focus stays on the tab); back/forward fire hashchange and the router re-mounts
    // from the URL.
    history.pushState(history.state, '', url(v, state().win));
    renderTab();
  });
  for (const b of S.tabs.querySelectorAll('[role=tab]')) { b.id = 'an-tab-' + b.dataset.value; b.setAttribute('aria-controls', 'an-content'); }
  S.winSel = h('select', { id: 'an-window', 'aria-label': 'Time window' }, ...WINDOWS.map(([v, l]) => h('option', { value: v }, l)));
  S.winSel.value = st.win;
  S.winSel.addEventListener('change', () => {
    setParams({ window: S.winSel.value, section: '' });
    renderTab();
  });
  S.winWrap = h('label', { class: 'an-filter' }, 'Window ', S.winSel);
  S.areaSel = h('select', { id: 'an-area', 'aria-label': 'Area filter' }, h('option', { value: '' }, 'Area: All'));
  S.areaSel.addEventListener('change', () => { S.area = S.areaSel.value; store.set(AREA_KEY, S.area); renderTab(); });
  S.areaWrap = h('label', { class: 'an-filter', hidden: true }, S.areaSel);
  S.content = h('div', { class: 'an-content', id: 'an-content', role: 'tabpanel', 'aria-live': 'polite' });
  el.appendChild(h('section', { class: 'page analytics-page' },
    h('div', { class: 'an-head' },
      h('div', null, h('h1', null, '📊 Mesh Analytics'), h('p', { class: 'muted an-sub' }, 'Deep dive into your mesh network data')),
      h('div', { class: 'an-filters' }, S.areaWrap, S.winWrap)),
    h('div', { class: 'an-tabs-scroll' }, S.tabs),
    S.content));
  S.onRegion = () => renderTab();
  window.addEventListener('region-changed', S.onRegion);
  let rw = window.innerWidth;
  S.onResize = () => {
    clearTimeout(S.rt);
    S.rt = setTimeout(() => { if (S && Math.abs(window.innerWidth - rw) > 40) { rw = window.innerWidth; renderTab(); } }, 300);
  };
  window.addEventListener('resize', S.onResize);
  api('/config/areas', { ttl: 300000 }).then((areas) => {
    if (!S || !Array.isArray(areas) || !areas.length) return;
    S.areas = areas;
    for (const a of areas) S.areaSel.appendChild(h('option', { value: a.key }, `Area: ${a.label || a.key}`));
    if (!areas.some((a) => a.key === S.area)) S.area = '';
    S.areaSel.value = S.area;
    S.areaWrap.hidden = !AREA_TABS.has(S.tab);
  }).catch(() => { /* no areas configured: the filter stays hidden */ });
  await renderTab();
}

export function unmount() {
  if (!S) return;
  if (S.cleanup) { try { S.cleanup(); } catch (e) { console.error(e); } }
  window.removeEventListener('region-changed', S.onRegion);
  window.removeEventListener('resize', S.onResize);
  clearTimeout(S.rt);
  S = null;
}
