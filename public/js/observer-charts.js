// Observer detail charts and clock offset (UI.md §10), mounted by views/observer-page.js:
// range select (24 h / 3 d / 7 d / 30 d), four Chart.js charts from
// GET /api/observers/{id}/analytics?days=N (packets over time, packet types, unique nodes heard,
// SNR distribution) and the ⏰ Clock Offset section from GET /api/observers/clock-skew.
import { h, clear, replace } from './dom.js';
import { api, qs } from './api.js';
import { chartCard, chartSet, axis } from './chartjs.js';
import { PALETTE } from './views/analytics/charts.js';
import { failure, empty } from './views/analytics/common.js';
import { typeName, num } from './format.js';

const RANGES = [[1, '24 Hours'], [3, '3 Days'], [7, '7 Days'], [30, '30 Days']];

/** offsetText renders a clock offset in seconds (+ = observer clock ahead). */
export function offsetText(sec) {
  if (sec === null || sec === undefined) return '—';
  const a = Math.abs(sec); const sign = sec > 0 ? '+' : sec < 0 ? '−' : '±';
  if (a < 120) return `${sign}${a.toFixed(1)} s`;
  if (a < 7200) return `${sign}${(a / 60).toFixed(1)} min`;
  return `${sign}${(a / 3600).toFixed(1)} h`;
}

/** offsetSeverity classifies an observer clock offset like node skew (ok < 5 min, warning < 1 h). */
export const offsetSeverity = (sec) => (Math.abs(sec) < 300 ? 'ok' : Math.abs(sec) < 3600 ? 'warning' : 'critical');

function clockSection(el, id) {
  replace(el, h('h2', null, '⏰ Clock Offset'), h('p', { class: 'loading' }, 'Loading clock offset…'));
  api('/observers/clock-skew', { ttl: 60000 }).then((list) => {
    const r = (Array.isArray(list) ? list : []).find((x) => x.observerID === id);
    replace(el, h('h2', null, '⏰ Clock Offset'),
      r ? h('p', { id: 'observer-clock-offset' }, h('span', { class: `sev sev-${offsetSeverity(r.offsetSec)}` }, offsetSeverity(r.offsetSec)), ' ',
        h('strong', null, offsetText(r.offsetSec)), ` (${r.offsetSec > 0 ? 'observer clock ahead' : r.offsetSec < 0 ? 'observer clock behind' : 'in sync'}), from ${num(r.samples)} samples`,
        h('span', { class: 'muted' }, ' — estimated from the timestamps this observer reports for adverts other observers also heard.'))
        : empty('No clock offset estimate for this observer yet (it needs adverts that several observers heard).'));
  }, (e) => { replace(el, h('h2', null, '⏰ Clock Offset'), failure(e, 'The clock offset')); });
}

/**
 * renderObserverCharts draws the range select, charts and clock offset for observer id into el.
 * Returns a cleanup function (destroys the charts).
 */
export function renderObserverCharts(el, id, opts = {}) {
  let days = RANGES.some((r) => r[0] === opts.days) ? opts.days : 7;
  let charts = chartSet();
  let seq = 0;
  const sel = h('select', { id: 'observer-range', 'aria-label': 'Chart range' }, ...RANGES.map(([d, l]) => h('option', { value: String(d) }, l)));
  sel.value = String(days);
  const body = h('div', { class: 'an-grid' });
  const clock = h('div', { class: 'section clock-offset' });
  replace(el, h('div', { class: 'page-head' }, h('h2', null, '📈 Activity'), h('span', { class: 'spacer' }), h('label', { class: 'an-filter' }, 'Range ', sel)), body, clock);
  const load = async () => {
    const my = ++seq;
    charts.destroy();
    charts = chartSet();
    clear(body).appendChild(h('p', { class: 'loading' }, 'Loading observer charts…'));
    let a;
    try { [a] = await Promise.all([api(`/observers/${encodeURIComponent(id)}/analytics${qs({ days })}`), charts.ready()]); } catch (e) {
      if (my === seq) clear(body).appendChild(failure(e, 'Charts for this observer', load));
      return;
    }
    if (my !== seq) return;
    clear(body);
    const add = (title, desc, label, cid, n, emptyMsg, build) => {
      if (!n) { body.appendChild(h('section', { class: 'an-card', id: cid }, h('h3', null, title), h('p', { class: 'an-desc' }, desc), empty(emptyMsg))); return; }
      const c = chartCard(title, desc, label, { id: cid });
      body.appendChild(c.el);
      charts.add(c.canvas, build);
    };
    const tl = a.timeline || []; const nt = a.nodesTimeline || []; const snr = a.snrDistribution || [];
    const types = Object.entries(a.packetTypes || {}).map(([t, n]) => ({ t: +t, n })).sort((x, y) => y.n - x.n);
    const bucket = days <= 1 ? 'hour' : days <= 7 ? '4 hours' : 'day';
    add('Packets Over Time', `Observations per ${bucket} (UTC).`, `Packets over time: ${tl.length} buckets`, 'obs-chart-packets', tl.length, 'No packets heard in this range.', (t) => ({
      type: 'bar', data: { labels: tl.map((b) => b.label), datasets: [{ label: 'Packets', data: tl.map((b) => b.count), backgroundColor: t.accent }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis(t, 'Time (UTC)'), y: axis(t, `Packets / ${bucket}`, { beginAtZero: true }) } },
    }));
    add('Packet Types', 'What this observer hears, by payload type.', `Packet types: ${types.map((x) => `${typeName(x.t)} ${x.n}`).join(', ')}`, 'obs-chart-types', types.length, 'No packets heard in this range.', (t) => ({
      type: 'doughnut', data: { labels: types.map((x) => typeName(x.t)), datasets: [{ data: types.map((x) => x.n), backgroundColor: types.map((x, i) => PALETTE[i % PALETTE.length]), borderColor: t.surface }] },
      options: { plugins: { legend: { display: true, position: 'right', labels: { color: t.text, boxWidth: 10 } } } },
    }));
    add('Unique Nodes Heard', `Distinct nodes (senders and path hops) per ${bucket}.`, `Unique nodes heard: ${nt.length} buckets`, 'obs-chart-nodes', nt.length, 'No nodes heard in this range.', (t) => ({
      type: 'line', data: { labels: nt.map((b) => b.label), datasets: [{ label: 'Nodes', data: nt.map((b) => b.count), borderColor: PALETTE[2], backgroundColor: PALETTE[2], pointRadius: 2, tension: 0.2 }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis(t, 'Time (UTC)'), y: axis(t, 'Nodes', { beginAtZero: true }) } },
    }));
    add('SNR Distribution', 'Signal-to-noise ratio of received packets in 2 dB buckets.', `SNR distribution: ${snr.length} buckets`, 'obs-chart-snr', snr.length, 'No packets with SNR in this range.', (t) => ({
      type: 'bar', data: { labels: snr.map((b) => b.range), datasets: [{ label: 'Packets', data: snr.map((b) => b.count), backgroundColor: PALETTE[0] }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis(t, 'SNR (dB)'), y: axis(t, 'Packets', { beginAtZero: true }) } },
    }));
  };
  sel.addEventListener('change', () => { days = +sel.value; if (opts.onRange) opts.onRange(days); load(); });
  load();
  clockSection(clock, id);
  return () => { seq++; charts.destroy(); };
}
