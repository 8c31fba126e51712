// App shell: boot sequence, nav (top + mobile bottom nav with More sheet), theme switch,
// live connection indicator, nav stats and route registration.
import { $, $$, store, debounce } from './dom.js';
import { api, loadConfig, config, invalidate } from './api.js';
import * as live from './live.js';
import * as router from './router.js';
import { renderRegionBar } from './region.js';
import { num } from './format.js';
import * as search from './search.js';
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
const moreBtn = $('#more-btn');
const moreSheet = $('#more-sheet');
function setMore(open) {
  moreSheet.hidden = !open;
  moreBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (open) { const a = moreSheet.querySelector('a'); if (a) a.focus(); }
}
moreBtn.addEventListener('click', (e) => { e.stopPropagation(); setMore(moreSheet.hidden); });
document.addEventListener('click', (e) => { if (!moreSheet.hidden && !moreSheet.contains(e.target)) setMore(false); });
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !moreSheet.hidden) { setMore(false); moreBtn.focus(); } });
moreSheet.addEventListener('click', () => setMore(false));
$('#skip-link').addEventListener('click', (e) => { e.preventDefault(); $('#app').focus(); });

router.onRoute((p) => {
  for (const a of $$('[data-route]')) {
    const on = a.dataset.route === p.route || (p.route === 'packet' && a.dataset.route === 'packets');
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  moreBtn.classList.toggle('active', ['nodes', 'observers', 'analytics', 'compare', 'tools', 'perf', 'audio-lab'].includes(p.route));
  document.body.dataset.route = p.route;
  // Toasts belong to the view that raised them; a new view starts clean.
  const toasts = $('#toasts');
  while (toasts.firstChild) toasts.removeChild(toasts.firstChild);
});

search.install($('#search-btn'));
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
router.register('nodes', (p) => (p.parts[1] === 'analytics' ? import('./views/node-analytics.js')
  : p.param ? import('./views/node-page.js') : import('./views/nodes.js')), { fixed: true, key: (p) => !p.param });
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

async function boot() {
  await loadConfig();
  customizer.apply();
  renderRegionBar($('#region-bar'));
  live.start({ reconnectMs: config.client.wsReconnectMs || 3000 });
  refreshStats();
  setInterval(refreshStats, 15000);
  router.start($('#app'));
}
boot();
