// Map (#/map): Leaflet with role-shaped markers, popups, role/status/last-heard filters,
// optional clustering (leaflet.markercluster) and theme-aware tiles. URL: ?lat=&lon=&zoom=,
// ?node={pk}. One fetch of nodes + observers; ADVERTs on the WebSocket trigger a debounced reload.
import { h, store, debounce } from '../dom.js';
import { api, qs, config, showError } from '../api.js';
import * as live from '../live.js';
import { setQuery } from '../router.js';
import { region } from '../region.js';
import { bindPop, createMap, roleIcon } from '../mapbase.js';
import { observerStatus } from './observers.js';
import { showRoute } from '../routeview.js';
import {
  ROLES, ROLE_LABELS, roleKey, nodeStatus, ago, absTime, hasGPS, fixed, num, parseTime,
} from '../format.js';

const LAST_HEARD = [['1', '1 h'], ['6', '6 h'], ['24', '24 h'], ['168', '7 d'], ['720', '30 d'], ['', 'Any']];
let S = null;

function popupFor(n) {
  const role = roleKey(n.role);
  const st = nodeStatus(n, config.client.healthThresholds);
  return h('div', { class: 'popup' },
    h('h3', null, String(n.name || n.public_key.slice(0, 8))),
    h('span', { class: `role-badge role-${role}` }, ROLE_LABELS[role] || String(n.role || 'unknown')), ' ',
    h('span', { class: `status status-${st}` }, st),
    h('dl', null,
      h('dt', null, 'Key'), h('dd', { class: 'mono' }, String(n.public_key).slice(0, 16) + '…'),
      h('dt', null, 'Location'), h('dd', null, `${fixed(n.lat, 5)}, ${fixed(n.lon, 5)}`),
      h('dt', null, 'Last Advert'), h('dd', { title: absTime(n.last_seen) }, ago(n.last_heard || n.last_seen)),
      h('dt', null, 'Adverts'), h('dd', null, num(n.advert_count))),
    h('a', { href: `#/nodes/${encodeURIComponent(n.public_key)}` }, 'View Node →'));
}

function popupForObserver(o) {
  return h('div', { class: 'popup' },
    h('h3', null, String(o.name || o.id)),
    h('span', { class: 'role-badge role-observer' }, 'Observer'), o.iata ? h('span', { class: 'badge iata' }, String(o.iata)) : null,
    h('dl', null, h('dt', null, 'Last seen'), h('dd', null, ago(o.last_seen)), h('dt', null, 'Packets'), h('dd', null, num(o.packet_count))),
    h('a', { href: `#/observers/${encodeURIComponent(o.id)}` }, 'View Observer →'));
}

function draw() {
  const L = window.L;
  if (S.layer) S.m.map.removeLayer(S.layer);
  const useCluster = S.cluster && typeof L.markerClusterGroup === 'function';
  S.layer = useCluster ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40 }) : L.layerGroup();
  const lh = S.lastHeard ? Date.now() - (+S.lastHeard) * 3600e3 : 0;
  const counts = {};
  let shown = 0;
  S.markers = new Map();
  for (const n of S.nodes) {
    if (!hasGPS(n)) continue;
    const role = roleKey(n.role);
    const st = nodeStatus(n, config.client.healthThresholds);
    counts[role] = (counts[role] || 0) + 1;
    if (!S.roles.has(role === 'unknown' ? 'companion' : role)) continue;
    if (S.status === 'active' && st !== 'active') continue;
    if (S.status === 'stale' && st === 'active') continue;
    if (lh && !(parseTime(n.last_heard || n.last_seen) >= lh)) continue;
    const name = String(n.name || n.public_key.slice(0, 8));
    const mk = L.marker([n.lat, n.lon], { icon: roleIcon(role, { stale: st !== 'active' }), title: name, alt: `${name} (${role}, ${st})`, keyboard: true });
    bindPop(mk, () => popupFor(n));
    S.layer.addLayer(mk);
    S.markers.set(n.public_key, mk);
    shown++;
  }
  if (S.roles.has('observer')) {
    for (const o of S.observers) {
      if (!hasGPS(o)) continue;
      // The status and last-heard filters apply to observers too (online = "active").
      const ost = observerStatus(o);
      if (S.status === 'active' && ost !== 'online') continue;
      if (S.status === 'stale' && ost === 'online') continue;
      if (lh && !(Math.max(parseTime(o.last_seen) || 0, parseTime(o.last_packet_at) || 0) >= lh)) continue;
      const mk = L.marker([o.lat, o.lon], { icon: roleIcon('observer', { stale: ost !== 'online' }), title: String(o.name || o.id), alt: `Observer ${o.name || o.id}` });
      bindPop(mk, () => popupForObserver(o));
      S.layer.addLayer(mk);
      shown++;
    }
  }
  S.layer.addTo(S.m.map);
  if (S.fitOnce && S.markers.size) {
    // No URL view and no saved view: show where the nodes actually are.
    S.fitOnce = false;
    const pts = [...S.markers.values()].map((m) => m.getLatLng());
    S.m.map.fitBounds(window.L.latLngBounds(pts).pad(0.1), { maxZoom: 12 });
  }
  for (const [r, span] of S.countEls) span.textContent = r === 'observer' ? ` (${S.observers.filter(hasGPS).length})` : ` (${counts[r] || 0})`;
  S.summary.textContent = `${shown} markers`;
  S.summary.dataset.count = String(shown);
  if (S.focusNode) {
    const n = S.nodes.find((x) => x.public_key === S.focusNode || x.public_key.startsWith(S.focusNode));
    const mk = n && S.markers.get(n.public_key);
    S.focusNode = null;
    if (n && hasGPS(n)) {
      S.m.map.setView([n.lat, n.lon], Math.max(S.m.map.getZoom(), 12));
      if (mk) {
        if (useCluster) S.layer.zoomToShowLayer(mk, () => mk.openPopup());
        else mk.openPopup();
      }
    }
  }
}

async function load() {
  try {
    const [nr, or] = await Promise.all([
      api('/nodes' + qs({ limit: 10000, region: region() })),
      api('/observers', { ttl: 30000 }).catch((e) => { showError(e, 'Observers'); return { observers: [] }; }),
    ]);
    if (!S) return;
    S.nodes = (nr && nr.nodes) || [];
    S.observers = (or && or.observers) || [];
    draw();
    if (S.route && !S.routeShown) {
      S.routeShown = true;
      const done = await showRoute(S.m, S.pageEl, S.route.hash, S.route.obs, S.observers);
      if (S) S.routeCleanup = done; else done();
    }
  } catch (e) { showError(e, 'Map nodes'); }
}

function controls() {
  const body = h('div', { class: 'mc-body' });
  const roleSet = h('fieldset', null, h('legend', null, 'Node Types'));
  S.countEls = new Map();
  for (const r of [...ROLES, 'observer']) {
    const cb = h('input', { type: 'checkbox', checked: S.roles.has(r) });
    cb.addEventListener('change', () => { if (cb.checked) S.roles.add(r); else S.roles.delete(r); store.setJSON('meshcore-map-roles', [...S.roles]); draw(); });
    const cnt = h('span', { class: 'muted' });
    S.countEls.set(r, cnt);
    roleSet.appendChild(h('label', null, cb, h('span', { class: `role-badge role-${r}` }, ROLE_LABELS[r]), cnt));
  }
  const statusSet = h('fieldset', null, h('legend', null, 'Status'));
  for (const [v, l] of [['all', 'All'], ['active', 'Active'], ['stale', 'Stale']]) {
    const rb = h('input', { type: 'radio', name: 'map-status', value: v, checked: S.status === v });
    rb.addEventListener('change', () => { S.status = v; draw(); });
    statusSet.appendChild(h('label', null, rb, l));
  }
  const lh = h('select', { 'aria-label': 'Last heard' }, ...LAST_HEARD.map(([v, l]) => h('option', { value: v, selected: v === S.lastHeard }, l)));
  lh.addEventListener('change', () => { S.lastHeard = lh.value; store.set('meshcore-map-last-heard', lh.value); draw(); });
  const cl = h('input', { type: 'checkbox', checked: S.cluster });
  cl.addEventListener('change', () => { S.cluster = cl.checked; store.set('meshcore-map-clustering', S.cluster ? '1' : '0'); draw(); });
  body.append(roleSet, statusSet,
    h('fieldset', null, h('legend', null, 'Last Heard'), lh),
    h('fieldset', null, h('legend', null, 'Display'), h('label', null, cl, 'Cluster markers')));
  S.summary = h('div', { class: 'muted', id: 'map-count', role: 'status' });
  const panel = h('div', { class: 'map-controls', role: 'region', 'aria-label': 'Map controls', 'data-collapsed': window.innerWidth <= 768 ? 'true' : 'false' });
  const tog = h('button', { type: 'button', class: 'btn map-toggle', 'aria-expanded': panel.dataset.collapsed === 'true' ? 'false' : 'true' }, '⚙️ Filters');
  tog.addEventListener('click', () => {
    const c = panel.dataset.collapsed !== 'true';
    panel.dataset.collapsed = c ? 'true' : 'false';
    tog.setAttribute('aria-expanded', c ? 'false' : 'true');
  });
  panel.append(tog, S.summary, body);
  return panel;
}

export function mount(el, p) {
  const q = p.query;
  S = {
    nodes: [], observers: [], layer: null,
    roles: new Set(store.getJSON('meshcore-map-roles', [...ROLES, 'observer'])),
    status: 'all', lastHeard: store.get('meshcore-map-last-heard', '720'),
    cluster: store.get('meshcore-map-clustering', '1') === '1', focusNode: q.get('node'),
  };
  const mapEl = h('div', { class: 'map-el', id: 'map' });
  S.pageEl = h('div', { class: 'map-page' }, h('h1', { class: 'sr-only' }, 'Network map'), mapEl, controls());
  el.appendChild(S.pageEl);
  if (/^[0-9a-f]{16}$/i.test(q.get('packet') || '')) S.route = { hash: q.get('packet').toLowerCase(), obs: q.get('obs') };
  const saved = store.getJSON('map-view', null);
  let center = config.map.center;
  let zoom = config.map.zoom;
  if (q.get('lat') && q.get('lon')) { center = [+q.get('lat'), +q.get('lon')]; zoom = +(q.get('zoom') || zoom); }
  else if (saved && Array.isArray(saved.center)) { center = saved.center; zoom = saved.zoom; }
  else S.fitOnce = !q.get('node') && !q.get('packet');
  S.m = createMap(mapEl, { center, zoom });
  S.m.map.on('moveend', () => {
    if (!S) return;
    const c = S.m.map.getCenter();
    const view = { center: [+c.lat.toFixed(5), +c.lng.toFixed(5)], zoom: S.m.map.getZoom() };
    store.setJSON('map-view', view);
    setQuery({ lat: view.center[0], lon: view.center[1], zoom: view.zoom, packet: S.route && S.route.hash, obs: S.route && S.route.obs });
  });
  S.reloadSoon = debounce(load, 5000);
  S.unsub = live.subscribe((b) => { if (S && b.some((x) => x.payload_type === 4)) S.reloadSoon(); });
  S.onRegion = () => load();
  window.addEventListener('region-changed', S.onRegion);
  return load();
}

export function unmount() {
  if (!S) return;
  S.unsub(); S.reloadSoon.cancel();
  if (S.routeCleanup) S.routeCleanup();
  window.removeEventListener('region-changed', S.onRegion);
  S.m.destroy();
  S = null;
}
