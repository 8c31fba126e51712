// Leaflet helpers shared by map, live and node mini-maps: theme-aware tiles that fail quietly
// (no internet → grey background, the page still works), role-shaped SVG markers.
import { config } from './api.js';
import { roleKey } from './format.js';

const TILE_DARK = 'https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}{r}.png';
const TILE_LIGHT = 'https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png';
const ATTR = '&copy; OpenStreetMap contributors &copy; CARTO';

const ROLE_COLORS = {
  repeater: '#D55E00', companion: '#56B4E9', room: '#009E73', sensor: '#F0E442', observer: '#CC79A7', unknown: '#6b7280',
};

/** roleColor reads the themeable CSS variable, falling back to the Wong palette. */
export function roleColor(role) {
  const k = roleKey(role) === 'unknown' && role === 'observer' ? 'observer' : roleKey(role);
  const v = getComputedStyle(document.documentElement).getPropertyValue(`--mc-role-${k}`).trim();
  return v || ROLE_COLORS[k] || ROLE_COLORS.unknown;
}

function tileURL() {
  const dark = document.documentElement.dataset.theme !== 'light';
  const t = config.client && config.client.tiles;
  if (t && typeof t === 'object') {
    const u = dark ? (t.dark || t.url) : (t.light || t.url);
    if (typeof u === 'string' && u) return u;
  }
  return dark ? TILE_DARK : TILE_LIGHT;
}

/**
 * createMap makes a Leaflet map in el with theme-aware tiles. Tile load errors are expected
 * offline and are swallowed by Leaflet's tileerror event (the map stays usable). Returns
 * {map, destroy()}.
 */
export function createMap(el, opts = {}) {
  const L = window.L;
  const center = opts.center || config.map.center || [37.45, -122];
  const map = L.map(el, { zoomControl: true, attributionControl: true, preferCanvas: !!opts.canvas, worldCopyJump: true })
    .setView(center, opts.zoom ?? config.map.zoom ?? 9);
  let layer = null;
  const setTiles = () => {
    if (layer) map.removeLayer(layer);
    layer = L.tileLayer(tileURL(), { attribution: ATTR, maxZoom: 19, subdomains: 'abcd', crossOrigin: true });
    layer.on('tileerror', () => { el.classList.add('tiles-offline'); });
    layer.addTo(map);
  };
  setTiles();
  const onTheme = () => setTiles();
  window.addEventListener('theme-changed', onTheme);
  return {
    map,
    destroy() { window.removeEventListener('theme-changed', onTheme); map.remove(); },
  };
}

/**
 * mapContent turns anything shown in a Leaflet tooltip or popup into a DOM node. Leaflet inserts a
 * string content as HTML, so a node's advert name given to it directly is stored XSS (anyone with
 * a radio picks the name). Strings become text; DOM nodes (built with dom.js h()) pass through.
 */
export function mapContent(content) {
  if (content instanceof Node) return content;
  const el = document.createElement('span');
  el.textContent = content == null ? '' : String(content);
  return el;
}

/**
 * bindTip / bindPop are the only ways the app attaches Leaflet tooltips and popups (a test fails
 * on any other call of bindTooltip/bindPopup/setContent). content is text, a DOM node, or a
 * function returning either, evaluated when the tooltip/popup opens.
 */
export function bindTip(layer, content, opts) {
  return layer.bindTooltip(() => mapContent(typeof content === 'function' ? content() : content), opts);
}

export function bindPop(layer, content, opts) {
  return layer.bindPopup(() => mapContent(typeof content === 'function' ? content() : content), opts);
}

const SHAPES = {
  repeater: (c) => `<circle cx="12" cy="12" r="8" fill="${c}" stroke="#fff" stroke-width="2"/>`,
  companion: (c) => `<rect x="4.5" y="4.5" width="15" height="15" rx="2" fill="${c}" stroke="#fff" stroke-width="2"/>`,
  room: (c) => `<polygon points="12,3 20,7.5 20,16.5 12,21 4,16.5 4,7.5" fill="${c}" stroke="#fff" stroke-width="2"/>`,
  sensor: (c) => `<polygon points="12,3 21,20 3,20" fill="${c}" stroke="#fff" stroke-width="2"/>`,
  observer: (c) => `<polygon points="12,2 22,12 12,22 2,12" fill="${c}" stroke="#fff" stroke-width="2"/>`,
  unknown: (c) => `<circle cx="12" cy="12" r="6" fill="${c}" stroke="#fff" stroke-width="2"/>`,
};

/**
 * roleIcon returns an L.divIcon with the role's shape. The SVG string is built only from our
 * own constants and a validated colour — never from network data.
 */
export function roleIcon(role, opts = {}) {
  const k = role === 'observer' ? 'observer' : roleKey(role);
  let c = roleColor(k);
  if (!/^#[0-9a-fA-F]{3,8}$|^rgb|^hsl/.test(c)) c = ROLE_COLORS[k] || ROLE_COLORS.unknown;
  const size = opts.size || 22;
  return window.L.divIcon({
    className: 'mk' + (opts.stale ? ' stale' : ''),
    html: `<svg viewBox="0 0 24 24" width="${size}" height="${size}" aria-hidden="true">${SHAPES[k](c)}</svg>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
    popupAnchor: [0, -size / 2],
  });
}
