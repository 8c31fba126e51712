// Nodes list (#/nodes): role tabs, search, status and last-heard filters, sortable virtualised
// table, side detail panel. One /api/nodes fetch; ADVERTs from the WebSocket update rows in
// place, unknown nodes trigger one debounced reload.
import { h, clear, store, debounce, tablist, trapFocus, slideOver } from '../dom.js';
import { api, qs, config, errorBox } from '../api.js';
import * as live from '../live.js';
import { setQuery } from '../router.js';
import { region } from '../region.js';
import { createVTable, nextSort } from '../vtable.js';
import { renderNodeDetail } from '../node-detail.js';
import { resetNodes } from '../hops.js';
import {
  roleKey, ROLE_LABELS, nodeStatus, STATUS_SHAPE, timeAgo, num, parseTime, parseJSON,
} from '../format.js';

const TABS = [['all', 'All'], ['repeater', 'Repeaters'], ['room', 'Rooms'], ['companion', 'Companions'], ['sensor', 'Sensors']];
const LAST_HEARD = [['', 'Any'], ['1', '1 h'], ['2', '2 h'], ['6', '6 h'], ['12', '12 h'], ['24', '24 h'], ['48', '48 h'], ['72', '3 d'], ['168', '7 d'], ['336', '14 d'], ['720', '30 d']];
let S = null;

const CMP = {
  name: (a, b) => String(a.name || '').localeCompare(String(b.name || '')),
  key: (a, b) => String(a.public_key).localeCompare(String(b.public_key)),
  role: (a, b) => roleKey(a.role).localeCompare(roleKey(b.role)),
  lastSeen: (a, b) => (parseTime(a.last_heard || a.last_seen) || 0) - (parseTime(b.last_heard || b.last_seen) || 0),
  adverts: (a, b) => (a.advert_count || 0) - (b.advert_count || 0),
};

function sync() {
  const q = {};
  if (S.tab !== 'all') q.tab = S.tab;
  if (S.search) q.search = S.search;
  if (S.sort.key !== 'lastSeen' || S.sort.dir !== 'desc') q.sort = S.sort.key + (S.sort.dir === 'asc' ? ':asc' : '');
  // The open panel rewrites the URL to #/nodes/{pk} (UI.md §7.1) and marks the history entry
  // (nodesPanel) so the router shows this list again there, e.g. on Back from the full page.
  setQuery(q, S.selected ? `#/nodes/${S.selected}` : '#/nodes');
  history.replaceState({ ...(history.state || {}), nodesPanel: !!S.selected }, '', location.href);
  store.set('meshcore-nodes-status-filter', S.status);
  store.set('meshcore-nodes-last-heard', S.lastHeard);
  store.set('meshcore-nodes-sort', q.sort || '');
}

function filtered() {
  const q = S.search.toLowerCase();
  const thr = config.client.healthThresholds;
  const lh = S.lastHeard ? Date.now() - (+S.lastHeard) * 3600e3 : 0;
  const out = S.nodes.filter((n) => {
    if (S.tab !== 'all' && roleKey(n.role) !== S.tab) return false;
    if (q && !String(n.name || '').toLowerCase().includes(q) && !String(n.public_key).toLowerCase().startsWith(q)) return false;
    if (S.status !== 'all') {
      const st = nodeStatus(n, thr);
      if (S.status === 'active' ? st !== 'active' : st === 'active') return false;
    }
    if (lh && !(parseTime(n.last_heard || n.last_seen) >= lh)) return false;
    return true;
  });
  const cmp = CMP[S.sort.key] || CMP.lastSeen;
  const dir = S.sort.dir === 'asc' ? 1 : -1;
  return out.sort((a, b) => dir * cmp(a, b));
}

function redraw() {
  const rows = filtered();
  S.vt.setItems(rows);
  S.vt.setSort(S.sort.key, S.sort.dir);
  S.count.textContent = `(${rows.length.toLocaleString()} of ${S.nodes.length.toLocaleString()})`;
  S.count.dataset.count = String(rows.length);
  S.empty.hidden = rows.length > 0;
  const c = { repeater: 0, room: 0, companion: 0, sensor: 0 };
  for (const n of S.nodes) { const k = roleKey(n.role); if (k in c) c[k]++; }
  clear(S.counts).append(...Object.entries(c).map(([k, v]) => h('span', { class: `role-badge role-${k}` }, `${v} ${ROLE_LABELS[k]}s`)));
}

function renderRow(n, tr) {
  const st = nodeStatus(n, config.client.healthThresholds);
  tr.dataset.key = n.public_key;
  tr.className = S.selected === n.public_key ? 'selected' : '';
  const role = roleKey(n.role);
  tr.append(
    h('td', null, String(n.name || '(unnamed)')),
    h('td', { class: 'mono' }, String(n.public_key).slice(0, 16)),
    h('td', null, h('span', { class: `role-badge role-${role}` }, ROLE_LABELS[role] || String(n.role || 'unknown'))),
    h('td', null, h('span', { class: `status status-${st}`, 'aria-label': st }, STATUS_SHAPE[st]), ' ', timeAgo(n.last_heard || n.last_seen)),
    h('td', null, num(n.advert_count)));
}

function select(pk) {
  const hadFocus = S.panel.contains(document.activeElement);
  const prev = S.selected;
  if (S.cleanupDetail) S.cleanupDetail();
  S.selected = pk;
  sync();
  S.vt.refresh();
  S.panel.hidden = !pk;
  if (pk) {
    if (!S.releasePanel) S.releasePanel = trapFocus(S.panel, slideOver);
    S.cleanupDetail = renderNodeDetail(S.panel, pk, { onClose: () => select(null) });
    // The slide-over covers the list: move focus into it.
    if (slideOver()) S.panel.focus({ preventScroll: true });
  } else {
    S.cleanupDetail = null;
    const release = S.releasePanel;
    S.releasePanel = null;
    // Focus goes back to the row that opened the panel (found again by key if it re-rendered).
    const row = prev && S.vt.el.querySelector(`tbody tr[data-key="${CSS.escape(prev)}"]`);
    if (release) release({ restore: hadFocus, fallback: row || S.vt.el });
  }
}

async function load() {
  try {
    const started = Date.now();
    const r = await api('/nodes' + qs({ limit: 5000, region: region() }));
    if (!S) return;
    S.nodes = (r && r.nodes) || [];
    S.loadedAt = started;
    S.advertsSeen.clear();
    redraw();
  } catch (e) {
    if (!S) return;
    clear(S.tableWrap).appendChild(errorBox(e, () => { clear(S.tableWrap).append(S.vt.el, S.empty); load(); }));
  }
}

function onBatch(batch) {
  let changed = false;
  let unknown = false;
  for (const p of batch) {
    if (p.payload_type !== 4) continue;
    const d = parseJSON(p.decoded_json, {}) || {};
    const pk = String(d.pubKey || d.public_key || '').toLowerCase();
    if (!pk) continue;
    const n = S.nodes.find((x) => String(x.public_key).toLowerCase() === pk);
    if (!n) { unknown = true; continue; }
    if (d.name) n.name = d.name;
    if (typeof d.lat === 'number') { n.lat = d.lat; n.lon = d.lon; }
    n.last_seen = n.last_heard = new Date().toISOString();
    // One message arrives per observation: an advert counts once (by hash), and not at all
    // when it was first seen before the list was fetched (the server already counted it).
    if (!S.advertsSeen.has(p.hash)) {
      S.advertsSeen.add(p.hash);
      const fs = parseTime(p.first_seen);
      if (!(fs < S.loadedAt - 2000) || (p.observation_count || 1) <= 1) n.advert_count = (n.advert_count || 0) + 1;
    }
    changed = true;
  }
  if (changed) redraw();
  if (unknown) { resetNodes(); S.reloadSoon(); }
}

export function mount(el, p) {
  const q = p.query;
  const sortTok = q.get('sort') || store.get('meshcore-nodes-sort', '');
  S = {
    nodes: [], tab: TABS.some(([k]) => k === q.get('tab')) ? q.get('tab') : 'all', search: q.get('search') || '',
    status: store.get('meshcore-nodes-status-filter', 'all'), lastHeard: store.get('meshcore-nodes-last-heard', ''),
    sort: sortTok ? { key: sortTok.split(':')[0], dir: sortTok.endsWith(':asc') ? 'asc' : 'desc' } : { key: 'lastSeen', dir: 'desc' },
    selected: null, cleanupDetail: null, advertsSeen: new Set(), loadedAt: Date.now(),
  };
  if (!['all', 'active', 'stale'].includes(S.status)) S.status = 'all';
  S.count = h('span', { class: 'count', id: 'node-count' });
  S.counts = h('div', { class: 'role-counts' });
  const search = h('input', { type: 'search', placeholder: 'Search by name or pubkey prefix…', 'aria-label': 'Search nodes', value: S.search, size: '28' });
  search.addEventListener('input', debounce(() => { S.search = search.value.trim(); sync(); redraw(); }, 250));
  const tabs = tablist('Node roles', TABS, S.tab, (v) => { S.tab = v; sync(); redraw(); });
  const statusTabs = tablist('Status', [['all', 'All'], ['active', 'Active'], ['stale', 'Stale']], S.status, (v) => { S.status = v; sync(); redraw(); });
  const lh = h('select', { 'aria-label': 'Last heard' }, ...LAST_HEARD.map(([v, l]) => h('option', { value: v, selected: v === S.lastHeard }, `Last heard: ${l}`)));
  lh.addEventListener('change', () => { S.lastHeard = lh.value; sync(); redraw(); });
  S.vt = createVTable({
    caption: 'Nodes',
    rowHeight: 36,
    columns: [
      { key: 'name', label: 'Name', sortKey: 'name' }, { key: 'key', label: 'Public Key', sortKey: 'key' },
      { key: 'role', label: 'Role', sortKey: 'role' }, { key: 'lastSeen', label: 'Last Seen', sortKey: 'lastSeen' },
      { key: 'adverts', label: 'Adverts', sortKey: 'adverts' },
    ],
    renderRow,
    onActivate: (n) => select(n.public_key),
    onSort: (key) => {
      S.sort = nextSort(S.sort, key, (k) => (['name', 'key', 'role'].includes(k) ? 'asc' : 'desc'));
      sync(); redraw();
    },
  });
  S.empty = h('p', { class: 'empty', hidden: true }, 'No nodes match these filters.');
  S.tableWrap = h('div', { class: 'table-wrap' }, S.vt.el, S.empty);
  S.panel = h('aside', { class: 'node-panel', 'aria-label': 'Node details', hidden: true, tabindex: '-1' });
  el.appendChild(h('div', { class: 'nodes-page' },
    h('section', { class: 'list-pane' },
      h('div', { class: 'page-head' }, h('h1', null, 'Nodes ', S.count), h('span', { class: 'spacer' }), S.counts),
      h('div', { class: 'toolbar' }, search, tabs, statusTabs, lh),
      S.tableWrap),
    S.panel));
  S.reloadSoon = debounce(load, 5000);
  S.unsub = live.subscribe((b) => S && onBatch(b));
  S.onRegion = () => load();
  window.addEventListener('region-changed', S.onRegion);
  S.onKey = (e) => { if (e.key === 'Escape' && S.selected) select(null); };
  if (p.param && /^[0-9a-f]{8,64}$/i.test(p.param)) select(p.param.toLowerCase());
  document.addEventListener('keydown', S.onKey);
  return load();
}

export function unmount() {
  if (!S) return;
  S.unsub(); S.vt.destroy(); S.reloadSoon.cancel();
  if (S.cleanupDetail) S.cleanupDetail();
  if (S.releasePanel) S.releasePanel({ restore: false });
  window.removeEventListener('region-changed', S.onRegion);
  document.removeEventListener('keydown', S.onKey);
  S = null;
}
