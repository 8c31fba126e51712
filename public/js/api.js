// The one API module: every view fetches through api(). It prefixes /api, de-duplicates
// identical in-flight GETs, optionally caches JSON for ttl ms and turns failures into
// ApiError, which showError() puts in front of the user (errors are never swallowed).
import { h } from './dom.js';

export class ApiError extends Error {
  constructor(path, status, message) {
    super(message);
    this.path = path;
    this.status = status;
  }
}

// What a request path loads, in words: errors name it instead of showing the raw API path
// (the path stays on ApiError.path for debugging).
const NOUNS = {
  packets: ['packets', 'packet'], nodes: ['nodes', 'node'], observers: ['observers', 'observer'],
  channels: ['channels', 'channel messages'], stats: ['statistics', 'statistics'], config: ['settings', 'settings'],
  decode: ['decoder', 'decoder'], health: ['server health', 'server health'],
};
function what(path) {
  const seg = String(path).split('?')[0].split('/').filter(Boolean);
  const n = NOUNS[seg[0]];
  if (!n) return 'data';
  if (seg[0] === 'nodes' && seg[2] === 'health') return 'node health';
  return seg.length > 1 && seg[1] !== 'search' && seg[1] !== 'timestamps' ? n[1] : n[0];
}
function describe(path, status, msg) {
  if (status === 0) return `Could not load ${what(path)}: the server could not be reached.`;
  const m = String(msg || '').replace(/^[a-z]/, (c) => c.toLowerCase());
  return `Could not load ${what(path)}: ${m || 'server error'} (HTTP ${status}).`;
}

const inflight = new Map();
const cache = new Map();
// Per-path timings of this page session (query stripped), for the Perf page's "Client API
// Calls" table: {count, totalMs, maxMs, errors}.
const timings = new Map();
export const apiTimings = () => timings;
function record(path, ms, ok) {
  const k = path.split('?')[0];
  const t = timings.get(k) || { count: 0, totalMs: 0, maxMs: 0, errors: 0 };
  t.count++; t.totalMs += ms; t.maxMs = Math.max(t.maxMs, ms); if (!ok) t.errors++;
  timings.set(k, t);
}

/**
 * api fetches /api<path>. opts: ttl (ms cache), method, body (JSON-encoded), headers.
 * Resolves with the parsed JSON; rejects with ApiError (status 0 = network error).
 */
export function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const url = '/api' + path;
  const key = method + ' ' + url;
  if (method === 'GET') {
    const c = cache.get(key);
    if (c && c.exp > Date.now()) return Promise.resolve(c.data);
    if (inflight.has(key)) return inflight.get(key);
  }
  const init = { method, headers: { Accept: 'application/json', ...(opts.headers || {}) } };
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers['Content-Type'] = 'application/json';
  }
  const t0 = performance.now();
  const p = fetch(url, init).then(async (res) => {
    const text = await res.text();
    record(path, performance.now() - t0, res.ok);
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch {
      if (res.ok) throw new ApiError(path, res.status, describe(path, res.status, 'the response is not JSON'));
    }
    if (!res.ok) {
      throw new ApiError(path, res.status, describe(path, res.status, data && data.error ? data.error : res.statusText));
    }
    if (method === 'GET' && opts.ttl) cache.set(key, { data, exp: Date.now() + opts.ttl });
    return data;
  }, (err) => {
    record(path, performance.now() - t0, false);
    throw new ApiError(path, 0, describe(path, 0, err.message));
  }).finally(() => inflight.delete(key));
  if (method === 'GET') inflight.set(key, p);
  return p;
}

/** invalidate drops cached responses whose path starts with prefix. */
export function invalidate(prefix) {
  for (const k of cache.keys()) if (k.startsWith('GET /api' + prefix)) cache.delete(k);
}

/** qs builds a query string from an object, skipping empty values. */
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

/** showError shows a dismissable toast with the error message (text only). */
export function showError(err, context) {
  const box = document.getElementById('toasts');
  const msg = (context ? context + ': ' : '') + (err && err.message ? err.message : String(err));
  if (!box) return;
  const t = h('div', { class: 'toast toast-error' },
    h('span', { class: 'toast-msg' }, msg),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => t.remove() }, '✕'));
  box.appendChild(t);
  setTimeout(() => t.remove(), 8000);
}

/** showToast shows an informational message. */
export function showToast(msg) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: 'toast' }, msg);
  box.appendChild(t);
  setTimeout(() => t.remove(), 4000);
}

/** errorBox renders an inline error state with a retry button. */
export function errorBox(err, retry) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', null, '⚠ ', err && err.message ? err.message : String(err)),
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

// Client config loaded once at boot (health thresholds, tiles, reconnect delay).
export const config = { client: {}, map: { center: [37.45, -122.0], zoom: 9 }, regions: {}, theme: {}, cache: {} };

/**
 * cacheMs is the client cache TTL / refresh interval for a /api/config/cache key (seconds in
 * config.json's cacheTTL, here in ms), or def when the server sets none.
 */
export function cacheMs(key, def) {
  const v = Number(config.cache[key]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : def;
}

export async function loadConfig() {
  const [cache, client, theme, map, regions] = await Promise.all([
    api('/config/cache').catch(() => ({})),
    api('/config/client').catch((e) => { showError(e); return {}; }),
    api('/config/theme').catch(() => ({})),
    api('/config/map').catch(() => null),
    api('/config/regions').catch(() => ({})),
  ]);
  config.cache = cache && typeof cache === 'object' ? cache : {};
  config.client = client || {};
  config.theme = theme && typeof theme === 'object' ? theme : {};
  if (map && Array.isArray(map.center)) config.map = map;
  config.regions = regions || {};
}
