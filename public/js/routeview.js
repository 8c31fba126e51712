// Packet route view on the map (#/map?packet={hash}&obs={id}, from "View route on map"): the
// chosen observation's path from the sender (ADVERT position) through each resolved hop to the
// observer, as a polyline with numbered stops, and a side list of the hops (unknown positions
// are listed, not drawn). Hop names come from hops.js (server resolved_path first).
import { h } from './dom.js';
import { api, showError } from './api.js';
import { loadNodes, resolveHop } from './hops.js';
import { bindTip } from './mapbase.js';
import { hops, parseJSON, hasGPS, obsView, typeName } from './format.js';

/**
 * showRoute draws packet hash (observation obsId, else the first) on map m inside pageEl and
 * returns a cleanup function. observers = the /api/observers list (for the observer position).
 */
export async function showRoute(m, pageEl, hash, obsId, observers) {
  const L = window.L;
  const layer = L.layerGroup().addTo(m.map);
  const panel = h('aside', { class: 'route-panel', 'aria-label': 'Packet route' }, h('p', { class: 'loading' }, 'Loading route…'));
  pageEl.appendChild(panel);
  const cleanup = () => { m.map.removeLayer(layer); panel.remove(); };
  try {
    const [data] = await Promise.all([api('/packets/' + encodeURIComponent(hash)), loadNodes()]);
    const pkt = data.packet || {};
    const list = data.observations || [];
    const o = list.find((x) => String(x.id) === String(obsId)) || list[0] || null;
    const v = obsView(pkt, o);
    const d = parseJSON(pkt.decoded_json, {}) || {};
    const stops = []; // {label, pos|null, kind}
    if (pkt.payload_type === 4) stops.push({ label: String(d.name || 'sender'), pos: hasGPS(d) ? [d.lat, d.lon] : null, kind: 'origin' });
    const rp = Array.isArray(v.resolved_path) ? v.resolved_path : [];
    hops(v).forEach((hop, i) => {
      const r = resolveHop(hop, rp[i]);
      stops.push({ label: r.name ? `${r.name}${r.ambiguous ? ' ⚠' : ''}` : String(hop), pos: r.node && hasGPS(r.node) ? [r.node.lat, r.node.lon] : null, kind: 'hop' });
    });
    const ob = (observers || []).find((x) => x.id === v.observer_id);
    stops.push({ label: String(v.observer_name || v.observer_id || 'observer'), pos: ob && hasGPS(ob) ? [ob.lat, ob.lon] : null, kind: 'observer' });
    const pts = stops.filter((s) => s.pos).map((s) => s.pos);
    if (pts.length > 1) L.polyline(pts, { color: '#e6550d', weight: 4, opacity: 0.85, interactive: false }).addTo(layer);
    stops.forEach((s, i) => {
      if (!s.pos) return;
      const mk = L.circleMarker(s.pos, { radius: s.kind === 'hop' ? 6 : 9, color: '#fff', weight: 2, fillColor: s.kind === 'origin' ? '#31a354' : s.kind === 'observer' ? '#756bb1' : '#e6550d', fillOpacity: 1 });
      bindTip(mk, `${i + 1}. ${s.label}`).addTo(layer);
    });
    if (pts.length) m.map.fitBounds(L.latLngBounds(pts).pad(0.2), { maxZoom: 13 });
    panel.dataset.points = String(pts.length);
    panel.dataset.stops = String(stops.length);
    panel.replaceChildren(
      h('h2', null, `${typeName(pkt.payload_type)} route`),
      h('p', { class: 'mono muted' }, String(pkt.hash || '')),
      h('ol', { class: 'route-stops' }, ...stops.map((s) => h('li', { class: s.pos ? '' : 'muted' }, s.label, s.pos ? null : ' (no position)'))),
      h('p', null, h('a', { href: `#/packets/${encodeURIComponent(pkt.hash)}${o ? `?obs=${encodeURIComponent(o.id)}` : ''}` }, '← Packet details')));
  } catch (e) {
    panel.replaceChildren(h('p', null, e.message));
    showError(e, 'Packet route');
  }
  return cleanup;
}
