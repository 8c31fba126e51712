// Topology tab (/api/analytics/topology): hop counts, top repeaters, most frequent adjacent
// repeater pairs, hops vs SNR, best path per node, per-observer reachability rings and nodes
// seen by several observers.
import { h, clear, replace } from '../../dom.js';
import { get, card, grid, empty, sortTable, nodeLink, num, fixed } from './common.js';
import { bars, hbars, scatter } from './charts.js';

function pairName(name, hop) { return name ? `${name} (${hop})` : String(hop); }

function reach(topo) {
  const obs = topo.observers || [];
  const per = topo.perObserverReach || {};
  const ids = obs.map((o) => o.id).filter((id) => per[id]);
  if (!ids.length) return empty('No observer reachability data in this window.');
  const sel = h('select', { 'aria-label': 'Observer' }, ...ids.map((id) => h('option', { value: id }, String((per[id] && per[id].observer_name) || id))));
  const out = h('div');
  const draw = () => {
    const r = per[sel.value] || { rings: [] };
    replace(out, ...(r.rings || []).map((ring) => h('div', { class: 'an-path' },
      h('strong', null, `${ring.hops} hop${ring.hops === 1 ? '' : 's'}: `),
      `${ring.nodes.length} node${ring.nodes.length === 1 ? '' : 's'} — `,
      ...ring.nodes.slice(0, 12).flatMap((n, i) => [i ? ', ' : '', nodeLink(n.name || n.hop, n.pubkey)]),
      ring.nodes.length > 12 ? ` … and ${ring.nodes.length - 12} more` : '')));
    if (!(r.rings || []).length) out.appendChild(empty('This observer has no relayed packets in this window.'));
  };
  sel.addEventListener('change', draw);
  draw();
  return h('div', null, h('label', { class: 'an-filter' }, 'Observer ', sel), out);
}

export async function render(ctx) {
  let t;
  try { t = await get('/analytics/topology', ctx.q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Topology data')); return; }
  const W2 = ctx.width('half');
  const hops = t.hopDistribution || [];
  const reps = t.topRepeaters || [];
  const pairs = t.topPairs || [];
  const hvs = t.hopsVsSnr || [];
  ctx.el.appendChild(h('p', { class: 'an-note' }, `Average ${fixed(t.avgHops)} hops, median ${num(t.medianHops)}, longest ${num(t.maxHops)}; ${num(t.uniqueNodes)} nodes active in the last 7 days.`));
  const maxC = Math.max(1, ...hvs.map((d) => d.count));
  ctx.el.appendChild(grid(
    card('🔗 Hop Count Distribution', 'Packets by number of repeater hops in their path.',
      hops.length ? bars({ data: hops.map((d) => ({ label: String(d.hops), value: d.count })), width: W2, xLabel: 'Hops', yLabel: 'Packets', label: `Hop count distribution, ${hops.length} bars` })
        : empty('No relayed packets in this window.'), { id: 'topo-hops', chart: 'hop-distribution' }),
    card('📡 Top Repeaters', 'Repeaters that relayed the most packets (by path hop prefix).',
      reps.length ? hbars(reps.map((r) => ({ label: pairName(r.name, r.hop), value: r.count, text: num(r.count) })), { label: 'Top repeaters by relayed packets' })
        : empty('No repeater hops seen in this window.'), { id: 'topo-repeaters', chart: 'top-repeaters' }),
    card('🔥 Repeater Pair Heatmap', 'Most frequent adjacent repeater pairs in paths — the mesh backbone links.',
      pairs.length ? hbars(pairs.map((p) => ({ label: `${pairName(p.nameA, p.hopA)} → ${pairName(p.nameB, p.hopB)}`, value: p.count, text: num(p.count), color: `hsl(${20 + (1 - p.count / pairs[0].count) * 180} 70% 50%)`, swatch: false })), { label: 'Most frequent adjacent repeater pairs' })
        : empty('No multi-hop paths in this window.'), { id: 'topo-pairs', chart: 'repeater-pairs' }),
    card('🫧 Hops vs SNR', 'Average SNR at the observer by hop count; bubble size = number of packets.',
      hvs.length ? scatter({
        points: hvs.map((d) => ({ x: d.hops, y: +fixed(d.avgSnr, 2), r: 3 + 9 * Math.sqrt(d.count / maxC), tip: `${d.hops} hops: avg SNR ${fixed(d.avgSnr)} dB over ${d.count} packets` })),
        width: W2, xLabel: 'Hops', yLabel: 'Avg SNR (dB)', label: `Hops versus SNR, ${hvs.length} bubbles`,
      }) : empty('No relayed packets with SNR in this window.'), { id: 'topo-hvs', chart: 'hops-vs-snr' })));
  ctx.el.appendChild(card('🛤️ Best Path to Each Node', 'Shortest hop distance at which any observer heard each repeater.',
    (t.bestPathList || []).length ? sortTable([
      { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name || r.hop, r.pubkey) },
      { key: 'hop', label: 'Prefix', fmt: (r) => h('span', { class: 'mono' }, String(r.hop)) },
      { key: 'minDist', label: 'Min hops', num: true },
      { key: 'observer_name', label: 'Via observer', fmt: (r) => h('a', { href: `#/observers/${encodeURIComponent(r.observer_id)}` }, String(r.observer_name || r.observer_id)) },
    ], t.bestPathList, { caption: 'Best path to each node', sort: 'minDist', dir: 'asc', id: 'topo-best' }) : empty('No paths in this window.'), { id: 'topo-best-card' }));
  ctx.el.appendChild(card('🎯 Per-Observer Reachability', 'Nodes reachable from one observer at each hop count.', reach(t), { id: 'topo-reach' }));
  ctx.el.appendChild(card('🔭 Cross-Observer Comparison', 'Repeaters heard by several observers, and the fewest hops each observer needed.',
    (t.multiObsNodes || []).length ? sortTable([
      { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name || r.hop, r.pubkey) },
      { key: 'n', label: 'Observers', num: true, sortVal: (r) => r.observers.length, fmt: (r) => String(r.observers.length) },
      { key: 'obs', label: 'Min hops per observer', sortable: false, fmt: (r) => r.observers.slice(0, 6).map((o) => `${o.observer_name || o.observer_id}: ${o.minDist}`).join(' · ') + (r.observers.length > 6 ? ' …' : '') },
    ], t.multiObsNodes, { caption: 'Nodes seen by several observers', sort: 'n' }) : empty('No node was heard by two or more observers in this window.'), { id: 'topo-multi' }));
}
