// Global search (Ctrl/Cmd+K or the 🔍 button): packets by hash, nodes by name/key prefix,
// channels by name. A modal dialog with a combobox input and a listbox of results.
import { h, clear, debounce } from './dom.js';
import { api, qs, cacheMs } from './api.js';
import { navigate } from './router.js';
import { ROLE_LABELS, roleKey, typeName } from './format.js';

let overlay = null;
let input = null;
let list = null;
let status = null;
let restoreFocus = null;
let seq = 0;

function close() {
  if (!overlay || overlay.hidden) return;
  overlay.hidden = true;
  if (restoreFocus && restoreFocus.focus) restoreFocus.focus();
}

function go(href) {
  close();
  navigate(href);
}

function option(kind, label, href) {
  const li = h('li', { role: 'option', tabindex: '-1', class: 'search-opt', dataset: { href } },
    h('span', { class: 'badge tb' }, kind), ' ', label);
  li.addEventListener('click', () => go(href));
  return li;
}

async function run(q) {
  const my = ++seq;
  if (!q) { clear(list); status.textContent = ''; input.setAttribute('aria-expanded', 'false'); return; }
  status.textContent = 'Searching…';
  // The table shows 8 hash characters: any hex prefix of 6+ characters is a packet search.
  const isHash = /^[0-9a-f]{6,16}$/i.test(q);
  try {
    const [pk, nd, ch] = await Promise.all([
      isHash ? api('/packets' + qs({ limit: 5, hash: q.toLowerCase() })) : Promise.resolve({ packets: [] }),
      api('/nodes/search' + qs({ q })),
      api('/channels', { ttl: cacheMs('channels', 60000) }),
    ]);
    if (my !== seq) return;
    const ql = q.toLowerCase();
    const opts = [
      ...((pk && pk.packets) || []).slice(0, 5).map((p) => option('Packet', `${p.hash} · ${typeName(p.payload_type)}`, `#/packets/${p.hash}`)),
      ...((nd && nd.nodes) || []).slice(0, 5).map((n) => option('Node', `${n.name || n.public_key.slice(0, 8)} · ${ROLE_LABELS[roleKey(n.role)] || n.role || ''}`, `#/nodes/${n.public_key}`)),
      ...((ch && ch.channels) || []).filter((c) => String(c.name || c.hash).toLowerCase().includes(ql)).slice(0, 5)
        .map((c) => option('Channel', String(c.name || c.hash), `#/channels/${encodeURIComponent(c.hash)}`)),
    ];
    clear(list).append(...opts);
    input.setAttribute('aria-expanded', opts.length ? 'true' : 'false');
    status.textContent = opts.length ? `${opts.length} results` : 'No results found';
  } catch (e) {
    if (my !== seq) return;
    clear(list);
    status.textContent = `Search error: ${e.message}`;
  }
}

function build() {
  input = h('input', {
    type: 'search', placeholder: 'Search packets, nodes, channels…', 'aria-label': 'Search',
    role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'search-results', 'aria-autocomplete': 'list', autocomplete: 'off',
  });
  list = h('ul', { id: 'search-results', role: 'listbox', class: 'search-list', 'aria-label': 'Results' });
  status = h('div', { class: 'muted search-status', role: 'status', 'aria-live': 'polite' });
  const box = h('div', { class: 'search-box', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Search' }, input, status, list);
  overlay = h('div', { class: 'search-overlay', hidden: true }, box);
  overlay.addEventListener('click', (e) => { if (e.target === overlay) close(); });
  input.addEventListener('input', debounce(() => run(input.value.trim()), 300));
  box.addEventListener('keydown', (e) => {
    const opts = [...list.querySelectorAll('[role=option]')];
    const i = opts.indexOf(document.activeElement);
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
    else if (e.key === 'ArrowDown' && opts.length) { e.preventDefault(); opts[Math.min(opts.length - 1, i + 1)].focus(); }
    else if (e.key === 'ArrowUp' && opts.length) { e.preventDefault(); if (i <= 0) input.focus(); else opts[i - 1].focus(); }
    else if ((e.key === 'Enter' || e.key === ' ') && i >= 0) { e.preventDefault(); go(opts[i].dataset.href); }
    else if (e.key === 'Tab') { e.preventDefault(); (document.activeElement === input && opts.length ? opts[0] : input).focus(); }
  });
  document.body.appendChild(overlay);
}

/** open shows the search dialog and focuses its input. */
export function open() {
  if (!overlay) build();
  restoreFocus = document.activeElement;
  overlay.hidden = false;
  input.select();
  input.focus();
}

/** install wires the nav button and Ctrl/Cmd+K. */
export function install(button) {
  button.addEventListener('click', open);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && (e.key === 'k' || e.key === 'K')) { e.preventDefault(); open(); }
  });
}
