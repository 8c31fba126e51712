// Hash router: #/<route>[/<param>...][?k=v]. Back/forward and deep links work because every
// view is mounted from location.hash; views change their own query with setQuery(), which
// uses history.replaceState (no new history entry, no re-mount).
import { h, clear } from './dom.js';
import { showError } from './api.js';

const routes = new Map();
let current = null;
let currentKey = '';
let appEl = null;
let onRouteHooks = [];
let mountSeq = 0;

/** register maps a route name to a loader returning a view module {mount, unmount}. */
export function register(name, loader, opts = {}) {
  routes.set(name, { loader, fixed: !!opts.fixed, key: opts.key });
}

/** parse splits a hash into {route, parts, param, query}. */
export function parse(hash = location.hash) {
  let s = hash.replace(/^#\/?/, '');
  let q = '';
  const i = s.indexOf('?');
  if (i >= 0) { q = s.slice(i + 1); s = s.slice(0, i); }
  const parts = s.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  return { route: parts[0] || '', parts: parts.slice(1), param: parts[1] || null, query: new URLSearchParams(q) };
}

/** setQuery replaces the current hash's query (and optionally path) without re-mounting. */
export function setQuery(params, path) {
  const cur = parse();
  const base = path || ('#/' + [cur.route, ...cur.parts].map(encodeURIComponent).join('/'));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length)) q.set(k, Array.isArray(v) ? v.join(',') : v);
  }
  const s = q.toString();
  const next = base + (s ? '?' + s : '');
  if (next !== location.hash) history.replaceState(history.state, '', next);
}

/** navigate pushes a new hash (creates a history entry). */
export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

export const onRoute = (fn) => { onRouteHooks.push(fn); };

// Old links that moved: answered with a redirect (replaceState, so Back skips them).
const LEGACY = {
  traces: (p) => (p.param ? `#/tools/trace/${encodeURIComponent(p.param)}` : '#/tools'),
  roles: () => '#/analytics?tab=roles',
};

async function route() {
  const p = parse();
  if (!p.route) { history.replaceState(null, '', '#/home'); return route(); }
  if (LEGACY[p.route]) { history.replaceState(null, '', LEGACY[p.route](p)); return route(); }
  const def = routes.get(p.route);
  const seq = ++mountSeq;
  if (current && current.unmount) {
    try { current.unmount(); } catch (e) { console.error('unmount failed', e); }
  }
  current = null;
  clear(appEl);
  appEl.classList.toggle('app-fixed', !!(def && def.fixed && (!def.key || def.key(p))));
  for (const fn of onRouteHooks) fn(p);
  if (!def) {
    appEl.appendChild(h('section', { class: 'page' },
      h('h1', null, `${p.route} — Page not yet implemented`),
      h('p', null, h('a', { href: '#/home' }, 'Back to home'))));
    focusHeading();
    return;
  }
  let mod;
  try {
    mod = await def.loader(p);
  } catch (e) {
    showError(e, 'Could not load page');
    return;
  }
  if (seq !== mountSeq) return; // a newer navigation won the race
  current = mod;
  currentKey = location.hash;
  try {
    await mod.mount(appEl, p);
  } catch (e) {
    console.error(e);
    showError(e, 'Page failed');
  }
  if (seq === mountSeq) focusHeading();
}

/** focusHeading moves focus to the first heading in #app without scrolling (SPA a11y). */
function focusHeading() {
  const hd = appEl.querySelector('h1, h2') || appEl;
  if (!hd.hasAttribute('tabindex')) hd.setAttribute('tabindex', '-1');
  hd.focus({ preventScroll: true });
}

export function start(el) {
  appEl = el;
  window.addEventListener('hashchange', () => route());
  route();
}
