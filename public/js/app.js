// App shell: boot sequence, nav (top + mobile bottom nav with More sheet), theme switch,
// live connection indicator, nav stats and route registration.
import { $, $$, store, debounce } from './dom.js';
import { api, loadConfig, config, invalidate, cacheMs } from './api.js';
import * as live from './live.js';
import * as router from './router.js';
import { renderRegionBar } from './region.js';
import { num, tickAgo } from './format.js';
import * as search from './search.js';
import * as favorites from './favorites.js';
import * as customizer from './customizer.js';

// ---- theme ----
const themeToggle = $('#theme-toggle');
function applyTheme(t) {
  document.documentElement.setAttribute('data-theme', t);
  themeToggle.checked = t === 'dark';
  window.dispatchEvent(new CustomEvent('theme-changed', { detail: t }));
}
themeToggle.checked = document.documentElement.getAttribute('data-theme') === 'dark';
themeToggle.addEventListener('change', () => {
  const t = themeToggle.checked ? 'dark' : 'light';
  store.set('meshcore-theme', t);
  applyTheme(t);
});
window.addEventListener('storage', (e) => {
  if (e.key === 'meshcore-theme' && (e.newValue === 'dark' || e.newValue === 'light')) applyTheme(e.newValue);
});
if (window.matchMedia) {
  window.matchMedia('(prefers-color-scheme: light)').addEventListener('change', (e) => {
    if (!store.get('meshcore-theme')) applyTheme(e.matches ? 'light' : 'dark');
  });
}

// ---- nav ----
const navLinks = $('.nav-links');
const topLinks = $$('.nav-links > a[data-route]');
const navMore = $('#nav-more');
const navMoreBtn = $('#nav-more-btn');
const navMoreMenu = $('#nav-more-menu');
const menuItem = (a) => {
  const m = document.createElement('a');
  m.href = a.getAttribute('href');
  m.textContent = a.textContent;
  m.setAttribute('role', 'menuitem');
  m.dataset.route = a.dataset.route;
  return m;
};

/**
 * layoutNav is the "priority+" top bar: every link that does not fit goes into "More ▾"
 * (low-priority links first, then the priority ones from the end; the active page's link
 * is never moved), so every page stays reachable at every width above the bottom nav.
 */
const topnav = $('.topnav');
const overflowing = () => navLinks.scrollWidth > navLinks.clientWidth + 1 || topnav.scrollWidth > topnav.clientWidth + 1;
function layoutNav() {
  for (const a of topLinks) a.hidden = false;
  navMore.hidden = true;
  const items = [];
  if (getComputedStyle(navLinks).display !== 'none' && overflowing()) {
    navMore.hidden = false;
    const order = [...topLinks.filter((a) => !a.dataset.priority).reverse(), ...topLinks.filter((a) => a.dataset.priority).reverse()];
    for (const a of order) {
      if (!overflowing()) break;
      if (!a.classList.contains('active')) a.hidden = true;
    }
    for (const a of topLinks) if (a.hidden) items.push(menuItem(a));
  }
  navMoreMenu.replaceChildren(...items);
  navMoreBtn.classList.toggle('active', items.some((m) => m.dataset.route === document.body.dataset.route));
  if (!items.length) setNavMore(false);
}
function setNavMore(open) {
  navMoreMenu.hidden = !open;
  navMoreBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (open) { const a = navMoreMenu.querySelector('a'); if (a) a.focus(); }
}
navMoreBtn.addEventListener('click', (e) => { e.stopPropagation(); setNavMore(navMoreMenu.hidden); });
navMoreMenu.addEventListener('click', () => setNavMore(false));
navMoreMenu.addEventListener('keydown', (e) => {
  const items = $$('a', navMoreMenu);
  const i = items.indexOf(document.activeElement);
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
  } else if (e.key === 'Tab') setNavMore(false);
});
document.addEventListener('click', (e) => { if (!navMoreMenu.hidden && !navMore.contains(e.target)) setNavMore(false); });
// Re-fit when the window changes and when the stats text on the right changes width.
const navRO = new ResizeObserver(() => layoutNav());
navRO.observe(topnav);
navRO.observe($('.nav-right'));

// Bottom nav (≤768 px): "More" opens a sheet of the pages without a bottom-nav button. A
// backdrop takes the tap that closes it, so that tap never reaches what lies underneath.
const moreBtn = $('#more-btn');
const moreSheet = $('#more-sheet');
const moreBackdrop = $('#more-backdrop');
const bottomRoutes = new Set($$('.bottom-nav a[data-route]').map((a) => a.dataset.route));
const sheetRoutes = topLinks.filter((a) => !bottomRoutes.has(a.dataset.route));
moreSheet.replaceChildren(...sheetRoutes.map(menuItem));
function setMore(open) {
  moreSheet.hidden = !open;
  moreBackdrop.hidden = !open;
  moreBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (open) { const a = moreSheet.querySelector('a'); if (a) a.focus(); }
}
moreBtn.addEventListener('click', () => setMore(moreSheet.hidden));
moreBackdrop.addEventListener('click', (e) => { e.preventDefault(); e.stopPropagation(); setMore(false); });
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  if (!moreSheet.hidden) { setMore(false); moreBtn.focus(); }
  if (!navMoreMenu.hidden) { setNavMore(false); navMoreBtn.focus(); }
});
moreSheet.addEventListener('click', () => setMore(false));
$('#skip-link').addEventListener('click', (e) => { e.preventDefault(); $('#app').focus(); });

// Pages whose content follows the region filter; elsewhere the bar would do nothing.
const REGION_ROUTES = new Set(['packets', 'map', 'live', 'channels', 'nodes', 'observers']);
const regionBar = $('#region-bar');

router.onRoute((p) => {
  for (const a of $$('[data-route]')) {
    const on = a.dataset.route === p.route || (p.route === 'packet' && a.dataset.route === 'packets');
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  // #/compare belongs to the analytics pages (in the sheet).
  moreBtn.classList.toggle('active', sheetRoutes.some((a) => a.dataset.route === p.route) || p.route === 'compare');
  document.body.dataset.route = p.route;
  regionBar.dataset.route = REGION_ROUTES.has(p.route) && !(p.param && (p.route === 'nodes' || p.route === 'observers')) ? 'on' : 'off';
  setMore(false);
  setNavMore(false);
  layoutNav();
  // Toasts belong to the view that raised them; a new view starts clean.
  const toasts = $('#toasts');
  while (toasts.firstChild) toasts.removeChild(toasts.firstChild);
});

// One ticker keeps every relative time ("12s ago") current, on every page.
setInterval(() => tickAgo(), 1000);

search.install($('#search-btn'));
favorites.install($('#fav-btn'), $('#fav-menu'));
customizer.install($('#customize-btn'));

// ---- live connection state ----
const wsEl = $('#ws-state');
live.onState((s) => {
  wsEl.dataset.state = s;
  wsEl.querySelector('.ws-label').textContent = s === 'open' ? 'live' : s === 'connecting' ? 'connecting' : 'offline';
  wsEl.title = s === 'open' ? 'Live updates connected' : 'Live updates disconnected — reconnecting';
});

// ---- nav stats ----
const statsEl = $('#nav-stats');
async function refreshStats() {
  try {
    const s = await api('/stats');
    statsEl.textContent = `${num(s.totalPackets ?? s.totalTransmissions)} pkts · ${num(s.totalNodes)} nodes · ${num(s.totalObservers)} obs`;
    statsEl.title = s.version ? `CoreScope ${s.version}${s.commit ? ' (' + String(s.commit).slice(0, 7) + ')' : ''}` : '';
  } catch (e) {
    statsEl.textContent = 'stats unavailable';
    statsEl.title = e.message;
  }
}
const statsSoon = debounce(() => { invalidate('/stats'); refreshStats(); }, 5000);
live.subscribe(() => statsSoon());

// ---- routes ----
const v = (name) => () => import(`./views/${name}.js`);
router.register('home', v('home'));
router.register('packets', v('packets'), { fixed: true });
router.register('packet', v('packet-page'));
router.register('map', v('map'), { fixed: true });
router.register('live', v('livemap'), { fixed: true });
router.register('channels', v('channels'), { fixed: true });
// #/nodes/{pk} is the full node page, except for the history entry the nodes list wrote while
// its side panel was open (history.state.nodesPanel): Back from the full page returns there.
const nodesList = (p) => !p.param || (!p.parts[1] && !!(history.state && history.state.nodesPanel));
router.register('nodes', (p) => (p.parts[1] === 'analytics' ? import('./views/node-analytics.js')
  : nodesList(p) ? import('./views/nodes.js') : import('./views/node-page.js')), { fixed: true, key: nodesList });
router.register('observers', (p) => (p.param ? import('./views/observer-page.js') : import('./views/observers.js')));
// Analytics (UI.md §8–§10); #/roles is the legacy address of the Roles tab.
router.register('analytics', v('analytics'));
router.register('compare', v('compare'));
router.register('roles', () => { history.replaceState(null, '', '#/analytics?tab=roles'); return import('./views/analytics.js'); });
// Tools, Perf, Audio Lab (UI.md §11). #/traces/{hash} is the legacy address of the trace viewer.
router.register('tools', (p) => (p.param === 'trace' ? import('./views/traces.js')
  : p.param === 'path-inspector' ? import('./views/path-inspector.js') : import('./views/tools.js')));
router.register('traces', (p) => {
  history.replaceState(null, '', '#/tools/trace' + (p.param ? '/' + encodeURIComponent(p.param) : ''));
  return import('./views/traces.js').then((m) => ({ mount: (el) => m.mount(el, { ...p, parts: ['trace', p.param || ''] }), unmount: m.unmount }));
});
router.register('perf', v('perf'));
router.register('audio-lab', v('audio-lab'));

/** applyBranding puts the configured site name (/api/config/theme branding) on the shell. */
function applyBranding() {
  const b = config.theme.branding || {};
  const name = String(b.siteName || 'CoreScope');
  document.title = name;
  $('.brand').setAttribute('aria-label', `${name} home`);
  // The wordmark keeps its letter-spaced capitals for the default name.
  $('.brand-text').textContent = name === 'CoreScope' ? 'CORE SCOPE' : name;
  if (b.tagline) document.querySelector('meta[name="description"]').setAttribute('content', String(b.tagline));
}

async function boot() {
  await loadConfig();
  applyBranding();
  customizer.apply();
  renderRegionBar($('#region-bar'));
  live.start({ reconnectMs: config.client.wsReconnectMs || 3000 });
  refreshStats();
  // Nav stats poll: the server's stats cache TTL when configured (min 5 s), else 15 s.
  setInterval(refreshStats, Math.max(5000, cacheMs('stats', 15000)));
  router.start($('#app'));
}
boot();
