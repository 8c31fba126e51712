// GeoFilter builder (geofilter-builder.html, UI.md §15): draw a polygon on a Leaflet map (clicks
// or typed coordinates), set a buffer and export the geo_filter block for config.json. The draft
// lives in localStorage (geofilter-builder-draft). Works offline: without tiles the map is blank
// but clicks and typed points still build the polygon.
import { h, clear, store } from '../dom.js';
import { api, loadConfig, config, showError, showToast } from '../api.js';
import { createMap, bindTip } from '../mapbase.js';

const DRAFT = 'geofilter-builder-draft';
const $ = (id) => document.getElementById(id);
const round = (v) => Math.round(v * 1e5) / 1e5;
let pts = [];
let layer = null;
let mm = null;

function out() {
  const buf = Math.max(0, Number($('gf-buffer').value) || 0);
  return { geo_filter: pts.length ? { polygon: pts.map(([a, b]) => [round(a), round(b)]), bufferKm: buf } : null };
}

function render() {
  const L = window.L;
  if (layer) layer.remove();
  layer = L.layerGroup().addTo(mm.map);
  if (pts.length >= 2) (pts.length >= 3 ? L.polygon(pts, { color: '#4a9eff', weight: 2 }) : L.polyline(pts, { color: '#4a9eff' })).addTo(layer);
  pts.forEach((p, i) => bindTip(L.circleMarker(p, { radius: 6, color: '#4a9eff', fillOpacity: 0.9 }).addTo(layer), `Point ${i + 1}: ${round(p[0])}, ${round(p[1])}`));
  const list = clear($('gf-points'));
  pts.forEach((p, i) => list.appendChild(h('li', null, `${round(p[0])}, ${round(p[1])} `,
    h('button', { type: 'button', class: 'btn gf-del', 'aria-label': `Remove point ${i + 1}`, onclick: () => { pts.splice(i, 1); changed(); } }, '✕'))));
  const o = out();
  $('gf-json').value = JSON.stringify(o, null, 2);
  $('gf-msg').textContent = pts.length && pts.length < 3 ? `${3 - pts.length} more point(s) needed for a polygon.` : '';
  document.body.dataset.points = String(pts.length);
}

function changed() {
  store.setJSON(DRAFT, { polygon: pts, bufferKm: Number($('gf-buffer').value) || 0 });
  render();
}

function add(lat, lon) {
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) { $('gf-msg').textContent = 'Latitude must be −90…90 and longitude −180…180.'; return false; }
  if (pts.length >= 1000) { $('gf-msg').textContent = 'A geo filter has at most 1000 points.'; return false; }
  pts.push([lat, lon]);
  changed();
  return true;
}

async function boot() {
  await loadConfig().catch(() => null);
  mm = createMap($('gf-map'), { center: config.map.center, zoom: config.map.zoom });
  const d = store.getJSON(DRAFT, null);
  if (d && Array.isArray(d.polygon)) { pts = d.polygon.filter((p) => Array.isArray(p) && p.length === 2); $('gf-buffer').value = String(d.bufferKm || 0); }
  mm.map.on('click', (e) => add(e.latlng.lat, e.latlng.lng));
  $('gf-add').addEventListener('submit', (e) => {
    e.preventDefault();
    const lat = parseFloat($('gf-lat').value); const lon = parseFloat($('gf-lon').value);
    if (Number.isNaN(lat) || Number.isNaN(lon)) { $('gf-msg').textContent = 'Enter a latitude and a longitude in decimal degrees.'; return; }
    if (add(lat, lon)) { $('gf-lat').value = ''; $('gf-lon').value = ''; $('gf-lat').focus(); }
  });
  $('gf-undo').addEventListener('click', () => { pts.pop(); changed(); });
  $('gf-clear').addEventListener('click', () => { pts = []; changed(); });
  $('gf-buffer').addEventListener('input', () => changed());
  $('gf-load').addEventListener('click', async () => {
    try {
      const g = await api('/config/geo-filter');
      if (!g || !Array.isArray(g.polygon) || !g.polygon.length) { $('gf-msg').textContent = 'The server has no polygon geo filter configured.'; return; }
      pts = g.polygon.map((p) => [p[0], p[1]]);
      $('gf-buffer').value = String(g.bufferKm || 0);
      changed();
      mm.map.fitBounds(window.L.latLngBounds(pts).pad(0.2));
    } catch (e) { showError(e, 'Could not load the server filter'); }
  });
  $('gf-copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('gf-json').value); showToast('Copied.'); } catch {
      $('gf-json').select();
      $('gf-msg').textContent = 'The clipboard is not available here: the JSON is selected, copy it with Ctrl+C.';
    }
  });
  $('gf-download').addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([$('gf-json').value + '\n'], { type: 'application/json' }));
    const a = h('a', { href: url, download: 'geo_filter.json' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  render();
  if (pts.length) mm.map.fitBounds(window.L.latLngBounds(pts).pad(0.2));
}
boot();
