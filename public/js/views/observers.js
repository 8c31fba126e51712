// Observers (#/observers): status table with health (last seen, last packet, packet counts).
// Sortable columns (URL ?sort=, LS meshcore-observers-sort); WebSocket packets update their
// observer's row in place (last packet, counts); a full reload every 30 s. A row opens
// #/observers/{id}.
import { h, clear, activateOnKey, store, debounce } from '../dom.js';
import { api, qs, errorBox } from '../api.js';
import * as live from '../live.js';
import { navigate, setQuery } from '../router.js';
import { region } from '../region.js';
import { timeAgo, num, parseTime } from '../format.js';
import { offsetText, offsetSeverity } from '../observer-charts.js';

let S = null;

/** observerStatus: online < 10 min since last status/packet, stale < 1 h, else offline. */
export function observerStatus(o, now = Date.now()) {
  const t = Math.max(parseTime(o.last_seen) || 0, parseTime(o.last_packet_at) || 0);
  const age = now - t;
  if (age < 10 * 60e3) return 'online';
  if (age < 3600e3) return 'stale';
  return 'offline';
}
export const OBS_SHAPE = { online: '●', stale: '▲', offline: '✕' };

function uptime(s) {
  if (!s && s !== 0) return '—';
  const d = Math.floor(s / 86400); const hh = Math.floor((s % 86400) / 3600); const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${m}m` : `${m}m`;
}

// Sortable columns: header label → [sort key, comparator]. Default: Name ascending.
const tms = (s) => parseTime(s) || 0;
const ORDER = ['online', 'stale', 'offline'];
const SORTS = {
  Status: ['status', (a, b) => ORDER.indexOf(observerStatus(b)) - ORDER.indexOf(observerStatus(a))],
  Name: ['name', (a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id))],
  Region: ['region', (a, b) => String(a.iata || '').localeCompare(String(b.iata || ''))],
  'Last Status': ['lastStatus', (a, b) => tms(a.last_seen) - tms(b.last_seen)],
  'Last Packet': ['lastPacket', (a, b) => tms(a.last_packet_at) - tms(b.last_packet_at)],
  'Total Packets': ['packets', (a, b) => (a.packet_count || 0) - (b.packet_count || 0)],
  'Packets/Hour': ['perHour', (a, b) => (a.packetsLastHour || 0) - (b.packetsLastHour || 0)],
  'Clock Offset': ['offset', (a, b) => Math.abs(offsetOf(a)) - Math.abs(offsetOf(b))],
  Uptime: ['uptime', (a, b) => (a.uptime_secs || 0) - (b.uptime_secs || 0)],
};
const offsetOf = (o) => { const x = S.offs && S.offs.get(o.id); return x ? x.offsetSec : -1; };
const cmpOf = (key) => (Object.values(SORTS).find(([k]) => k === key) || SORTS.Name)[1];

/** sortHead makes a header cell sortable (click/Enter/Space, aria-sort, sort token in the URL). */
function sortHead(label) {
  const def = SORTS[label];
  if (!def) return h('th', { scope: 'col' }, label);
  const [key] = def;
  const on = S.sort.key === key;
  const th = h('th', { scope: 'col', tabindex: '0', dataset: { sortKey: key }, 'aria-sort': on ? (S.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' }, label);
  const act = () => {
    S.sort = on ? { key, dir: S.sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: ['name', 'region'].includes(key) ? 'asc' : 'desc' };
    const tok = S.sort.key === 'name' && S.sort.dir === 'asc' ? '' : S.sort.key + (S.sort.dir === 'asc' ? ':asc' : '');
    store.set('meshcore-observers-sort', tok);
    setQuery({ sort: tok });
    draw(S.list, S.skew);
    const again = S.body.querySelector(`th[data-sort-key="${key}"]`);
    if (again) again.focus();
  };
  th.addEventListener('click', act);
  activateOnKey(th, act);
  return th;
}

function draw(list, skew) {
  S.list = list;
  S.skew = skew;
  const offs = new Map((Array.isArray(skew) ? skew : []).map((x) => [x.observerID, x]));
  S.offs = offs;
  const rs = new Set(region() ? region().split(',') : []);
  const dir = S.sort.dir === 'asc' ? 1 : -1;
  const cmp = cmpOf(S.sort.key);
  const rows = list.filter((o) => !rs.size || rs.has(o.iata)).sort((a, b) => dir * cmp(a, b) || String(a.id).localeCompare(String(b.id)));
  const counts = { online: 0, stale: 0, offline: 0 };
  const max = Math.max(1, ...rows.map((o) => o.packetsLastHour || 0));
  const tbody = h('tbody');
  for (const o of rows) {
    const st = observerStatus(o);
    counts[st]++;
    const lastPkt = parseTime(o.last_packet_at);
    const notForwarding = lastPkt && parseTime(o.last_seen) - lastPkt > 10 * 60e3;
    const tr = h('tr', { tabindex: '0', dataset: { id: o.id } },
      h('td', null, h('span', { class: `status status-${st}` }, `${OBS_SHAPE[st]} ${st}`)),
      h('td', null, String(o.name || o.id)),
      h('td', null, o.iata ? h('span', { class: 'badge iata' }, String(o.iata)) : '—'),
      h('td', null, timeAgo(o.last_seen)),
      h('td', null, o.last_packet_at ? timeAgo(o.last_packet_at) : '—'),
      h('td', { class: 'packet-health' }, notForwarding ? h('span', { title: 'Status is more than 10 min newer than the last packet: alive but not forwarding' }, '📡⚠ not forwarding') : o.last_packet_at ? h('span', { title: 'Packets arrive as recent as its status' }, '✓ ok') : '—'),
      h('td', null, num(o.packet_count)),
      h('td', null, h('span', { class: 'bar', style: { width: `${Math.round(((o.packetsLastHour || 0) / max) * 60)}px` } }), num(o.packetsLastHour)),
      h('td', { class: 'clock-offset' }, offs.has(o.id) ? [h('span', { class: `sev sev-${offsetSeverity(offs.get(o.id).offsetSec)}` }, offsetText(offs.get(o.id).offsetSec)), h('span', { class: 'muted' }, ` (${num(offs.get(o.id).samples)})`)]
        : o.clock_naive ? h('span', { class: 'sev sev-warning', title: 'This observer sent timestamps without a time zone in the last 24 h' }, 'naive clock') : '—'),
      h('td', null, uptime(o.uptime_secs)));
    const go = () => navigate(`#/observers/${encodeURIComponent(o.id)}`);
    tr.addEventListener('click', go);
    activateOnKey(tr, go);
    tbody.appendChild(tr);
  }
  clear(S.summary).append(
    h('span', { class: 'status status-online' }, `● ${counts.online} Online`),
    h('span', { class: 'status status-stale' }, `▲ ${counts.stale} Stale`),
    h('span', { class: 'status status-offline' }, `✕ ${counts.offline} Offline`),
    h('span', { id: 'observer-total' }, `📡 ${rows.length} Total`));
  // Live redraws keep keyboard focus on the same row.
  const act = document.activeElement;
  const focusId = act && S.body.contains(act) && act.dataset ? act.dataset.id : null;
  clear(S.body).appendChild(rows.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'observers-table' },
    h('caption', { class: 'sr-only' }, 'Observer status'),
    h('thead', null, h('tr', null, ...['Status', 'Name', 'Region', 'Last Status', 'Last Packet', 'Packet Health', 'Total Packets', 'Packets/Hour', 'Clock Offset', 'Uptime'].map(sortHead))),
    tbody)) : h('p', { class: 'empty' }, 'No observers yet.'));
  if (focusId) { const tr = S.body.querySelector(`tr[data-id="${CSS.escape(focusId)}"]`); if (tr) tr.focus({ preventScroll: true }); }
}

async function load() {
  try {
    // Clock offsets are secondary: without them the table still shows (column reads —).
    const [r, skew] = await Promise.all([api('/observers' + qs({})), api('/observers/clock-skew', { ttl: 30000 }).catch(() => null)]);
    if (!S) return;
    draw((r && r.observers) || [], skew);
  } catch (e) {
    if (!S) return;
    clear(S.body).appendChild(errorBox(e, load));
  }
}

/** onBatch applies WebSocket packets to their observers' rows (redrawn at most once a second). */
function onBatch(batch) {
  if (!S || !S.list) return;
  let changed = false;
  for (const p of batch) {
    if (p._type !== 'packet' || !p.observer_id) continue;
    const o = S.list.find((x) => x.id === p.observer_id);
    if (!o) { S.reloadSoon(); continue; }
    o.last_packet_at = new Date().toISOString();
    o.packet_count = (o.packet_count || 0) + 1;
    o.packetsLastHour = (o.packetsLastHour || 0) + 1;
    changed = true;
  }
  if (changed) S.redrawSoon();
}

export function mount(el, p) {
  const tok = (p && p.query.get('sort')) || store.get('meshcore-observers-sort', '');
  S = { sort: tok ? { key: tok.split(':')[0], dir: tok.endsWith(':asc') ? 'asc' : 'desc' } : { key: 'name', dir: 'asc' } };
  S.redrawSoon = debounce(() => { if (S && S.list) draw(S.list, S.skew); }, 1000);
  S.reloadSoon = debounce(() => { if (S) load(); }, 3000);
  S.unsub = live.subscribe(onBatch);
  S.summary = h('div', { class: 'obs-summary', role: 'status' });
  S.body = h('div', null, h('p', { class: 'loading' }, 'Loading observers…'));
  el.appendChild(h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Observer Status'), h('span', { class: 'spacer' }),
      h('a', { class: 'btn', href: '#/compare', 'aria-label': 'Compare two observers', title: 'Compare two observers' }, '🔍'),
      h('button', { type: 'button', class: 'btn', 'aria-label': 'Refresh', onclick: () => load() }, '🔄')),
    S.summary, S.body));
  S.timer = setInterval(load, 30000);
  S.onRegion = () => load();
  window.addEventListener('region-changed', S.onRegion);
  return load();
}

export function unmount() {
  if (!S) return;
  clearInterval(S.timer);
  S.unsub(); S.redrawSoon.cancel(); S.reloadSoon.cancel();
  window.removeEventListener('region-changed', S.onRegion);
  S = null;
}
