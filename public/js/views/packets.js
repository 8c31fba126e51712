// Packets page (#/packets, #/packets/{hash}, #/packets/id/{id}, #/packets/{pubkey}):
// grouped/ungrouped virtualised table, filters kept in the URL, live WebSocket merge with
// pause, and the detail pane. One list fetch per filter change, then WebSocket deltas.
import { h, clear, store, debounce, trapFocus, slideOver } from '../dom.js';
import { api, qs, showError, errorBox } from '../api.js';
import * as live from '../live.js';
import { setQuery } from '../router.js';
import { region, regionSet, setRegions } from '../region.js';
import { createVTable, nextSort } from '../vtable.js';
import { loadNodes, hopPills } from '../hops.js';
import { renderDetail } from '../packet-detail.js';
import { openDecoder, closeDecoder } from '../byop.js';
import {
  TYPE_NAMES, typeName, typeClass, isTransport, hops, timeAgo, packetSummary, hashColor, parseTime, obsView, parseJSON,
} from '../format.js';

const WINDOWS = [[15, 'Last 15 min'], [30, 'Last 30 min'], [60, 'Last 1 h'], [180, 'Last 3 h'], [360, 'Last 6 h'], [720, 'Last 12 h'], [1440, 'Last 24 h'], [0, 'All time']];
// Rows held in memory: 50 000 on desktop, 1 000 on phones (UI.md §3.3).
const maxRows = () => (window.matchMedia('(max-width: 768px)').matches ? 1000 : 50000);
const PAUSE_CAP = 2000;
const DEFAULT_SORT = { key: 'time', dir: 'desc' };
// Columns menu (UI.md §3.2): Region hidden by default; on phones also Hash, Size, HB, Path, Rpt.
const COLS = [['region', 'Region'], ['time', 'Time'], ['hash', 'Hash'], ['size', 'Size'], ['hb', 'HB'], ['type', 'Type'], ['observer', 'Observer'], ['path', 'Path'], ['rpt', 'Rpt'], ['details', 'Details']];
const defaultCols = () => (window.matchMedia('(max-width: 640px)').matches
  ? ['time', 'type', 'observer', 'details'] : ['time', 'hash', 'size', 'hb', 'type', 'observer', 'path', 'rpt', 'details']);
// Observation order inside an expanded group (LS meshcore-obs-sort).
const OBS_SORTS = [['observer', 'Observer'], ['path-asc', 'Path ↑'], ['path-desc', 'Path ↓'], ['time-asc', 'Time ↑'], ['time-desc', 'Time ↓']];
const OBS_CMP = {
  observer: (a, b) => String(a.observer_name || a.observer_id || '').localeCompare(String(b.observer_name || b.observer_id || '')),
  'path-asc': (a, b) => hops(a).length - hops(b).length,
  'path-desc': (a, b) => hops(b).length - hops(a).length,
  'time-asc': (a, b) => a.t - b.t,
  'time-desc': (a, b) => b.t - a.t,
};

let S = null; // page state; null when unmounted

function initialState(p) {
  const q = p.query;
  const mobile = window.innerWidth <= 1024;
  let tw = q.has('timeWindow') ? +q.get('timeWindow') : +store.get('meshcore-time-window', '15');
  if (!WINDOWS.some(([m]) => m === tw)) tw = 15;
  if (mobile && (tw === 0 || tw > 180)) tw = 180;
  const types = (q.get('type') || store.get('meshcore-type-filter', '')).split(',').filter((x) => x !== '' && !Number.isNaN(+x)).map(Number);
  const sortTok = q.get('sort') || store.get('meshcore-packets-sort', '');
  const sort = sortTok ? { key: sortTok.split(':')[0], dir: sortTok.endsWith(':asc') ? 'asc' : 'desc' } : { ...DEFAULT_SORT };
  const st = {
    tw, types: new Set(types),
    observers: new Set((q.get('observer') || store.get('meshcore-observer-filter', '') || '').split(',').filter(Boolean)),
    hash: q.get('hash') || '', node: q.get('node') || '', group: q.get('group') !== '0', sort,
    channel: q.get('channel') || '', area: q.get('area') || '',
    obsSort: OBS_CMP[store.get('meshcore-obs-sort', '')] ? store.get('meshcore-obs-sort') : 'observer',
    cols: new Set(store.getJSON('packets-visible-cols', null) || defaultCols()),
    selected: null, obsId: q.get('obs'), detailId: null, paused: false, buffer: [],
    groups: new Map(), rows: [], expanded: new Map(), obsIata: new Map(), gen: 0,
    hexPaths: store.get('meshcore-hex-hashes', '0') === '1',
  };
  if (p.param === 'id' && p.parts[1]) st.detailId = p.parts[1];
  else if (p.param && /^[0-9a-fA-F]{16}$/.test(p.param)) { st.hash = p.param.toLowerCase(); st.detailId = st.hash; }
  else if (p.param && p.param.length > 16) st.node = p.param;
  return st;
}

function syncURL() {
  const q = {};
  if (S.tw !== 15) q.timeWindow = S.tw;
  if (S.types.size) q.type = [...S.types].join(',');
  if (S.observers.size) q.observer = [...S.observers].join(',');
  if (S.node) q.node = S.node;
  if (S.channel) q.channel = S.channel;
  if (S.area) q.area = S.area;
  if (region()) q.region = region();
  if (!S.group) q.group = '0';
  if (S.sort.key !== DEFAULT_SORT.key || S.sort.dir !== DEFAULT_SORT.dir) q.sort = S.sort.key + (S.sort.dir === 'asc' ? ':asc' : '');
  let path = '#/packets';
  if (S.detailId && /^[0-9a-f]{16}$/i.test(String(S.detailId))) path += '/' + S.detailId;
  else if (S.detailId) path += '/id/' + encodeURIComponent(S.detailId);
  if (S.hash && S.hash !== S.detailId) q.hash = S.hash;
  if (S.obsId) q.obs = S.obsId;
  setQuery(q, path);
  store.set('meshcore-time-window', String(S.tw));
  store.set('meshcore-type-filter', [...S.types].join(','));
  store.set('meshcore-observer-filter', [...S.observers].join(','));
  store.set('meshcore-packets-sort', q.sort || '');
}

// ---------- data ----------

function listQuery() {
  if (S.hash) return { hash: S.hash, limit: 1000, groupByHash: S.group ? 'true' : '', expand: S.group ? '' : 'observations' };
  return {
    since: S.tw ? new Date(Date.now() - S.tw * 60000).toISOString() : '',
    limit: maxRows(), region: region(), node: S.node, observer: [...S.observers].join(','), channel: S.channel, area: S.area,
    type: S.types.size === 1 ? [...S.types][0] : '',
    groupByHash: S.group ? 'true' : '', expand: S.group ? '' : 'observations',
  };
}

function toRow(p, grouped) {
  return {
    key: grouped ? p.hash : `${p.hash}:${p._obsId ?? p.id}`,
    hash: p.hash, id: p.id, obsId: p._obsId ?? null, time: p.latest || p.timestamp || p.first_seen,
    first_seen: p.first_seen, size: Math.floor(String(p.raw_hex || '').length / 2), payload_type: p.payload_type,
    route_type: p.route_type, observer_id: p.observer_id, observer_name: p.observer_name,
    observer_iata: p.observer_iata, path_json: p.path_json, resolved_path: p.resolved_path,
    count: p.count ?? p.observation_count ?? 1, decoded_json: p.decoded_json, raw_hex: p.raw_hex,
    snr: p.snr, rssi: p.rssi, child: false,
    t: parseTime(p.latest || p.timestamp || p.first_seen) || 0,
  };
}

async function load() {
  const gen = ++S.gen;
  S.status.textContent = 'Loading…';
  try {
    const [res] = await Promise.all([api('/packets' + qs(listQuery())), loadNodes().catch((e) => showError(e, 'Node names'))]);
    if (!S || gen !== S.gen) return;
    S.groups.clear();
    S.expanded.clear();
    const list = (res && res.packets) || [];
    if (S.group) {
      for (const p of list) S.groups.set(p.hash, toRow(p, true));
    } else {
      for (const p of list) {
        const obs = Array.isArray(p.observations) && p.observations.length ? p.observations : [p];
        for (const o of obs) {
          const r = toRow(o === p ? { ...p, observation_count: 1 } : { ...obsView(p, o), id: p.id, _obsId: o.id, timestamp: o.timestamp || p.timestamp, observation_count: 1 }, false);
          S.groups.set(r.key, r);
        }
      }
    }
    S.total = res && typeof res.total === 'number' ? res.total : list.length;
    S.status.textContent = '';
    rebuild();
    if (S.detailId) openDetail(S.detailId, S.obsId, false);
  } catch (e) {
    if (!S || gen !== S.gen) return;
    S.status.textContent = '';
    clear(S.tableWrap).appendChild(errorBox(e, () => { clear(S.tableWrap).appendChild(S.vt.el); load(); }));
  }
}

function passes(r) {
  if (S.types.size && !S.types.has(r.payload_type)) return false;
  return true;
}

const CMP = {
  time: (a, b) => a.t - b.t,
  hash: (a, b) => String(a.hash).localeCompare(String(b.hash)),
  size: (a, b) => a.size - b.size,
  type: (a, b) => (a.payload_type ?? -1) - (b.payload_type ?? -1),
  observer: (a, b) => String(a.observer_name || '').localeCompare(String(b.observer_name || '')),
  path: (a, b) => hops(a).length - hops(b).length,
  rpt: (a, b) => a.count - b.count,
  region: (a, b) => String(a.observer_iata || '').localeCompare(String(b.observer_iata || '')),
  hb: (a, b) => (hops(a)[0] || '').length - (hops(b)[0] || '').length,
};

/** rebuild recomputes the visible row list (filter, sort, expanded children). */
function rebuild() {
  const cmp = CMP[S.sort.key] || CMP.time;
  const dir = S.sort.dir === 'asc' ? 1 : -1;
  const base = [...S.groups.values()].filter(passes).sort((a, b) => dir * cmp(a, b) || (b.id || 0) - (a.id || 0));
  const rows = [];
  for (const r of base) {
    rows.push(r);
    const kids = S.group && S.expanded.get(r.hash);
    if (kids) for (const k of [...kids].sort(OBS_CMP[S.obsSort])) rows.push(k);
  }
  S.rows = rows;
  S.vt.setItems(rows);
  S.vt.setSort(S.sort.key, S.sort.dir);
  // The server may cap the page size; say so when it holds more than we loaded.
  const more = S.group && !S.types.size && S.total > base.length ? ` of ${S.total.toLocaleString()}` : '';
  S.count.textContent = `(${base.length.toLocaleString()}${more})`;
  S.count.dataset.count = String(base.length);
  S.empty.hidden = base.length > 0;
}

// ---------- live ----------

function onBatch(batch) {
  if (!S) return;
  // The open packet is still being heard: fetch it again (debounced) so its observations,
  // counts and paths stay current, paused or not.
  if (S.selected && batch.some((p) => p.hash === S.selected)) S.refreshDetail();
  if (S.paused) {
    S.buffer.push(...batch);
    if (S.buffer.length > PAUSE_CAP) S.buffer.splice(0, S.buffer.length - PAUSE_CAP);
    S.pauseBtn.textContent = `▶ ${S.buffer.length}`;
    return;
  }
  merge(batch);
}

function liveMatches(p) {
  if (!p.hash) return false;
  if (S.hash && !p.hash.toLowerCase().startsWith(S.hash)) return false; // hash filter = hex prefix
  if (S.observers.size && !S.observers.has(p.observer_id)) return false;
  const rs = regionSet();
  if (rs.size) {
    const iata = p.observer_iata || S.obsIata.get(p.observer_id);
    if (!iata || !rs.has(iata)) return false;
  }
  if (S.channel) {
    const d = parseJSON(p.decoded_json, {}) || {};
    if (p.payload_type !== 5 || d.channel !== S.channel) return false;
  }
  // An area filter is the server's node-position test: live rows wait for the next reload.
  if (S.area) return false;
  if (S.node) {
    const blob = `${p.decoded_json || ''} ${p.path_json || ''}`.toLowerCase();
    if (!blob.includes(S.node.toLowerCase())) return false;
  }
  return true;
}

function merge(batch) {
  let changed = false;
  const now = new Date().toISOString();
  for (const p of batch) {
    if (p._type !== 'packet' || !liveMatches(p)) continue;
    changed = true;
    const iata = p.observer_iata || S.obsIata.get(p.observer_id) || null;
    if (S.group) {
      const g = S.groups.get(p.hash);
      if (g) {
        // observation_count is the transmission's total once this message's sync tick is in,
        // and every observation of that tick carries the same total: take it as is (adding 1
        // per message counted the tick's observations twice). +1 only when it is missing.
        g.count = p.observation_count ? Math.max(g.count, p.observation_count) : g.count + 1;
        g.time = now;
        g.t = Date.parse(now);
        if (hops(p).length > hops(g).length) Object.assign(g, { path_json: p.path_json, observer_id: p.observer_id, observer_name: p.observer_name, observer_iata: iata });
        const kids = S.expanded.get(p.hash);
        if (kids) kids.unshift({ ...toRow({ ...p, observer_iata: iata, timestamp: now }, false), child: true });
      } else {
        S.groups.set(p.hash, toRow({ ...p, observer_iata: iata, latest: now, count: p.observation_count || 1 }, true));
      }
    } else {
      const r = toRow({ ...p, observer_iata: iata, timestamp: now, _obsId: `ws${S.seq = (S.seq || 0) + 1}` }, false);
      S.groups.set(r.key, r);
    }
  }
  if (!changed) return;
  if (S.groups.size > maxRows()) {
    const old = [...S.groups.values()].sort((a, b) => a.t - b.t).slice(0, S.groups.size - maxRows());
    for (const r of old) S.groups.delete(r.key);
  }
  rebuild();
}

// ---------- detail ----------

async function openDetail(id, obsId, push = true) {
  S.detailId = String(id);
  S.obsId = obsId || null;
  if (push) syncURL();
  S.split.classList.add('has-detail');
  if (!S.releaseDetail) S.releaseDetail = trapFocus(S.detail, slideOver);
  clear(S.detail).appendChild(h('p', { class: 'loading' }, 'Loading packet…'));
  S.vt.refresh();
  try {
    const data = await api('/packets/' + encodeURIComponent(id));
    if (!S || S.detailId !== String(id)) return;
    S.detailData = data;
    S.selected = data.packet && data.packet.hash;
    drawDetail();
    S.vt.refresh();
    // On narrow screens the pane is a slide-over covering the list: move focus into it.
    if (push && slideOver()) {
      const c = S.detail.querySelector('.detail-close');
      if (c) c.focus();
    }
  } catch (e) {
    if (!S) return;
    clear(S.detail).appendChild(errorBox(e, () => openDetail(id, obsId, false)));
  }
}

/** refreshDetail re-fetches the open packet and redraws the pane where the user left it. */
async function refreshDetail() {
  if (!S || !S.selected) return;
  const hash = S.selected;
  try {
    const data = await api('/packets/' + encodeURIComponent(hash));
    if (!S || S.selected !== hash) return;
    S.detailData = data;
    const top = S.detail.scrollTop;
    const refocus = S.detail.contains(document.activeElement) ? document.activeElement.className : '';
    drawDetail();
    S.detail.scrollTop = top;
    if (refocus) { const f = S.detail.querySelector('.' + refocus.split(' ').filter(Boolean).map(CSS.escape).join('.')); if (f) f.focus({ preventScroll: true }); }
  } catch (e) { showError(e, 'Packet refresh'); }
}

function drawDetail() {
  renderDetail(S.detail, S.detailData, {
    obsId: S.obsId,
    onObs: (oid) => { S.obsId = String(oid); syncURL(); drawDetail(); },
    onClose: closeDetail,
  });
}

function closeDetail() {
  const hadFocus = S.detail.contains(document.activeElement);
  const key = S.selected;
  S.detailId = null; S.obsId = null; S.selected = null; S.detailData = null;
  const release = S.releaseDetail;
  S.releaseDetail = null;
  // Focus goes back to the row that opened the pane (found again by hash if it re-rendered).
  const row = key && S.vt.el.querySelector(`tbody tr[data-hash="${CSS.escape(key)}"]`);
  if (release) release({ restore: hadFocus, fallback: row || S.vt.el });
  else if (hadFocus) S.vt.el.focus({ preventScroll: true });
  S.split.classList.remove('has-detail');
  clear(S.detail).appendChild(h('p', { class: 'empty' }, 'Select a packet to view details'));
  syncURL();
  S.vt.refresh();
}

async function toggleExpand(r) {
  if (S.expanded.has(r.hash)) { S.expanded.delete(r.hash); rebuild(); return; }
  try {
    const data = await api('/packets/' + encodeURIComponent(r.hash));
    const obs = data.observations || (data.packet && data.packet.observations) || [];
    S.expanded.set(r.hash, obs.map((o) => ({ ...toRow({ ...obsView(data.packet, o), _obsId: o.id }, false), child: true })));
    rebuild();
  } catch (e) { showError(e, 'Observations'); }
}

// ---------- rendering ----------

function renderRow(r, tr) {
  tr.dataset.key = r.key;
  tr.dataset.hash = r.hash;
  tr.className = (r.child ? 'child ' : '') + (S.selected === r.hash && (!r.child || String(r.obsId) === String(S.obsId)) ? 'selected' : '');
  tr.style.borderLeft = `4px solid ${hashColor(r.hash, document.documentElement.dataset.theme !== 'light')}`;
  const exp = S.group && !r.child && r.count > 1
    ? h('button', { type: 'button', class: 'expand', 'aria-expanded': S.expanded.has(r.hash) ? 'true' : 'false', 'aria-label': `Show ${r.count} observations`, onclick: (e) => { e.stopPropagation(); toggleExpand(r); } }, S.expanded.has(r.hash) ? '▼' : '▶')
    : null;
  const hl = hops(r);
  const c = (col, attrs, ...kids) => h('td', { ...attrs, dataset: { col } }, ...kids);
  tr.append(
    c('exp', { class: 'c-exp' }, exp),
    c('time', null, timeAgo(r.time)),
    c('hash', { class: 'mono' }, String(r.hash).slice(0, 8) + '…'),
    c('size', null, `${r.size}B`),
    c('hb', { title: 'hash bytes per hop' }, hl.length ? String(Math.max(1, Math.floor(String(hl[0]).length / 2))) : '—'),
    c('type', null, h('span', { class: 'badge t-' + typeClass(r.payload_type) }, typeName(r.payload_type)), isTransport(r.route_type) ? h('span', { class: 'badge tb', title: 'transport route' }, 'T') : null),
    c('observer', null, String(r.observer_name || r.observer_id || '—'), r.observer_iata ? h('span', { class: 'badge iata' }, String(r.observer_iata)) : null),
    c('path', { class: 'c-path' }, ...hopPills(hl, r.resolved_path, { emptyText: '—', hex: S.hexPaths })),
    c('rpt', null, r.child ? '' : `👁 ${r.count}`),
    c('details', { class: 'c-details' }, packetSummary(r)),
    c('region', null, r.observer_iata ? h('span', { class: 'badge iata' }, String(r.observer_iata)) : '—'),
  );
}

/**
 * multiSelect is a "All <label> ▾" dropdown of checkboxes editing the Set selected in place.
 * Options can be (re)set later (observers arrive after the first render); reset() unticks all.
 */
function multiSelect(label, selected, onChange) {
  const summary = h('summary', { class: 'btn' });
  const upd = () => { summary.textContent = selected.size ? `${label}: ${selected.size} ▾` : `All ${label} ▾`; };
  const box = h('div', { class: 'ms-menu', role: 'group', 'aria-label': label });
  const setOptions = (options) => {
    clear(box);
    for (const [v, text] of options) {
      const cb = h('input', { type: 'checkbox', checked: selected.has(v), value: String(v) });
      cb.addEventListener('change', () => { if (cb.checked) selected.add(v); else selected.delete(v); upd(); onChange(); });
      box.appendChild(h('label', { class: 'ms-item' }, cb, ' ', text));
    }
  };
  const reset = () => { selected.clear(); for (const cb of box.querySelectorAll('input')) cb.checked = false; upd(); };
  upd();
  return { el: h('details', { class: 'ms', dataset: { filter: label.toLowerCase() } }, summary, box), setOptions, reset };
}

function buildFilters() {
  const changed = () => { syncURL(); load(); };
  const hashIn = h('input', { type: 'search', placeholder: 'Packet hash…', 'aria-label': 'Filter by packet hash', value: S.hash, class: 'mono', size: '14' });
  hashIn.addEventListener('input', debounce(() => { S.hash = hashIn.value.trim().toLowerCase(); changed(); }, 400));
  // Node filter with suggestions from /api/nodes/search (native datalist: keyboard navigable).
  const dl = h('datalist', { id: 'packet-node-suggest' });
  const nodeIn = h('input', { type: 'search', placeholder: 'Node name or key…', 'aria-label': 'Filter by node', value: S.node, size: '16', list: 'packet-node-suggest', autocomplete: 'off' });
  const suggest = debounce(async () => {
    const q = nodeIn.value.trim();
    if (q.length < 2) return;
    try {
      const r = await api('/nodes/search' + qs({ q }));
      clear(dl).append(...((r && r.nodes) || []).map((n) => h('option', { value: n.public_key }, String(n.name || n.public_key))));
    } catch (e) { showError(e, 'Node search'); }
  }, 250);
  // The server's node filter takes a public key. Typed text is resolved to one node (a full
  // key, a picked suggestion, an exact name, or the only match) before it filters anything;
  // otherwise the list stays as it is and the hint asks to pick a suggestion.
  const nodeHint = h('span', { class: 'muted node-hint', role: 'status', 'aria-live': 'polite' });
  const setNode = (pk) => { nodeHint.textContent = ''; if (pk !== S.node) { S.node = pk; changed(); } };
  const applyNode = debounce(async () => {
    const q = nodeIn.value.trim();
    if (!q) { setNode(''); return; }
    if (/^[0-9a-f]{64}$/i.test(q)) { setNode(q.toLowerCase()); return; }
    try {
      const r = await api('/nodes/search' + qs({ q }));
      if (!S || nodeIn.value.trim() !== q) return;
      const list = (r && r.nodes) || [];
      const exact = list.filter((n) => String(n.name || '').toLowerCase() === q.toLowerCase() || String(n.public_key).toLowerCase() === q.toLowerCase());
      const pick = exact.length === 1 ? exact[0] : list.length === 1 ? list[0] : null;
      if (pick) { setNode(String(pick.public_key).toLowerCase()); return; }
      nodeHint.textContent = list.length ? `${list.length} nodes match — pick one` : 'No node matches';
    } catch (e) { showError(e, 'Node search'); }
  }, 500);
  nodeIn.addEventListener('input', () => { suggest(); applyNode(); });
  nodeIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); applyNode(); } });
  const tw = h('select', { 'aria-label': 'Time window' }, ...WINDOWS.map(([m, l]) => h('option', { value: String(m), selected: m === S.tw, disabled: window.innerWidth <= 1024 && (m === 0 || m > 180) }, l)));
  tw.addEventListener('change', () => { S.tw = +tw.value; changed(); });
  // Observers: multi-select (UI.md §3.2); the server takes a comma-separated list.
  S.obsMs = multiSelect('Observers', S.observers, changed);
  S.obsMs.setOptions([...S.observers].map((id) => [id, id]));
  const groupBtn = h('button', { type: 'button', class: 'btn', 'aria-pressed': S.group ? 'true' : 'false' }, 'Group by Hash');
  groupBtn.addEventListener('click', () => { S.group = !S.group; groupBtn.setAttribute('aria-pressed', S.group ? 'true' : 'false'); changed(); });
  const types = multiSelect('Types', S.types, changed);
  types.setOptions(Object.entries(TYPE_NAMES).map(([k, v]) => [+k, v]));
  const hexBtn = h('button', { type: 'button', class: 'btn', 'aria-pressed': S.hexPaths ? 'true' : 'false', title: 'Show raw hop prefixes instead of node names' }, 'Hex Paths');
  hexBtn.addEventListener('click', () => {
    S.hexPaths = !S.hexPaths;
    hexBtn.setAttribute('aria-pressed', S.hexPaths ? 'true' : 'false');
    store.set('meshcore-hex-hashes', S.hexPaths ? '1' : '0');
    S.vt.refresh();
  });
  // Channel (server `channel` filter, options from /api/channels) and area (config areas; the
  // select is hidden when none are configured). Both live in the URL.
  S.chanSel = h('select', { 'aria-label': 'Channel' }, h('option', { value: '' }, 'All Channels'),
    S.channel ? h('option', { value: S.channel, selected: true }, S.channel) : null);
  S.chanSel.addEventListener('change', () => { S.channel = S.chanSel.value; changed(); });
  S.areaSel = h('select', { 'aria-label': 'Area', hidden: true }, h('option', { value: '' }, 'Area: All'));
  S.areaSel.addEventListener('change', () => { S.area = S.areaSel.value; store.set('meshcore-area-filter', S.area); changed(); });
  // Observation order inside expanded groups.
  const obsSort = h('select', { 'aria-label': 'Observation order', title: 'Order of the observations inside an expanded group' },
    ...OBS_SORTS.map(([v, l]) => h('option', { value: v, selected: v === S.obsSort }, `Obs: ${l}`)));
  obsSort.addEventListener('change', () => { S.obsSort = obsSort.value; store.set('meshcore-obs-sort', S.obsSort); rebuild(); });
  // Columns ▾: visible columns, persisted (LS packets-visible-cols).
  const colBox = h('div', { class: 'ms-menu', role: 'group', 'aria-label': 'Visible columns' }, ...COLS.map(([k, l]) => {
    const cb = h('input', { type: 'checkbox', checked: S.cols.has(k), value: k });
    cb.addEventListener('change', () => {
      if (cb.checked) S.cols.add(k); else S.cols.delete(k);
      store.setJSON('packets-visible-cols', [...S.cols]);
      applyCols();
    });
    return h('label', { class: 'ms-item' }, cb, ' ', l);
  }));
  const colMenu = h('details', { class: 'ms', dataset: { filter: 'columns' } }, h('summary', { class: 'btn' }, 'Columns ▾'), colBox);
  const clearBtn = h('button', {
    type: 'button', class: 'btn', onclick: () => {
      Object.assign(S, { tw: 15, hash: '', node: '', channel: '', area: '', group: true, detailId: null, obsId: null });
      types.reset(); S.obsMs.reset();
      hashIn.value = ''; nodeIn.value = ''; tw.value = '15'; S.chanSel.value = ''; S.areaSel.value = ''; groupBtn.setAttribute('aria-pressed', 'true');
      closeDetail(); load();
    },
  }, '✕ Clear');
  const box = h('div', { class: 'filters', role: 'search', 'aria-label': 'Packet filters', id: 'packet-filters', 'data-collapsed': 'true' }, hashIn, nodeIn, nodeHint, tw, S.obsMs.el, types.el, S.chanSel, S.areaSel, obsSort, colMenu, groupBtn, hexBtn, clearBtn);
  // On narrow screens the filter bar collapses behind "Filters ▾" (CSS shows the toggle ≤768 px).
  const tog = h('button', { type: 'button', class: 'btn filters-toggle', 'aria-expanded': 'false', 'aria-controls': 'packet-filters' }, 'Filters ▾');
  tog.addEventListener('click', () => {
    const open = box.dataset.collapsed === 'true';
    box.dataset.collapsed = open ? 'false' : 'true';
    tog.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  return [tog, box, dl];
}

/**
 * resizer is the drag handle between the list and the detail pane (pointer drag, or arrow keys
 * when focused); the width is kept in LS meshcore-panel-width. Hidden while the pane is a
 * slide-over (views.css).
 */
function resizer() {
  const setW = (w) => {
    const max = Math.max(320, Math.floor(window.innerWidth * 0.7));
    const px = Math.min(max, Math.max(320, Math.round(w)));
    S.detail.style.width = px + 'px';
    bar.setAttribute('aria-valuenow', String(px));
    store.set('meshcore-panel-width', String(px));
  };
  const bar = h('div', {
    class: 'pane-resizer', role: 'separator', tabindex: '0', 'aria-orientation': 'vertical',
    'aria-label': 'Resize the detail pane', 'aria-valuemin': '320',
  });
  bar.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    bar.setPointerCapture(e.pointerId);
    const right = S.split.getBoundingClientRect().right;
    const move = (ev) => setW(right - ev.clientX);
    const up = () => { bar.removeEventListener('pointermove', move); bar.removeEventListener('pointerup', up); };
    bar.addEventListener('pointermove', move);
    bar.addEventListener('pointerup', up);
  });
  bar.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    setW(S.detail.getBoundingClientRect().width + (e.key === 'ArrowLeft' ? 24 : -24));
  });
  const saved = +store.get('meshcore-panel-width', '0');
  if (saved) requestAnimationFrame(() => { if (S) setW(saved); });
  return bar;
}

/** applyCols shows the chosen columns (CSS hides [data-col] cells by a class on the table). */
function applyCols() {
  for (const [k] of COLS) S.vt.table.classList.toggle('hide-' + k, !S.cols.has(k));
}

/** loadChoices fills the channel and area selects (one fetch each). */
async function loadChoices() {
  try {
    const [ch, areas] = await Promise.all([api('/channels', { ttl: 60000 }), api('/config/areas', { ttl: 300000 }).catch(() => [])]);
    if (!S) return;
    const list = (ch && ch.channels) || [];
    S.chanSel.replaceChildren(h('option', { value: '' }, 'All Channels'), ...list.map((c) => h('option', { value: c.hash, selected: c.hash === S.channel }, String(c.name || c.hash))));
    if (S.channel && !list.some((c) => c.hash === S.channel)) S.chanSel.appendChild(h('option', { value: S.channel, selected: true }, S.channel));
    const al = Array.isArray(areas) ? areas : Object.entries(areas || {}).map(([key, v]) => ({ key, label: (v && v.label) || key }));
    S.areaSel.hidden = !al.length;
    S.areaSel.replaceChildren(h('option', { value: '' }, 'Area: All'), ...al.map((a) => h('option', { value: a.key, selected: a.key === S.area }, `Area: ${a.label || a.key}`)));
  } catch (e) { showError(e, 'Channels'); }
}

async function loadObservers() {
  try {
    const r = await api('/observers', { ttl: 30000 });
    if (!S) return;
    const list = (r && r.observers) || [];
    for (const o of list) S.obsIata.set(o.id, o.iata);
    // Selected ids the server no longer lists stay selectable (shown by id) so they can be unticked.
    const opts = list.map((o) => [o.id, `${o.name || o.id}${o.iata ? ` (${o.iata})` : ''}`]);
    for (const id of S.observers) if (!S.obsIata.has(id)) opts.push([id, id]);
    S.obsMs.setOptions(opts);
  } catch (e) { showError(e, 'Observers'); }
}

export function mount(el, p) {
  S = initialState(p);
  S.status = h('span', { class: 'muted', role: 'status' });
  S.count = h('span', { class: 'count', id: 'packet-count' });
  S.pauseBtn = h('button', { type: 'button', class: 'btn', 'aria-label': 'Pause live updates', 'aria-pressed': 'false' }, '⏸');
  S.pauseBtn.addEventListener('click', () => {
    S.paused = !S.paused;
    S.pauseBtn.setAttribute('aria-pressed', S.paused ? 'true' : 'false');
    S.pauseBtn.setAttribute('aria-label', S.paused ? 'Resume live updates' : 'Pause live updates');
    if (!S.paused) { const b = S.buffer; S.buffer = []; merge(b); S.pauseBtn.textContent = '⏸'; } else S.pauseBtn.textContent = '▶ 0';
  });
  const refresh = h('button', { type: 'button', class: 'btn', 'aria-label': 'Refresh', onclick: () => load() }, '🔄');
  const byop = h('button', { type: 'button', class: 'btn', 'aria-haspopup': 'dialog', onclick: openDecoder }, '📦 BYOP');
  S.vt = createVTable({
    caption: 'Packets',
    rowHeight: 34,
    columns: [
      { key: 'exp', label: '', cls: 'c-exp' }, { key: 'time', label: 'Time', sortKey: 'time' },
      { key: 'hash', label: 'Hash', sortKey: 'hash' }, { key: 'size', label: 'Size', sortKey: 'size' },
      { key: 'hb', label: 'HB', sortKey: 'hb' },
      { key: 'type', label: 'Type', sortKey: 'type' }, { key: 'observer', label: 'Observer', sortKey: 'observer' },
      { key: 'path', label: 'Path', sortKey: 'path' }, { key: 'rpt', label: 'Rpt', sortKey: 'rpt' },
      { key: 'details', label: 'Details' },
      // Optional (Columns menu), last so the default columns keep their places.
      { key: 'region', label: 'Region', sortKey: 'region' },
    ],
    renderRow,
    onActivate: (r) => openDetail(r.child ? r.hash : (r.obsId ? r.hash : (r.hash || r.id)), r.obsId),
    onSort: (key) => {
      S.sort = nextSort(S.sort, key, (k) => (k === 'time' ? 'desc' : 'asc'));
      syncURL(); rebuild();
    },
  });
  S.empty = h('p', { class: 'empty', hidden: true }, 'No packets match these filters.');
  S.tableWrap = h('div', { class: 'table-wrap', 'aria-live': 'off' }, S.vt.el, S.empty);
  S.detail = h('aside', { class: 'detail-pane', 'aria-label': 'Packet details' }, h('p', { class: 'empty' }, 'Select a packet to view details'));
  S.split = h('div', { class: 'split' },
    h('section', { class: 'list-pane' },
      h('div', { class: 'page-head' }, h('h1', null, 'Latest Packets ', S.count), S.status, h('span', { class: 'spacer' }), refresh, S.pauseBtn, byop),
      ...buildFilters(), S.tableWrap),
    resizer(), S.detail);
  el.appendChild(h('div', { class: 'packets-page' }, S.split));
  S.onKey = (e) => { if (e.key === 'Escape' && S.detailId && !e.defaultPrevented) closeDetail(); };
  document.addEventListener('keydown', S.onKey);
  S.onRegion = () => load();
  window.addEventListener('region-changed', S.onRegion);
  S.onTheme = () => S.vt.refresh(); // hash stripe colours are theme-dependent
  window.addEventListener('theme-changed', S.onTheme);
  S.refreshDetail = debounce(refreshDetail, 700);
  S.unsub = live.subscribe(onBatch);
  // A ?region= in the URL (shared link) sets the global region filter.
  if (p.query.has('region')) setRegions(p.query.get('region').split(',').filter(Boolean));
  applyCols();
  loadObservers();
  loadChoices();
  syncURL();
  return load();
}

export function unmount() {
  if (!S) return;
  S.unsub();
  S.refreshDetail.cancel();
  S.vt.destroy();
  closeDecoder();
  if (S.releaseDetail) S.releaseDetail({ restore: false });
  document.removeEventListener('keydown', S.onKey);
  window.removeEventListener('region-changed', S.onRegion);
  window.removeEventListener('theme-changed', S.onTheme);
  S = null;
}
