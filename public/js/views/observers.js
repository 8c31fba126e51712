// Observers (#/observers): status table with health (last seen, last packet, packet counts).
// Refreshes every 30 s; a row opens #/observers/{id}.
import { h, clear, activateOnKey } from '../dom.js';
import { api, qs, errorBox } from '../api.js';
import { navigate } from '../router.js';
import { region } from '../region.js';
import { ago, absTime, num, parseTime } from '../format.js';
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

function draw(list, skew) {
  const offs = new Map((Array.isArray(skew) ? skew : []).map((x) => [x.observerID, x]));
  const rs = new Set(region() ? region().split(',') : []);
  const rows = list.filter((o) => !rs.size || rs.has(o.iata));
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
      h('td', { title: absTime(o.last_seen) }, ago(o.last_seen)),
      h('td', { title: absTime(o.last_packet_at) }, o.last_packet_at ? ago(o.last_packet_at) : '—'),
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
  clear(S.body).appendChild(rows.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'observers-table' },
    h('caption', { class: 'sr-only' }, 'Observer status'),
    h('thead', null, h('tr', null, ...['Status', 'Name', 'Region', 'Last Status', 'Last Packet', 'Packet Health', 'Total Packets', 'Packets/Hour', 'Clock Offset', 'Uptime'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody)) : h('p', { class: 'empty' }, 'No observers yet.'));
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

export function mount(el) {
  S = {};
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
  window.removeEventListener('region-changed', S.onRegion);
  S = null;
}
