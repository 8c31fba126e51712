// Hash Stats tab (/api/analytics/hash-sizes): 1/2/3-byte path hash distribution by packets and
// by repeaters, hash size over time, top path hops, multi-byte adopters and capability summary.
import { h, clear } from '../../dom.js';
import { get, card, grid, empty, sortTable, nodeLink, hourMs, num } from './common.js';
import { bars, line, legend, PALETTE } from './charts.js';
import { ago, absTime, ROLE_LABELS, roleKey } from '../../format.js';

const SIZES = ['1', '2', '3'];

export async function render(ctx) {
  let d;
  try { d = await get('/analytics/hash-sizes', ctx.q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Hash size statistics')); return; }
  const W2 = ctx.width('half');
  const dist = d.distribution || {};
  const byRep = d.distributionByRepeaters || {};
  const hourly = d.hourly || [];
  const series = SIZES.map((sz, i) => ({ name: `${sz}-byte`, color: PALETTE[i], points: hourly.map((p) => [hourMs(p.hour), p[sz] || 0]) }));
  const total = d.total || 0;
  const pct = (n) => (total ? ` (${((n / total) * 100).toFixed(1)}%)` : '');
  ctx.el.appendChild(grid(
    card('#️⃣ Hash Size Distribution', `Path hash size of ${num(total)} transmissions (from the path-length byte).`,
      total ? bars({ data: SIZES.map((sz, i) => ({ label: `${sz}-byte`, value: dist[sz] || 0, color: PALETTE[i], tip: `${sz}-byte: ${num(dist[sz] || 0)}${pct(dist[sz] || 0)}` })), width: W2, xLabel: 'Hash size', yLabel: 'Transmissions', label: 'Hash size distribution by packets, 3 bars' })
        : empty('No packets with a path in the data.'), { id: 'hs-dist', chart: 'hash-size-packets' }),
    card('📡 By Repeaters', 'How many repeaters use each hash size.',
      SIZES.some((sz) => byRep[sz]) ? bars({ data: SIZES.map((sz, i) => ({ label: `${sz}-byte`, value: byRep[sz] || 0, color: PALETTE[i] })), width: W2, xLabel: 'Hash size', yLabel: 'Repeaters', label: 'Hash size distribution by repeaters, 3 bars' })
        : empty('No repeater hash sizes known yet.'), { id: 'hs-rep', chart: 'hash-size-repeaters' }),
    card('📈 Hash Size Over Time', 'Transmissions per hour by path hash size (UTC).',
      hourly.length ? [line({ series, width: ctx.width('full'), time: true, xLabel: 'Time (UTC)', yLabel: 'Transmissions / hour', label: `Hash size over time, ${hourly.length} hours, 3 series` }), legend(series)]
        : empty('No hourly data.'), { id: 'hs-time', chart: 'hash-size-time', full: true })));
  ctx.el.appendChild(card('🔝 Top Path Hops', 'Hop prefixes that appear most often in paths, with the node they resolve to.',
    (d.topHops || []).length ? sortTable([
      { key: 'hex', label: 'Hop', fmt: (r) => h('span', { class: 'mono' }, String(r.hex)) },
      { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name || '(unknown)', r.pubkey) },
      { key: 'size', label: 'Bytes', num: true },
      { key: 'count', label: 'Appearances', num: true },
    ], d.topHops, { caption: 'Top path hops', sort: 'count', id: 'hs-tophops' }) : empty('No path hops.'), { id: 'hs-hops' }));
  const filt = h('input', { type: 'search', placeholder: 'Filter by name…', 'aria-label': 'Filter multi-byte adopters' });
  const box = h('div');
  const mb = d.multiByteNodes || [];
  const drawMB = () => {
    const f = filt.value.trim().toLowerCase();
    const rows = mb.filter((r) => !f || String(r.name || '').toLowerCase().includes(f));
    clear(box).appendChild(rows.length ? sortTable([
      { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name, r.pubkey) },
      { key: 'role', label: 'Role', fmt: (r) => h('span', { class: `role-badge role-${roleKey(r.role)}` }, ROLE_LABELS[roleKey(r.role)] || String(r.role || '?')) },
      { key: 'hashSize', label: 'Hash Size', num: true },
      { key: 'packets', label: 'Adverts', num: true },
      { key: 'lastSeen', label: 'Last Seen', fmt: (r) => h('span', { title: absTime(r.lastSeen) }, ago(r.lastSeen)) },
    ], rows, { caption: 'Multi-byte hash adopters', sort: 'packets', id: 'hs-multibyte' }) : empty(mb.length ? 'No adopter matches the filter.' : 'No node uses 2- or 3-byte path hashes yet.'));
  };
  filt.addEventListener('input', drawMB);
  drawMB();
  const cap = d.multiByteCapability || [];
  const cnt = { confirmed: 0, suspected: 0, unknown: 0 };
  for (const c of cap) cnt[c.status] = (cnt[c.status] || 0) + 1;
  ctx.el.appendChild(card('🧬 Multi-Byte Hash Adopters', 'Nodes that advertise or relay with 2- or 3-byte path hashes.',
    [cap.length ? h('p', { class: 'an-note' }, `Multi-byte capability of ${cap.length} repeaters: ${cnt.confirmed} confirmed (advert), ${cnt.suspected} suspected (path), ${cnt.unknown} unknown.`) : null,
      h('div', { class: 'an-toolbar' }, filt), box], { id: 'hs-adopters' }));
}
