// Packet trace viewer (#/tools/trace/{hash}, UI.md §11): every observation of one transmission
// (GET /api/traces/{hash}) with the packet itself (GET /api/packets?hash=&limit=50). Shows the
// stats (observers, observations, time spread, type), a path graph (origin → one column per hop
// → observers as leaves, inline SVG) and the propagation timeline (arrival offset per observer
// with SNR/RSSI, inline SVG plus the same rows as a table).
import { h, clear, debounce } from '../dom.js';
import * as live from '../live.js';
import { api, qs } from '../api.js';
import { navigate } from '../router.js';
import { card, stat, empty, failure, stats, sortTable } from './analytics/common.js';
import { loadNodes, resolveHop } from '../hops.js';
import { parseJSON, typeName, typeClass, absTime, fixed, num } from '../format.js';

let S = null;
const HASH_RE = /^[0-9a-f]{16}$/i;

const obsKey = (t) => t.observer || t.observer_name || '?';
const obsName = (t) => t.observer_name || t.observer || 'unknown observer';
const hopsOf = (t) => { const p = parseJSON(t.path_json, []); return Array.isArray(p) ? p.map(String) : []; };

function hopLabel(hop) {
  const r = resolveHop(hop);
  return r.name ? `${r.name}${r.ambiguous ? ' ⚠' : ''}` : hop;
}

/**
 * pathGraph lays out origin (column 0), the hops by position (column i) and every observer in
 * the last column; an edge joins consecutive elements of each observation's chain. Nodes shared
 * by several observations (same hop at the same position) are drawn once.
 */
function pathGraph(traces, originLabel) {
  const chains = traces.map((t) => ({ hops: hopsOf(t), obs: obsKey(t), name: obsName(t) }));
  const depth = Math.max(0, ...chains.map((c) => c.hops.length));
  const cols = Array.from({ length: depth + 2 }, () => new Map());
  cols[0].set('origin', { label: originLabel, kind: 'origin' });
  const edges = new Map();
  for (const c of chains) {
    let prev = '0:origin';
    c.hops.forEach((hop, i) => {
      const k = hop.toLowerCase();
      if (!cols[i + 1].has(k)) cols[i + 1].set(k, { label: hopLabel(hop), kind: 'hop', hop });
      const id = `${i + 1}:${k}`;
      edges.set(prev + '>' + id, [prev, id]);
      prev = id;
    });
    const last = depth + 1;
    if (!cols[last].has(c.obs)) cols[last].set(c.obs, { label: c.name, kind: 'obs' });
    edges.set(prev + '>' + `${last}:${c.obs}`, [prev, `${last}:${c.obs}`]);
  }
  const colW = 170; const rowH = 34; const padY = 24;
  const rows = Math.max(...cols.map((m) => m.size));
  const W = cols.length * colW; const H = rows * rowH + padY * 2;
  const pos = new Map();
  cols.forEach((m, ci) => {
    const off = (rows - m.size) * rowH / 2;
    [...m.keys()].forEach((k, ri) => pos.set(`${ci}:${k}`, { x: ci * colW + 12, y: padY + off + ri * rowH + rowH / 2 }));
  });
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'tr-graph', role: 'img',
    'aria-label': `Path graph: origin, ${depth} hop column(s), ${cols[depth + 1].size} observer(s)` });
  svg.appendChild(h('svg:title', null, 'Path graph: how the packet travelled from its origin through each hop to the observers'));
  for (const [a, b] of edges.values()) {
    const p = pos.get(a); const q = pos.get(b);
    svg.appendChild(h('svg:path', { class: 'tr-edge', d: `M${p.x + 8} ${p.y} C${p.x + colW / 2} ${p.y} ${q.x - colW / 2} ${q.y} ${q.x - 8} ${q.y}` }));
  }
  cols.forEach((m, ci) => {
    for (const [k, n] of m) {
      const p = pos.get(`${ci}:${k}`);
      const label = n.label.length > 18 ? n.label.slice(0, 17) + '…' : n.label;
      svg.appendChild(h('svg:g', { class: `tr-node tr-${n.kind}` },
        h('svg:title', null, n.kind === 'hop' ? `hop ${n.hop}: ${n.label}` : n.label),
        n.kind === 'obs' ? h('svg:rect', { x: p.x - 7, y: p.y - 7, width: 14, height: 14, rx: 3 }) : h('svg:circle', { cx: p.x, cy: p.y, r: 7 }),
        h('svg:text', { x: p.x + 12, y: p.y + 4 }, label)));
    }
  });
  return h('div', { class: 'scroll-x tr-graph-wrap' }, svg);
}

/** timeline plots each observation's arrival offset (seconds after the first) on one row. */
function timeline(traces) {
  const t0 = Date.parse(traces[0].time);
  const rows = traces.map((t) => ({ ...t, off: (Date.parse(t.time) - t0) / 1000, name: obsName(t), hops: hopsOf(t).length }));
  const spread = Math.max(...rows.map((r) => r.off), 0);
  const labelW = 150; const plotW = 460; const rowH = 22; const top = 10; const bottom = 34;
  const W = labelW + plotW + 20; const H = top + rows.length * rowH + bottom;
  const x = (s) => labelW + (spread > 0 ? (s / spread) * plotW : 0);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'tr-timeline', role: 'img', preserveAspectRatio: 'xMinYMin meet',
    'aria-label': `Propagation timeline: ${rows.length} observations over ${fixed(spread, 3)} seconds` });
  svg.appendChild(h('svg:title', null, 'Propagation timeline: arrival time of each observation, in seconds after the first'));
  for (let i = 0; i <= 4; i++) {
    const s = (spread * i) / 4; const gx = x(s);
    svg.append(h('svg:line', { class: 'tr-grid', x1: gx, x2: gx, y1: top, y2: H - bottom + 4 }),
      h('svg:text', { class: 'tr-tick', x: gx, y: H - bottom + 16, 'text-anchor': 'middle' }, `${fixed(s, spread < 1 ? 3 : 1)}`));
  }
  svg.appendChild(h('svg:text', { class: 'tr-tick', x: labelW + plotW / 2, y: H - 4, 'text-anchor': 'middle' }, 'seconds after the first observation'));
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    svg.appendChild(h('svg:g', { class: 'tr-row' },
      h('svg:title', null, `${r.name}: +${fixed(r.off, 3)} s, SNR ${r.snr ?? '—'} dB, RSSI ${r.rssi ?? '—'} dBm, ${r.hops} hop(s)`),
      h('svg:text', { class: 'tr-label', x: labelW - 8, y: y + 4, 'text-anchor': 'end' }, r.name.length > 20 ? r.name.slice(0, 19) + '…' : r.name),
      h('svg:line', { class: 'tr-bar', x1: labelW, x2: x(r.off), y1: y, y2: y }),
      h('svg:circle', { class: 'tr-dot', cx: x(r.off), cy: y, r: 5 })));
  });
  const table = sortTable([
    { key: 'name', label: 'Observer' },
    { key: 'off', label: 'Offset', num: true, fmt: (r) => `+${fixed(r.off, 3)} s` },
    { key: 'snr', label: 'SNR (dB)', num: true, dp: 1 },
    { key: 'rssi', label: 'RSSI (dBm)', num: true, dp: 0 },
    { key: 'hops', label: 'Hops', num: true },
    { key: 'time', label: 'Time', fmt: (r) => absTime(r.time) },
  ], rows, { caption: 'Observations by arrival', sort: 'off', dir: 'asc', id: 'trace-table' });
  return h('div', null, h('div', { class: 'tr-timeline-wrap' }, svg), table);
}

function withId(el, id, n) {
  el.id = id;
  el.dataset.n = String(n);
  return el;
}

/** load fetches and draws the trace; quiet (a live refresh) keeps the old view until it is ready. */
async function load(hash, quiet) {
  if (!quiet) clear(S.out).appendChild(h('p', { class: 'loading' }, `Loading the trace of ${hash}…`));
  let tr; let pk;
  try {
    [tr, pk] = await Promise.all([api(`/traces/${encodeURIComponent(hash)}`), api('/packets' + qs({ hash, limit: 50 })), loadNodes().catch(() => null)]);
  } catch (e) { if (S && !quiet) clear(S.out).appendChild(failure(e, 'The trace', () => load(hash))); return; }
  if (!S) return;
  S.loads++;
  S.out.dataset.loads = String(S.loads);
  const traces = ((tr && tr.traces) || []).filter((t) => t.time).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const pkt = pk && pk.packets && pk.packets[0];
  if (!traces.length) {
    clear(S.out).appendChild(empty(`No observations of ${hash}: the hash is unknown, or its packet was pruned by retention.`));
    return;
  }
  const observers = new Set(traces.map(obsKey));
  const spread = (Date.parse(traces[traces.length - 1].time) - Date.parse(traces[0].time)) / 1000;
  const dec = pkt ? parseJSON(pkt.decoded_json, {}) || {} : {};
  const sender = dec.pubKey ? resolveHop(dec.pubKey, dec.pubKey).name : (dec.sender || null);
  const origin = sender || (pkt ? `origin (${typeName(pkt.payload_type)})` : 'origin');
  clear(S.out).append(
    stats(
      withId(stat('Observers', num(observers.size), 'distinct receivers'), 'trace-observers', observers.size),
      withId(stat('Observations', num(traces.length), 'receptions in total'), 'trace-observations', traces.length),
      withId(stat('Time Spread', `${fixed(spread, 3)} s`, 'first to last arrival'), 'trace-spread', spread),
      stat('Packet Type', pkt ? h('span', { class: 'badge t-' + typeClass(pkt.payload_type) }, typeName(pkt.payload_type)) : '—',
        pkt ? h('a', { href: `#/packets/${encodeURIComponent(hash)}` }, 'open packet') : 'packet not in memory')),
    h('p', { class: 'muted' }, 'Updates live while observers keep reporting this packet.'),
    card('Path Graph', 'Origin on the left, one column per hop position (names resolved from hash prefixes; ⚠ = ambiguous), observers (squares) on the right.', pathGraph(traces, origin), { id: 'trace-graph' }),
    card('Propagation Timeline', 'When each observer heard the packet, relative to the first reception.', timeline(traces), { id: 'trace-timeline' }));
}

export async function mount(el, p) {
  S = { loads: 0 };
  const hash = (p.parts[1] || '').trim();
  S.input = h('input', { type: 'text', id: 'trace-hash', placeholder: '16-hex-digit packet hash', 'aria-label': 'Packet hash', value: hash, spellcheck: 'false', autocomplete: 'off' });
  S.msg = h('p', { class: 'perf-msg', role: 'status', id: 'trace-msg' });
  S.out = h('div', { 'aria-live': 'polite', id: 'trace-out' });
  const go = (e) => {
    e.preventDefault();
    const v = S.input.value.trim().toLowerCase();
    if (!HASH_RE.test(v)) { S.msg.textContent = 'A packet hash is 16 hexadecimal digits (0-9, a-f).'; S.input.focus(); return; }
    navigate(`#/tools/trace/${v}`);
  };
  el.appendChild(h('section', { class: 'page tools-page' },
    h('p', null, h('a', { href: '#/tools' }, '← Tools')),
    h('h1', null, '🔍 Packet Trace'),
    h('form', { class: 'tools-form', onsubmit: go }, S.input, h('button', { type: 'submit', class: 'btn', id: 'trace-go' }, 'Trace')),
    S.msg, S.out));
  if (!hash) { S.out.appendChild(empty('Enter a packet hash to see every observer that heard it, the path it took and when each copy arrived.')); return; }
  if (!HASH_RE.test(hash)) { S.msg.textContent = `“${hash}” is not a packet hash: a hash is 16 hexadecimal digits.`; return; }
  const hh = hash.toLowerCase();
  // New observations of this packet arrive over the WebSocket: redraw (debounced) when one does.
  const again = debounce(() => { if (S) load(hh, true); }, 400);
  S.unsub = live.subscribe((batch) => { if (batch.some((m) => m && String(m.hash || '').toLowerCase() === hh)) again(); });
  await load(hh);
}

export function unmount() {
  if (S && S.unsub) S.unsub();
  S = null;
}
