// Observer detail (#/observers/{id}): stat tiles, Chart.js charts (packets over time, packet
// types, SNR distribution) and recent packets. Chart.js is loaded on first use only.
import { h, clear } from '../dom.js';
import { api, errorBox, showError } from '../api.js';
import { observerStatus, OBS_SHAPE } from './observers.js';
import { ago, absTime, num, fixed, typeName, typeClass, hops } from '../format.js';

let S = null;
let chartLoad = null;

function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!chartLoad) {
    chartLoad = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = 'vendor/chartjs/chart.umd.js';
      s.onload = () => resolve(window.Chart);
      s.onerror = () => { chartLoad = null; reject(new Error('could not load Chart.js')); };
      document.head.appendChild(s);
    });
  }
  return chartLoad;
}

function tile(k, v) { return h('div', { class: 'card stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v)); }

function chartCard(title, desc) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}: ${desc}` });
  return { canvas, el: h('div', { class: 'card' }, h('h3', null, title), h('div', { class: 'chart-box' }, canvas)) };
}

async function drawCharts(an) {
  let Chart;
  try { Chart = await loadChart(); } catch (e) { showError(e); return; }
  if (!S) return;
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--text-muted').trim() || '#888';
  const accent = css.getPropertyValue('--accent').trim() || '#4a9eff';
  Chart.defaults.color = text;
  const mk = (card, cfg) => { S.charts.push(new Chart(card.canvas, { ...cfg, options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: cfg.type === 'doughnut' } }, ...(cfg.options || {}) } })); };
  const tl = an.timeline || [];
  mk(S.c1, { type: 'bar', data: { labels: tl.map((x) => x.label), datasets: [{ label: 'Packets', data: tl.map((x) => x.count), backgroundColor: accent }] } });
  const pt = Object.entries(an.packetTypes || {});
  mk(S.c2, { type: 'doughnut', data: { labels: pt.map(([k]) => typeName(+k)), datasets: [{ data: pt.map(([, v]) => v) }] } });
  const sd = an.snrDistribution || [];
  mk(S.c3, { type: 'bar', data: { labels: sd.map((x) => x.range), datasets: [{ label: 'Observations', data: sd.map((x) => x.count), backgroundColor: '#2ea043' }] } });
}

async function load(days) {
  clear(S.body).appendChild(h('p', { class: 'loading' }, 'Loading observer…'));
  S.charts.forEach((c) => c.destroy());
  S.charts = [];
  try {
    const [o, an] = await Promise.all([
      api('/observers/' + encodeURIComponent(S.id)),
      // Charts are secondary: if analytics fail, the tiles still render and the error is shown
      // inline where the charts would be.
      api(`/observers/${encodeURIComponent(S.id)}/analytics?days=${days}`).catch((e) => ({ _error: e })),
    ]);
    if (!S) return;
    S.title.textContent = String(o.name || o.id);
    const st = observerStatus(o);
    clear(S.body);
    S.body.appendChild(h('div', { class: 'grid-cards' },
      tile('Status', h('span', { class: `status status-${st}` }, `${OBS_SHAPE[st]} ${st}`)),
      tile('Region', String(o.iata || '—')), tile('Model', String(o.model || '—')), tile('Firmware', String(o.firmware || '—')),
      tile('Client', String(o.client_version || '—')), tile('Radio', String(o.radio || '—')),
      tile('Battery', o.battery_mv ? `${o.battery_mv} mV` : '—'), tile('Noise Floor', o.noise_floor !== null && o.noise_floor !== undefined ? `${o.noise_floor} dBm` : '—'),
      tile('Total Packets', num(o.packet_count)), tile('Packets/Hour', num(o.packetsLastHour)),
      tile('First Seen', absTime(o.first_seen)), tile('Last Status Update', ago(o.last_seen)), tile('Last Packet', o.last_packet_at ? ago(o.last_packet_at) : '—')));
    if (an._error) {
      S.body.appendChild(h('div', { class: 'section' }, h('h2', null, 'Activity'), errorBox(an._error, () => load(days))));
      return;
    }
    S.c1 = chartCard('Packets Over Time', 'packets heard per time bucket');
    S.c2 = chartCard('Packet Types', 'share of packet types');
    S.c3 = chartCard('SNR Distribution', 'observations per SNR bucket');
    S.body.appendChild(h('div', { class: 'grid-cards', style: { gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))', marginTop: '12px' } }, S.c1.el, S.c2.el, S.c3.el));
    const rp = an.recentPackets || [];
    S.body.appendChild(h('div', { class: 'section' }, h('h2', null, 'Recent Packets'),
      rp.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl' },
        h('caption', { class: 'sr-only' }, 'Recent packets heard by this observer'),
        h('thead', null, h('tr', null, ...['Time', 'Type', 'Hash', 'SNR', 'RSSI', 'Hops'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, ...rp.map((p) => h('tr', null,
          h('td', { title: absTime(p.timestamp) }, ago(p.timestamp)),
          h('td', null, h('span', { class: 'badge t-' + typeClass(p.payload_type) }, typeName(p.payload_type))),
          h('td', { class: 'mono' }, p.hash ? h('a', { href: `#/packets/${encodeURIComponent(p.hash)}` }, String(p.hash).slice(0, 8)) : '—'),
          h('td', null, fixed(p.snr)), h('td', null, fixed(p.rssi, 0)), h('td', null, String(hops(p).length)))))))
        : h('p', { class: 'muted' }, 'No recent packets.')));
    drawCharts(an);
  } catch (e) {
    if (!S) return;
    clear(S.body).appendChild(errorBox(e, () => load(days)));
  }
}

export function mount(el, p) {
  S = { id: p.param, charts: [] };
  S.title = h('h1', null, String(p.param));
  const range = h('select', { 'aria-label': 'Range' }, ...[[1, '24 Hours'], [3, '3 Days'], [7, '7 Days'], [30, '30 Days']].map(([d, l]) => h('option', { value: String(d), selected: d === 7 }, l)));
  range.addEventListener('change', () => load(+range.value));
  S.body = h('div');
  el.appendChild(h('section', { class: 'page' },
    h('p', null, h('a', { href: '#/observers' }, '← Observers')),
    h('div', { class: 'page-head' }, S.title, h('span', { class: 'spacer' }), range), S.body));
  S.onTheme = () => load(+range.value);
  window.addEventListener('theme-changed', S.onTheme);
  return load(7);
}

export function unmount() {
  if (!S) return;
  S.charts.forEach((c) => c.destroy());
  window.removeEventListener('theme-changed', S.onTheme);
  S = null;
}
