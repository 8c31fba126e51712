// Area map (area-map.html, UI.md §15): every entry of config.json `areas` from
// GET /api/config/areas/polygons, drawn as a polygon or box with its label, plus a list.
import { h, clear } from '../dom.js';
import { api, loadConfig, config } from '../api.js';
import { createMap, bindTip } from '../mapbase.js';

const COLORS = ['#4a9eff', '#D55E00', '#009E73', '#CC79A7', '#F0E442', '#56B4E9'];

async function boot() {
  const listEl = document.getElementById('am-list');
  await loadConfig().catch(() => null);
  const mm = createMap(document.getElementById('am-map'), { center: config.map.center, zoom: config.map.zoom });
  let areas;
  try { areas = await api('/config/areas/polygons'); } catch (e) {
    clear(listEl).appendChild(h('div', { class: 'error-box', role: 'alert' }, h('p', null, `⚠ Could not load the areas: ${e.message}`)));
    return;
  }
  areas = (Array.isArray(areas) ? areas : []).slice().sort((a, b) => String(a.key).localeCompare(String(b.key)));
  if (!areas.length) {
    clear(listEl).appendChild(h('p', { class: 'an-empty', id: 'am-empty' }, 'No areas are configured on this server. Add an "areas" object to config.json (key → {label, polygon} or a latMin/latMax/lonMin/lonMax box) to get the Area filter.'));
    return;
  }
  const L = window.L;
  const all = [];
  const rows = areas.map((a, i) => {
    const color = COLORS[i % COLORS.length];
    let shape = null;
    let kind = 'no geometry';
    if (Array.isArray(a.polygon) && a.polygon.length >= 3) { shape = L.polygon(a.polygon, { color, weight: 2, fillOpacity: 0.15 }); kind = `polygon, ${a.polygon.length} points`; }
    else if ([a.latMin, a.latMax, a.lonMin, a.lonMax].every((v) => typeof v === 'number')) { shape = L.rectangle([[a.latMin, a.lonMin], [a.latMax, a.lonMax]], { color, weight: 2, fillOpacity: 0.15 }); kind = 'box'; }
    if (shape) {
      shape.addTo(mm.map);
      shape.getElement()?.classList.add('am-shape');
      bindTip(shape, `${a.label || a.key} (${a.key})`, { sticky: true });
      all.push(shape.getBounds());
    }
    return h('tr', null, h('td', null, h('span', { class: 'am-swatch', style: { background: color } })), h('td', { class: 'mono' }, a.key), h('td', null, a.label || '(no label: not offered in the Area filter)'), h('td', null, kind));
  });
  if (all.length) mm.map.fitBounds(all.reduce((b, x) => b.extend(x), L.latLngBounds(all[0].getSouthWest(), all[0].getNorthEast())).pad(0.1));
  clear(listEl).appendChild(h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'am-table' },
    h('caption', { class: 'sr-only' }, 'Configured areas'),
    h('thead', null, h('tr', null, ...['', 'Key', 'Label', 'Shape'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows))));
  document.body.dataset.shapes = String(all.length);
}
boot();
