// Favourite nodes (UI.md §1.4): a ⭐ dropdown in the top bar listing the starred nodes (LS
// meshcore-favorites = array of public keys) with status, name and last-heard age, each
// linking to #/nodes/{pk} with an unstar button; node panels/pages get a star toggle.
import { h, store } from './dom.js';
import { api, config } from './api.js';
import { nodeStatus, timeAgo } from './format.js';

const KEY = 'meshcore-favorites';
const DOT = { active: '🟢', degraded: '🟡', silent: '🔴' };

/** favorites returns the starred public keys (lower-case). */
export function favorites() {
  const v = store.getJSON(KEY, []);
  return Array.isArray(v) ? v.filter((k) => typeof k === 'string').map((k) => k.toLowerCase()) : [];
}
export const isFavorite = (pk) => favorites().includes(String(pk).toLowerCase());

/** toggleFavorite stars or unstars pk and tells every open view ('favorites-changed'). */
export function toggleFavorite(pk) {
  const k = String(pk).toLowerCase();
  const list = favorites();
  store.setJSON(KEY, list.includes(k) ? list.filter((x) => x !== k) : [...list, k]);
  window.dispatchEvent(new CustomEvent('favorites-changed'));
}

/** starButton is the ☆/★ toggle for node pk (aria-pressed), kept in sync across views. */
export function starButton(pk, name) {
  const b = h('button', { type: 'button', class: 'btn star-btn' });
  const upd = () => {
    const on = isFavorite(pk);
    b.textContent = on ? '★ Favourite' : '☆ Favourite';
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.setAttribute('aria-label', `${on ? 'Remove' : 'Add'} ${name} ${on ? 'from' : 'to'} favourites`);
  };
  b.addEventListener('click', () => toggleFavorite(pk));
  const onChange = () => { if (!b.isConnected) window.removeEventListener('favorites-changed', onChange); else upd(); };
  window.addEventListener('favorites-changed', onChange);
  upd();
  return b;
}

/** install wires the nav ⭐ button to its menu. */
export function install(btn, menu) {
  let seq = 0;
  const close = () => { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); };
  const render = async () => {
    const my = ++seq;
    const keys = favorites();
    if (!keys.length) {
      menu.replaceChildren(h('p', { class: 'muted fav-empty' }, 'No favourites yet. Open a node and press ☆ Favourite to keep it here.'));
      return;
    }
    menu.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    const rows = await Promise.all(keys.slice(0, 30).map((k) => api(`/nodes/${encodeURIComponent(k)}/health`).then((r) => r.node, () => null)));
    if (my !== seq) return;
    menu.replaceChildren(...keys.slice(0, 30).map((k, i) => {
      const n = rows[i];
      const st = n ? nodeStatus(n, config.client.healthThresholds) : 'silent';
      const unstar = h('button', { type: 'button', class: 'fav-unstar', 'aria-label': `Remove ${n && n.name ? n.name : k.slice(0, 8)} from favourites` }, '✕');
      unstar.addEventListener('click', (e) => { e.stopPropagation(); toggleFavorite(k); render(); });
      return h('div', { class: 'fav-item' },
        h('a', { href: `#/nodes/${k}`, role: 'menuitem' },
          h('span', { 'aria-label': st, role: 'img' }, DOT[st]), ' ', String((n && n.name) || k.slice(0, 8)), ' ',
          n ? h('span', { class: 'muted' }, timeAgo(n.last_heard || n.last_seen)) : h('span', { class: 'muted' }, 'not found')),
        unstar);
    }));
  };
  btn.addEventListener('click', (e) => {
    e.stopPropagation();
    const open = menu.hidden;
    menu.hidden = !open;
    btn.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) render();
  });
  menu.addEventListener('click', (e) => { if (e.target.closest('a')) close(); });
  document.addEventListener('click', (e) => { if (!menu.hidden && !menu.contains(e.target) && e.target !== btn) close(); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !menu.hidden) { close(); btn.focus(); } });
  window.addEventListener('favorites-changed', () => { if (!menu.hidden) render(); });
}
