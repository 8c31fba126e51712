// Route Patterns tab: the most common sub-paths (pairs, triples, quads, 5+ hops) from
// /api/analytics/subpaths-bulk; a row opens a detail panel (/api/analytics/subpath-detail) with
// hop distances, a mini map of the route, observer signal, activity by hour and parent paths.
import { h, clear, trapFocus, slideOver, replace } from '../../dom.js';
import { get, card, empty, num, fixed } from './common.js';
import { bars } from './charts.js';
import { createMap, roleIcon, bindTip } from '../../mapbase.js';
import { absTime, hasGPS } from '../../format.js';

const GROUPS = [['pairs', 'Pairs (2-hop links)', 'Pairs'], ['triples', 'Triples (3 hops)', 'Triples'], ['quads', 'Quads (4 hops)', 'Quads'], ['five', '5–8 hops', '5+ hops']];
const SPEC = '2-2:50,3-3:30,4-4:20,5-8:15';

/** km is the great-circle distance between two points. */
export function km(a, b) {
  const R = 6371; const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad; const dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(x));
}

const selfLoop = (sp) => sp.rawHops.some((x, i) => i && x.toLowerCase() === sp.rawHops[i - 1].toLowerCase());

export async function render(ctx) {
  const q = { groups: SPEC };
  if (ctx.q.region) q.region = ctx.q.region;
  let d;
  try { d = await get('/analytics/subpaths-bulk', q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Route patterns')); return; }
  if (d && d.error) { ctx.el.appendChild(ctx.failure(new Error(d.error), 'Route patterns')); return; }
  const results = d.results || [];
  let mapObj = null; let release = null;
  const detail = h('aside', { class: 'an-detail', hidden: true, tabindex: '-1', 'aria-label': 'Route detail' });
  const list = h('div');
  const split = h('div', { class: 'an-split no-detail' }, list, detail);
  const hide = h('input', { type: 'checkbox', checked: true, id: 'sp-hide-loops' });
  const closeDetail = () => {
    detail.hidden = true; split.classList.add('no-detail');
    if (mapObj) { mapObj.destroy(); mapObj = null; }
    if (release) { release(); release = null; }
    for (const tr of list.querySelectorAll('tr.selected')) tr.classList.remove('selected');
  };
  const onKey = (e) => { if (e.key === 'Escape' && !detail.hidden) { e.preventDefault(); closeDetail(); } };
  document.addEventListener('keydown', onKey);

  const openDetail = async (sp, tr) => {
    for (const x of list.querySelectorAll('tr.selected')) x.classList.remove('selected');
    tr.classList.add('selected');
    if (mapObj) { mapObj.destroy(); mapObj = null; }
    detail.hidden = false; split.classList.remove('no-detail');
    clear(detail).appendChild(h('p', { class: 'loading' }, 'Loading route detail…'));
    if (!release) release = trapFocus(detail, slideOver);
    let r;
    try { r = await get('/analytics/subpath-detail', { hops: sp.rawHops.join(',') }); } catch (e) { clear(detail).appendChild(ctx.failure(e, 'Route detail')); return; }
    if (!ctx.alive() || detail.hidden) return;
    if (r.error) { clear(detail).appendChild(ctx.failure(new Error(r.error), 'Route detail')); return; }
    drawDetail(sp, r);
  };

  const drawDetail = (sp, r) => {
    const nodes = r.nodes || [];
    const named = nodes.map((n) => n.name || n.hop).join(' → ');
    const dist = [];
    for (let i = 1; i < nodes.length; i++) {
      const a = nodes[i - 1]; const b = nodes[i];
      dist.push(h('li', null, hasGPS(a) && hasGPS(b) ? h('strong', null, `${fixed(km(a, b))} km `) : h('span', { class: 'muted' }, '? km '), `${a.name || a.hop} → ${b.name || b.hop}`));
    }
    const mapBox = nodes.filter(hasGPS).length >= 1 && window.L ? h('div', { class: 'an-minimap', role: 'img', 'aria-label': `Map of route ${named}` }) : null;
    const sig = r.signal || {};
    replace(detail, 
      h('div', { class: 'detail-head' }, h('h2', { id: 'sp-detail-title' }, named), h('button', { type: 'button', class: 'btn', 'aria-label': 'Close route detail', onclick: closeDetail }, '✕')),
      h('p', { class: 'mono muted' }, sp.rawHops.join(' → ')),
      h('p', null, `${num(r.totalMatches)} occurrences`),
      h('h4', null, '📏 Hop Distances'), dist.length ? h('ul', { class: 'an-list' }, ...dist) : empty('No hop distances.'),
      mapBox || h('p', { class: 'an-note' }, 'No hop of this route has a known position, so there is no map.'),
      h('h4', null, '📶 Observer Receive Signal'), h('p', { class: 'an-note' }, 'Last hop → observer only, not between the nodes of the route.'),
      h('p', null, sig.samples ? `Avg SNR ${fixed(sig.avgSnr)} dB · Avg RSSI ${fixed(sig.avgRssi, 0)} dBm · ${num(sig.samples)} samples` : 'No signal samples.'),
      h('h4', null, '🕐 Activity by Hour (UTC)'),
      h('div', { dataset: { chart: 'subpath-hours' } }, bars({ data: (r.hourDistribution || []).map((v, i) => ({ label: String(i), value: v, tip: `${i}:00 UTC: ${v}` })), width: 340, height: 150, xLabel: 'Hour (UTC)', yLabel: 'Packets', label: 'Activity by hour, 24 bars' })),
      h('h4', null, '⏱️ Timeline'),
      h('p', null, `First seen: ${r.firstSeen ? absTime(r.firstSeen) : '—'}`, h('br'), `Last seen: ${r.lastSeen ? absTime(r.lastSeen) : '—'}`),
      h('h4', null, '🔗 Full Paths Containing This Route'),
      (r.parentPaths || []).length ? h('div', null, ...r.parentPaths.map((p) => h('div', { class: 'an-path' }, String(p.path), h('span', { class: 'muted' }, ` ×${p.count}`)))) : empty('No longer paths contain this route.'),
      (r.observers || []).length ? [h('h4', null, '👁 Observers'), h('p', null, r.observers.map((o) => `${o.name} (${o.count})`).join(' · '))] : null);
    detail.focus({ preventScroll: true });
    if (mapBox) {
      requestAnimationFrame(() => {
        if (!ctx.alive() || !mapBox.isConnected) return;
        const pts = nodes.filter(hasGPS);
        mapObj = createMap(mapBox, { center: [pts[0].lat, pts[0].lon], zoom: 10 });
        const L = window.L;
        for (const n of pts) bindTip(L.marker([n.lat, n.lon], { icon: roleIcon('repeater'), title: n.name || n.hop, alt: n.name || n.hop }).addTo(mapObj.map), n.name || n.hop);
        if (pts.length > 1) {
          const ll = pts.map((n) => [n.lat, n.lon]);
          L.polyline(ll, { color: '#f0a020', weight: 3, dashArray: '6 6' }).addTo(mapObj.map);
          mapObj.map.fitBounds(ll, { padding: [20, 20] });
        }
      });
    }
  };

  const draw = () => {
    clear(list);
    results.forEach((res, gi) => {
      const [id, title] = GROUPS[gi] || [`g${gi}`, `Group ${gi + 1}`];
      const subs = (res.subpaths || []).filter((sp) => !(hide.checked && selfLoop(sp)));
      const max = Math.max(1, ...subs.map((sp) => sp.count));
      const tbody = h('tbody');
      subs.forEach((sp, i) => {
        const tr = h('tr', { tabindex: '0', dataset: { hops: sp.rawHops.join(',') } },
          h('td', { class: 'num' }, String(i + 1)),
          h('td', null, h('div', null, String(sp.path)), h('div', { class: 'mono muted' }, sp.rawHops.join(' → '))),
          h('td', { class: 'num' }, num(sp.count)),
          h('td', { class: 'num' }, `${sp.pct}%`),
          h('td', null, h('span', { class: 'freq', style: { width: `${Math.max(2, (sp.count / max) * 80)}px` } })));
        const go = () => openDetail(sp, tr);
        tr.addEventListener('click', go);
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
        tbody.appendChild(tr);
      });
      list.appendChild(card(title, `From ${num(res.totalPaths)} paths with 2+ hops.`,
        subs.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'tbl an-tbl', id: `sp-${id}` },
          h('caption', { class: 'sr-only' }, title),
          h('thead', null, h('tr', null, ...['#', 'Route', 'Occurrences', '% of paths', 'Frequency'].map((t) => h('th', { scope: 'col' }, t)))),
          tbody)) : empty('No routes of this length.'), { id: `sp-group-${id}` }));
    });
  };
  hide.addEventListener('change', () => { closeDetail(); draw(); });
  ctx.el.append(
    h('h2', null, '🛣️ Route Pattern Analysis'),
    h('p', { class: 'an-desc' }, 'Most common sub-paths — reveals backbone routes, bottlenecks and preferred relay chains. Click a route for details.'),
    h('div', { class: 'an-toolbar' },
      h('label', null, hide, ' Hide likely prefix collisions (self-loops)'),
      h('span', { class: 'muted' }, 'Jump to:'),
      ...GROUPS.map(([id, , short]) => h('button', { type: 'button', class: 'btn', onclick: () => { document.getElementById(`sp-group-${id}`)?.scrollIntoView(); ctx.setParams({ section: `sp-group-${id}` }); } }, short))),
    split);
  draw();
  return () => { document.removeEventListener('keydown', onKey); if (mapObj) mapObj.destroy(); if (release) release({ restore: false }); };
}
