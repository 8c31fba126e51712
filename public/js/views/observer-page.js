// Observer detail (#/observers/{id}): stat tiles from GET /api/observers/{id} and the packets
// this observer heard from GET /api/packets?observer={id}&expand=observations (one fetch each),
// then live WebSocket deltas. The charts and clock offset of UI.md §10 come from
// observer-charts.js (/api/observers/{id}/analytics, /api/observers/clock-skew).
import { h, clear, replace } from '../dom.js';
import { api, qs, errorBox } from '../api.js';
import * as live from '../live.js';
import { observerStatus, OBS_SHAPE } from './observers.js';
import { timeAgo, absTime, num, fixed, typeName, typeClass, hops, parseTime } from '../format.js';
import { renderObserverCharts } from '../observer-charts.js';
import { setQuery } from '../router.js';

const LIMIT = 100;
let S = null;

function tile(k, v) { return h('div', { class: 'card stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v)); }

/** newestFirst orders packets by when THIS observer heard them (the time the table shows). */
const newestFirst = (a, b) => (parseTime(b.timestamp) || 0) - (parseTime(a.timestamp) || 0);

/** ownObservation reduces a transmission to what this observer heard (its own observation). */
function ownObservation(p, id) {
  const o = (p.observations || []).find((x) => x.observer_id === id);
  return { ...p, ...(o || {}), hash: p.hash, payload_type: p.payload_type, timestamp: (o && o.timestamp) || p.timestamp || p.first_seen };
}

function drawTiles() {
  const o = S.obs;
  const st = observerStatus(o);
  clear(S.tiles).append(
    tile('Status', h('span', { class: `status status-${st}` }, `${OBS_SHAPE[st]} ${st}`)),
    tile('Region', String(o.iata || '—')), tile('Model', String(o.model || '—')), tile('Firmware', String(o.firmware || '—')),
    tile('Client', String(o.client_version || '—')), tile('Radio', String(o.radio || '—')),
    tile('Battery', o.battery_mv ? `${o.battery_mv} mV` : '—'), tile('Noise Floor', o.noise_floor !== null && o.noise_floor !== undefined ? `${o.noise_floor} dBm` : '—'),
    tile('Total Packets', num(o.packet_count)), tile('Packets/Hour', num(o.packetsLastHour)),
    tile('First Seen', absTime(o.first_seen)), tile('Last Status Update', timeAgo(o.last_seen)), tile('Last Packet', o.last_packet_at ? timeAgo(o.last_packet_at) : '—'));
}

function row(p) {
  return h('tr', { dataset: { hash: p.hash } },
    h('td', null, timeAgo(p.timestamp)),
    h('td', null, h('span', { class: 'badge t-' + typeClass(p.payload_type) }, typeName(p.payload_type))),
    h('td', { class: 'mono' }, p.hash ? h('a', { href: `#/packets/${encodeURIComponent(p.hash)}` }, String(p.hash).slice(0, 8)) : '—'),
    h('td', null, fixed(p.snr)), h('td', null, fixed(p.rssi, 0)), h('td', null, String(hops(p).length)));
}

/** drawPackets renders the recent-packet table and a type breakdown of those packets. */
function drawPackets() {
  const counts = new Map();
  for (const p of S.packets) counts.set(p.payload_type, (counts.get(p.payload_type) || 0) + 1);
  const types = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  replace(S.list,
    h('h2', null, 'Recent Packets ', h('span', { class: 'count', id: 'observer-packet-count', dataset: { count: String(S.packets.length) } }, `(${S.packets.length})`)),
    types.length ? h('p', { class: 'type-mix', 'aria-label': `Packet types among the last ${S.packets.length} packets` },
      ...types.map(([t, n]) => h('span', { class: 'badge t-' + typeClass(t) }, `${typeName(t)} ${n}`))) : null,
    S.packets.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'observer-packets' },
      h('caption', { class: 'sr-only' }, 'Recent packets heard by this observer'),
      h('thead', null, h('tr', null, ...['Time', 'Type', 'Hash', 'SNR', 'RSSI', 'Hops'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ...S.packets.map(row))))
      : h('p', { class: 'muted' }, 'No packets heard by this observer yet.'));
}

function onBatch(batch) {
  if (!S || !S.obs) return;
  let changed = false;
  for (const p of batch) {
    if (p._type !== 'packet' || p.observer_id !== S.id || !p.hash) continue;
    changed = true;
    S.packets = [{ ...p, timestamp: p.timestamp || new Date().toISOString() }, ...S.packets.filter((x) => x.hash !== p.hash)].sort(newestFirst).slice(0, LIMIT);
    S.obs.packet_count = (S.obs.packet_count || 0) + 1;
    const t = parseTime(p.timestamp);
    if (!Number.isNaN(t)) S.obs.last_packet_at = new Date(t).toISOString();
  }
  if (changed) { drawTiles(); drawPackets(); }
}

async function load() {
  clear(S.body).appendChild(h('p', { class: 'loading' }, 'Loading observer…'));
  try {
    const [o, pk] = await Promise.all([
      api('/observers/' + encodeURIComponent(S.id)),
      api('/packets' + qs({ observer: S.id, limit: LIMIT, expand: 'observations' })),
    ]);
    if (!S) return;
    S.obs = o;
    // The list comes in transmission order; the table shows this observer's own times.
    S.packets = ((pk && pk.packets) || []).map((p) => ownObservation(p, S.id)).sort(newestFirst);
    S.title.textContent = String(o.name || o.id);
    S.charts = h('div', { class: 'section' });
    clear(S.body).append(S.tiles, S.charts, S.list);
    drawTiles();
    drawPackets();
    if (S.chartsDone) S.chartsDone();
    S.chartsDone = renderObserverCharts(S.charts, S.id, { days: +S.days, onRange: (d) => setQuery({ days: d === 7 ? '' : d }) });
  } catch (e) {
    if (!S) return;
    clear(S.body).appendChild(errorBox(e, load));
  }
}

export function mount(el, p) {
  S = { id: p.param, obs: null, packets: [], days: p.query.get('days') };
  S.title = h('h1', null, String(p.param));
  S.body = h('div');
  S.tiles = h('div', { class: 'grid-cards' });
  S.list = h('div', { class: 'section' });
  el.appendChild(h('section', { class: 'page' },
    h('p', null, h('a', { href: '#/observers' }, '← Observers')),
    h('div', { class: 'page-head' }, S.title), S.body));
  S.unsub = live.subscribe(onBatch);
  return load();
}

export function unmount() {
  if (!S) return;
  S.unsub();
  if (S.chartsDone) S.chartsDone();
  S = null;
}
