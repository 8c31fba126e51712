// Node analytics (#/nodes/{pk}/analytics, UI.md §8): six stat cards and eight charts from
// GET /api/nodes/{pk}/analytics?days=N and /battery?days=N; window buttons 24h / 7d / 30d / All
// (kept in the URL as ?days=). Charts are Chart.js canvases rebuilt on window and theme change.
import { h, clear, replace } from '../dom.js';
import { api, qs } from '../api.js';
import { setQuery } from '../router.js';
import { chartCard, chartSet, axis, loadChart } from '../chartjs.js';
import { PALETTE } from './analytics/charts.js';
import { failure, empty } from './analytics/common.js';
import { typeName, ROLE_LABELS, roleKey, absTime, num, fixed, parseTime } from '../format.js';

const WINDOWS = [[1, '24h'], [7, '7d'], [30, '30d'], [365, 'All']];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
let S = null;

/** dur renders milliseconds as "3h 51m" / "2d 4h". */
function dur(ms) {
  if (!ms && ms !== 0) return '—';
  const m = Math.round(ms / 60000);
  if (m < 60) return `${m}m`;
  const hh = Math.floor(m / 60);
  if (hh < 48) return `${hh}h ${m % 60}m`;
  return `${Math.floor(hh / 24)}d ${hh % 24}h`;
}

/** spanDays is the time span of epoch-ms values in days (picks the axis label format). */
const spanDays = (xs) => (xs.length ? (Math.max(...xs) - Math.min(...xs)) / 86400e3 : 0);

/** tlabel formats an epoch-ms x value for a time axis (UTC); days = span shown. */
function tlabel(ms, days) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return days <= 1 ? `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}` : `${d.toLocaleString('en', { month: 'short', timeZone: 'UTC' })} ${d.getUTCDate()}${days <= 7 ? ' ' + p(d.getUTCHours()) + 'h' : ''}`;
}

function statCard(k, v, d, cls) {
  return h('div', { class: 'na-stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v' + (cls ? ' ' + cls : '') }, v), h('div', { class: 'd' }, d));
}

const snrColor = (snr, t) => (snr === null || snr === undefined ? t.muted : snr > 5 ? t.good : snr > -5 ? t.warn : t.bad);

function heatmap(cells) {
  const grid = new Map();
  let max = 0;
  for (const c of cells) { grid.set(`${c.dayOfWeek}-${c.hour}`, c.count); max = Math.max(max, c.count); }
  const el = h('div', { class: 'heatmap', role: 'img', 'aria-label': `Uptime heatmap: packets by UTC weekday and hour, busiest cell ${max} packets` });
  el.appendChild(h('span', { class: 'hd' }));
  for (let hr = 0; hr < 24; hr++) el.appendChild(h('span', { class: 'hd hr' + (hr % 6 === 0 ? ' l' : ''), 'aria-hidden': 'true' }, String(hr)));
  for (let d = 0; d < 7; d++) {
    el.appendChild(h('span', { class: 'hd', 'aria-hidden': 'true' }, DAYS[d]));
    for (let hr = 0; hr < 24; hr++) {
      const n = grid.get(`${d}-${hr}`) || 0;
      el.appendChild(h('span', { class: 'c' + (n ? ' mark' : ''), title: `${DAYS[d]} ${hr}:00–${hr + 1}:00 UTC: ${n} packets`, style: n ? { background: `color-mix(in srgb, var(--accent) ${Math.round(20 + 80 * (n / max))}%, transparent)` } : null }));
    }
  }
  return el;
}

function draw(a, bat) {
  const cs = a.computedStats || {};
  const n = a.node || {};
  const days = S.days;
  clear(S.body);
  S.body.appendChild(h('p', { class: 'muted', id: 'na-subtitle' }, `${ROLE_LABELS[roleKey(n.role)] || n.role || 'node'} · ${num(cs.totalPackets)} packets in ${days === 365 ? 'all-time' : days + 'd'} window`));
  const grade = String(cs.signalGrade || '—');
  S.body.appendChild(h('div', { class: 'na-stats' },
    statCard('Availability', `${fixed(cs.availabilityPct)}%`, '% of hours in the window with at least one packet'),
    statCard('Signal Grade', grade, 'A–F from the average SNR across all observers', `grade grade-${grade[0]}`),
    statCard('Packets / Day', fixed(cs.avgPacketsPerDay), 'Average daily packet volume in this window'),
    statCard('Observers', num(cs.uniqueObservers), 'Distinct stations that heard this node'),
    statCard('Relay %', `${fixed(cs.relayPct)}%`, 'Packets forwarded through repeaters vs heard direct'),
    statCard('Longest Silence', dur(cs.longestSilenceMs), cs.longestSilenceStart ? `Longest gap, from ${absTime(cs.longestSilenceStart)}` : 'Longest gap between consecutive packets')));
  const grid = h('div', { class: 'an-grid' });
  S.body.appendChild(grid);
  const add = (title, desc, label, id, hasData, emptyMsg, build, opts = {}) => {
    if (!hasData) { grid.appendChild(h('section', { class: 'an-card' + (opts.full ? ' full' : ''), id }, h('h3', null, title), h('p', { class: 'an-desc' }, desc), empty(emptyMsg))); return; }
    const c = chartCard(title, desc, label, { id, full: opts.full, tall: opts.tall });
    grid.appendChild(c.el);
    S.charts.add(c.canvas, build);
  };
  const tl = a.activityTimeline || [];
  add('Activity Timeline', 'Packets per hour (UTC) — shows when this node is most active.', `Activity timeline: ${tl.length} hourly buckets, ${num(cs.totalPackets)} packets`, 'na-activity',
    tl.length, 'No packets from this node in this window.', (t) => ({
      type: 'bar',
      data: { labels: tl.map((b) => tlabel(parseTime(b.bucket), spanDays(tl.map((x) => parseTime(x.bucket))))), datasets: [{ label: 'Packets', data: tl.map((b) => b.count), backgroundColor: t.accent }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis(t, 'Time (UTC)'), y: axis(t, 'Packets / hour', { beginAtZero: true }) } },
    }), { full: true, tall: true });
  // SNR trend: one line per observer.
  const trend = a.snrTrend || [];
  const byObs = new Map();
  for (const p of trend) {
    if (p.snr === null || p.snr === undefined) continue;
    const k = p.observer_name || p.observer_id;
    if (!byObs.has(k)) byObs.set(k, []);
    byObs.get(k).push({ x: parseTime(p.timestamp), y: p.snr });
  }
  const obsSeries = [...byObs.entries()].slice(0, 8);
  add('SNR Trend', 'Signal-to-noise ratio over time, one line per observer — higher is better reception.', `SNR trend: ${trend.length} samples from ${byObs.size} observers`, 'na-snr',
    obsSeries.length, 'No SNR samples for this node in this window.', (t) => ({
      type: 'line',
      data: { datasets: obsSeries.map(([name, pts], i) => ({ label: name, data: pts, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 2, borderWidth: 1.5, tension: 0.2 })) },
      options: {
        plugins: { legend: { display: obsSeries.length > 1, labels: { color: t.text, boxWidth: 10 } } },
        scales: { x: axis(t, 'Time (UTC)', { type: 'linear', ticks: { callback: (v) => tlabel(v, spanDays(trend.map((x) => parseTime(x.timestamp)))) } }), y: axis(t, 'SNR (dB)') },
      },
    }));
  const types = a.packetTypeBreakdown || [];
  add('Packet Types', 'Breakdown of adverts, messages, requests and other packet types.', `Packet types: ${types.map((x) => `${typeName(x.payload_type)} ${x.count}`).join(', ')}`, 'na-types',
    types.length, 'No packets in this window.', (t) => ({
      type: 'doughnut',
      data: { labels: types.map((x) => typeName(x.payload_type)), datasets: [{ data: types.map((x) => x.count), backgroundColor: types.map((x, i) => PALETTE[i % PALETTE.length]), borderColor: t.surface }] },
      options: { plugins: { legend: { display: true, position: 'right', labels: { color: t.text, boxWidth: 10 } } } },
    }));
  const cov = a.observerCoverage || [];
  add('Observer Coverage', 'Packets heard per observer; colour = average SNR (green > 5 dB, amber > −5 dB, red below).', `Observer coverage: ${cov.length} observers`, 'na-coverage',
    cov.length, 'No observer heard this node in this window.', (t) => ({
      type: 'bar',
      data: { labels: cov.map((o) => String(o.observer_name || o.observer_id).slice(0, 18)), datasets: [{ label: 'Packets', data: cov.map((o) => o.packetCount), backgroundColor: cov.map((o) => snrColor(o.avgSnr, t)) }] },
      options: { indexAxis: cov.length > 6 ? 'y' : 'x', plugins: { legend: { display: false } }, scales: cov.length > 6 ? { x: axis(t, 'Packets', { beginAtZero: true }), y: axis(t, 'Observer') } : { x: axis(t, 'Observer'), y: axis(t, 'Packets', { beginAtZero: true }) } },
    }));
  const hops = a.hopDistribution || [];
  add('Hop Distribution', 'Packets by number of repeater hops (0 = heard directly).', `Hop distribution: ${hops.map((x) => `${x.hops} hops ${x.count}`).join(', ')}`, 'na-hops',
    hops.length, 'No packets in this window.', (t) => ({
      type: 'bar',
      data: { labels: hops.map((x) => String(x.hops)), datasets: [{ label: 'Packets', data: hops.map((x) => x.count), backgroundColor: t.accent }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis(t, 'Hops'), y: axis(t, 'Packets', { beginAtZero: true }) } },
    }));
  // Battery with threshold lines.
  const samples = (bat && bat.samples) || [];
  const th = (bat && bat.thresholds) || {};
  const st = (bat && bat.status) || 'unknown';
  const batTitle = h('span', null, 'Battery Voltage ', h('span', { class: `sev sev-${st}`, id: 'na-battery-status' }, st === 'unknown' ? 'no data' : st));
  if (!bat) {
    grid.appendChild(h('section', { class: 'an-card', id: 'na-battery' }, h('h3', null, 'Battery Voltage'), failure(S.batErr, 'Battery telemetry')));
  } else if (!samples.length) {
    grid.appendChild(h('section', { class: 'an-card', id: 'na-battery' }, h('h3', null, batTitle), h('p', { class: 'an-desc' }, 'Supply voltage reported in observer status messages.'),
      empty('No battery telemetry recorded for this node in this window (only nodes that are also observers report it).')));
  } else {
    const c = chartCard('Battery Voltage', `Supply voltage; dashed lines = low (${th.low_mv} mV) and critical (${th.critical_mv} mV) thresholds.`, `Battery voltage: ${samples.length} samples, latest ${bat.latest_mv} mV, status ${st}`, { id: 'na-battery' });
    c.el.querySelector('h3').replaceWith(h('h3', null, batTitle));
    grid.appendChild(c.el);
    const xs = samples.map((p) => parseTime(p.timestamp));
    const line = (v) => xs.length ? [{ x: Math.min(...xs), y: v }, { x: Math.max(...xs), y: v }] : [];
    S.charts.add(c.canvas, (t) => ({
      type: 'line',
      data: { datasets: [
        { label: 'Battery (mV)', data: samples.map((p, i) => ({ x: xs[i], y: p.battery_mv })), borderColor: t.good, backgroundColor: t.good, pointRadius: 1.5, borderWidth: 1.5 },
        { label: `Low (${th.low_mv} mV)`, data: line(th.low_mv), borderColor: t.warn, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
        { label: `Critical (${th.critical_mv} mV)`, data: line(th.critical_mv), borderColor: t.bad, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
      ] },
      options: { plugins: { legend: { display: true, labels: { color: t.text, boxWidth: 10 } } }, scales: { x: axis(t, 'Time (UTC)', { type: 'linear', ticks: { callback: (v) => tlabel(v, spanDays(xs)) } }), y: axis(t, 'Voltage (mV)') } },
    }));
  }
  const hm = a.uptimeHeatmap || [];
  grid.appendChild(h('section', { class: 'an-card full', id: 'na-heatmap' }, h('h3', null, 'Uptime Heatmap'),
    h('p', { class: 'an-desc' }, 'Packets by weekday and hour (UTC) — darker = more packets; hover a cell for the count.'),
    hm.length ? heatmap(hm) : empty('No packets in this window.')));
  const peers = a.peerInteractions || [];
  grid.appendChild(h('section', { class: 'an-card full', id: 'na-peers' }, h('h3', null, 'Peer Interactions'),
    h('p', { class: 'an-desc' }, 'Nodes this node exchanged direct messages with (top 20).'),
    peers.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl' }, h('caption', { class: 'sr-only' }, 'Peer interactions'),
      h('thead', null, h('tr', null, ...['Peer', 'Messages', 'Last Contact'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, ...peers.map((p) => h('tr', null, h('td', null, h('a', { href: `#/nodes/${encodeURIComponent(p.peer_key)}` }, String(p.peer_name || p.peer_key.slice(0, 8)))), h('td', null, num(p.messageCount)), h('td', null, absTime(p.lastContact)))))))
      : empty('No direct-message peers seen in this window.')));
}

async function load() {
  const pk = S.pk;
  S.charts.destroy();
  S.charts = chartSet();
  clear(S.body).appendChild(h('p', { class: 'loading' }, 'Loading node analytics…'));
  for (const b of S.wins.children) b.setAttribute('aria-pressed', +b.dataset.days === S.days ? 'true' : 'false');
  let a; let bat = null;
  try {
    const q = qs({ days: S.days });
    [a, bat] = await Promise.all([
      api(`/nodes/${encodeURIComponent(pk)}/analytics${q}`),
      api(`/nodes/${encodeURIComponent(pk)}/battery${q}`).catch((e) => { if (S) S.batErr = e; return null; }),
      S.charts.ready(),
    ]);
  } catch (e) {
    if (!S) return;
    clear(S.body).appendChild(failure(e, 'Analytics for this node', load));
    return;
  }
  if (!S || S.pk !== pk) return;
  const n = a.node || {};
  const name = n.name || String(pk).slice(0, 8);
  S.title.textContent = `📊 ${name} — Analytics`;
  replace(S.back, h('a', { href: `#/nodes/${encodeURIComponent(n.public_key || pk)}` }, `← Back to ${name}`));
  draw(a, bat);
}

export function mount(el, p) {
  S = { pk: p.param, days: [1, 7, 30, 365].includes(+p.query.get('days')) ? +p.query.get('days') : 7, charts: chartSet(), batErr: null };
  S.back = h('p', null, h('a', { href: `#/nodes/${encodeURIComponent(p.param)}` }, '← Back to node'));
  S.title = h('h1', null, '📊 Node Analytics');
  S.wins = h('div', { class: 'na-windows', role: 'group', 'aria-label': 'Time window' }, ...WINDOWS.map(([d, l]) => h('button', {
    type: 'button', class: 'btn', dataset: { days: String(d) }, 'aria-pressed': d === S.days ? 'true' : 'false',
    onclick: () => { if (S.days === d) return; S.days = d; setQuery({ days: d === 7 ? '' : d }); load(); },
  }, l)));
  S.body = h('div');
  el.appendChild(h('section', { class: 'page na-page' }, S.back, S.title, S.wins, S.body));
  loadChart().catch(() => { /* load() reports it */ });
  return load();
}

export function unmount() {
  if (!S) return;
  S.charts.destroy();
  S = null;
}
