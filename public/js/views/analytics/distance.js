// Distance tab (/api/analytics/distance): per link type statistics, hop distance histogram,
// average distance over time, the longest hops and the longest multi-hop paths.
import { h, store } from '../../dom.js';
import { get, card, grid, stats, stat, empty, sortTable, nodeLink, hourMs, num, fixed } from './common.js';
import { histogram, line } from './charts.js';

/** unit honours the user's distance unit (LS meshcore-distance-unit: auto|km|mi; auto = km). */
function unit() { return store.get('meshcore-distance-unit', 'auto') === 'mi' ? 'mi' : 'km'; }
const conv = (km) => (unit() === 'mi' ? km * 0.621371 : km);

export async function render(ctx) {
  const q = { region: ctx.q.region, area: ctx.q.area };
  let d;
  try { d = await get('/analytics/distance', q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Distance analysis')); return; }
  const u = unit();
  const f = (v) => (v === null || v === undefined ? '—' : `${fixed(conv(v))} ${u}`);
  const s = d.summary || {};
  ctx.el.appendChild(stats(
    stat('Hops measured', num(s.totalHops), 'between GPS-known nodes'),
    stat('Paths', num(s.totalPaths)),
    stat('Avg hop', f(s.avgDist)),
    stat('Longest hop', f(s.maxDist))));
  const cats = Object.entries(d.catStats || {});
  ctx.el.appendChild(card('📏 Distance by Link Type', 'R = repeater, C = companion; distances between the resolved nodes of a hop.',
    cats.length ? sortTable([
      { key: 'type', label: 'Link' }, { key: 'count', label: 'Count', num: true },
      { key: 'avg', label: `Avg (${u})`, num: true, fmt: (r) => fixed(conv(r.avg)) },
      { key: 'median', label: `Median (${u})`, num: true, fmt: (r) => fixed(conv(r.median)) },
      { key: 'min', label: `Min (${u})`, num: true, fmt: (r) => fixed(conv(r.min)) },
      { key: 'max', label: `Max (${u})`, num: true, fmt: (r) => fixed(conv(r.max)) },
    ], cats.map(([type, v]) => ({ type, ...v })), { caption: 'Distance by link type', sort: 'count', id: 'dist-cats' }) : empty('No hop between two nodes with GPS yet.'), { id: 'dist-types' }));
  const hist = Array.isArray(d.distHistogram) ? { bins: [] } : d.distHistogram || { bins: [] };
  const ot = d.distOverTime || [];
  ctx.el.appendChild(grid(
    card('📊 Hop Distance Distribution', `How far single hops reach (${u === 'mi' ? 'bins in km, converted in the tooltip' : 'km'}).`,
      hist.bins.length ? histogram(hist, { width: ctx.width('half'), xLabel: 'Hop distance (km)', yLabel: 'Hops', unit: 'km', label: `Hop distance histogram, ${hist.bins.length} bins` }) : empty('No measured hops.'),
      { id: 'dist-hist', chart: 'distance-histogram' }),
    card('📈 Average Distance Over Time', 'Hourly average hop distance (UTC).',
      ot.length ? line({ series: [{ name: `Avg hop (${u})`, points: ot.map((p) => [hourMs(p.hour), +conv(p.avg).toFixed(2)]) }], width: ctx.width('half'), time: true, xLabel: 'Time (UTC)', yLabel: `Avg distance (${u})`, label: `Average distance over time, ${ot.length} hours` })
        : empty('No measured hops.'), { id: 'dist-time', chart: 'distance-time' })));
  ctx.el.appendChild(card('🏆 Top 20 Longest Hops', 'One row per node pair; SNR is the observers’ receive SNR for packets over that hop.',
    (d.topHops || []).length ? sortTable([
      { key: 'fromName', label: 'From', fmt: (r) => nodeLink(r.fromName, r.fromPk) },
      { key: 'toName', label: 'To', fmt: (r) => nodeLink(r.toName, r.toPk) },
      { key: 'dist', label: `Distance (${u})`, num: true, fmt: (r) => fixed(conv(r.dist)) },
      { key: 'type', label: 'Type' }, { key: 'obsCount', label: 'Obs', num: true },
      { key: 'bestSnr', label: 'Best SNR', num: true, dp: 1 }, { key: 'medianSnr', label: 'Median SNR', num: true, dp: 1 },
      { key: 'hash', label: 'Packet', sortable: false, fmt: (r) => (r.hash ? h('a', { href: `#/packets/${encodeURIComponent(r.hash)}` }, String(r.hash).slice(0, 8)) : '—') },
      { key: 'map', label: 'Map', sortable: false, fmt: (r) => (r.fromPk ? h('a', { href: `#/map?node=${encodeURIComponent(r.fromPk)}` }, '🗺️') : '—') },
    ], d.topHops, { caption: 'Longest hops', sort: 'dist', id: 'dist-tophops' }) : empty('No measured hops.'), { id: 'dist-top' }));
  ctx.el.appendChild(card('🛤️ Top 10 Longest Multi-Hop Paths', 'Sum of hop distances along one packet’s path.',
    (d.topPaths || []).length ? sortTable([
      { key: 'totalDist', label: `Total (${u})`, num: true, fmt: (r) => fixed(conv(r.totalDist)) },
      { key: 'hopCount', label: 'Hops', num: true },
      { key: 'route', label: 'Route', sortable: false, fmt: (r) => (r.hops || []).map((x, i) => (i ? '' : x.fromName + ' → ') + x.toName).join(' → ') },
      { key: 'hash', label: 'Packet', sortable: false, fmt: (r) => h('a', { href: `#/packets/${encodeURIComponent(r.hash)}` }, String(r.hash).slice(0, 8)) },
    ], d.topPaths, { caption: 'Longest multi-hop paths', sort: 'totalDist', limit: 10, id: 'dist-toppaths' }) : empty('No multi-hop path between GPS-known nodes.'), { id: 'dist-paths' }));
}
