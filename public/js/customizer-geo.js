// Customizer 🗺️ GeoFilter tab (UI.md §12): shows the server's polygon on a Leaflet map, edits
// it (click the map to add a vertex, or edit the JSON), and saves with PUT /api/config/geo-filter
// and prunes with POST /api/admin/prune-geo-filter — both only with an API key the server
// confirms (X-API-Key); a refused key shows the server's own error.
import { h } from './dom.js';
import { api, showToast } from './api.js';
import { createMap } from './mapbase.js';

let mapHandle = null;

export function cleanupMap() {
  if (mapHandle) { mapHandle.destroy(); mapHandle = null; }
}
document.addEventListener('customizer-closed', cleanupMap);

/** parsePolygon validates the editor text: [[lat, lon], …] with ≥ 3 points, or [] to clear. */
export function parsePolygon(text) {
  let v;
  try { v = JSON.parse(text || '[]'); } catch { throw new Error('polygon is not JSON: use [[lat, lon], …]'); }
  if (!Array.isArray(v) || !v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    throw new Error('polygon must be a list of [lat, lon] pairs');
  }
  if (v.length && v.length < 3) throw new Error('polygon needs at least 3 points (or none to clear it)');
  return v;
}

export function geoTab() {
  cleanupMap();
  const mapEl = h('div', { class: 'cz-geo-map', id: 'cz-geo-map' });
  const poly = h('textarea', { id: 'cz-geo-polygon', rows: '4', spellcheck: 'false', 'aria-label': 'Polygon as JSON [[lat, lon], …]' });
  const buffer = h('input', { type: 'number', id: 'cz-geo-buffer', min: '0', step: '0.5', value: '0' });
  const key = h('input', { type: 'password', id: 'cz-geo-key', autocomplete: 'off', placeholder: 'API key' });
  const status = h('p', { class: 'cz-geo-status', id: 'cz-geo-status', role: 'status' });
  const save = h('button', { type: 'button', class: 'btn', id: 'cz-geo-save' }, '💾 Save polygon');
  const prune = h('button', { type: 'button', class: 'btn', id: 'cz-geo-prune' }, '✂️ Prune nodes outside');
  const clearPts = h('button', { type: 'button', class: 'btn', id: 'cz-geo-clear' }, 'Clear points');
  let layer = null;

  const draw = () => {
    if (!mapHandle) return;
    const L = window.L;
    if (layer) { mapHandle.map.removeLayer(layer); layer = null; }
    let pts = [];
    try { pts = parsePolygon(poly.value); } catch { pts = []; }
    if (!pts.length) { try { pts = JSON.parse(poly.value); } catch { pts = []; } }
    if (Array.isArray(pts) && pts.length) {
      layer = L.polygon(pts, { color: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#4a9eff' }).addTo(mapHandle.map);
      if (pts.length >= 3) mapHandle.map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    }
  };

  const send = async (what) => {
    status.textContent = '';
    status.classList.remove('bad');
    if (!key.value) { status.textContent = 'Enter the server API key first.'; status.classList.add('bad'); return; }
    const headers = { 'X-API-Key': key.value };
    try {
      if (what === 'save') {
        const polygon = parsePolygon(poly.value);
        await api('/config/geo-filter', { method: 'PUT', headers, body: { polygon, bufferKm: +buffer.value || 0 } });
        status.textContent = polygon.length ? `Saved: ${polygon.length} points.` : 'Geo filter cleared.';
        showToast('Geo filter saved');
      } else {
        const r = await api('/admin/prune-geo-filter', { method: 'POST', headers, body: {} });
        status.textContent = `Prune started${r && r.status ? ': ' + r.status : ''}.`;
      }
    } catch (e) {
      status.textContent = e.message; // the server's own error text (unauthorized, disabled, …)
      status.classList.add('bad');
    }
  };
  save.addEventListener('click', () => send('save'));
  prune.addEventListener('click', () => send('prune'));
  clearPts.addEventListener('click', () => { poly.value = '[]'; draw(); });
  poly.addEventListener('change', draw);

  api('/config/geo-filter').then((g) => {
    poly.value = JSON.stringify((g && g.polygon) || []);
    buffer.value = String((g && g.bufferKm) || 0);
    if (g && g.writeEnabled === false) status.textContent = 'The server has no API key configured: saving is disabled there.';
    requestAnimationFrame(() => {
      if (!mapEl.isConnected) return;
      mapHandle = createMap(mapEl, { zoom: 8 });
      mapHandle.map.on('click', (e) => {
        let pts = [];
        try { pts = JSON.parse(poly.value || '[]'); } catch { pts = []; }
        if (!Array.isArray(pts)) pts = [];
        pts.push([+e.latlng.lat.toFixed(5), +e.latlng.lng.toFixed(5)]);
        poly.value = JSON.stringify(pts);
        draw();
      });
      draw();
    });
  }).catch((e) => { status.textContent = e.message; status.classList.add('bad'); });

  return [h('p', { class: 'muted' }, 'Nodes outside the polygon (plus the buffer) are hidden by the server. Click the map to add points.'),
    mapEl,
    h('div', { class: 'cz-row cz-col' }, h('label', { for: 'cz-geo-polygon' }, 'Polygon [[lat, lon], …]'), poly),
    h('div', { class: 'cz-row' }, h('label', { for: 'cz-geo-buffer' }, 'Buffer (km)'), buffer),
    h('div', { class: 'cz-row' }, h('label', { for: 'cz-geo-key' }, 'API key'), key),
    h('div', { class: 'cz-presets' }, save, prune, clearPts), status,
    h('p', null, h('a', { href: '/geofilter-builder.html', target: '_blank', rel: 'noopener' }, 'Open the standalone GeoFilter Builder ↗'))];
}
