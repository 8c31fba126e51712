// Home (#/home): network numbers and entry points. (The full "My Mesh" dashboard is P1.)
import { h, clear } from '../dom.js';
import { api, errorBox, config } from '../api.js';
import { num } from '../format.js';

let alive = false;

function tile(k, v) { return h('div', { class: 'card stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v)); }

async function load(box) {
  try {
    const s = await api('/stats');
    if (!alive) return;
    clear(box).appendChild(h('div', { class: 'grid-cards' },
      tile('Transmissions', num(s.totalTransmissions ?? s.totalPackets)),
      tile('Observations', num(s.totalObservations)),
      tile('Nodes (7 d)', num(s.totalNodes)),
      tile('Observers', num(s.totalObservers)),
      // packetsLastHour/24h count observations (API.md): say so, next to the observation total.
      tile('Observations, last hour', num(s.packetsLastHour)),
      tile('Observations, last 24 h', num(s.packetsLast24h))));
  } catch (e) {
    if (alive) clear(box).appendChild(errorBox(e, () => load(box)));
  }
}

/** mdText renders the theme's mini markdown (**bold** only) as text nodes, never as HTML. */
function mdText(s) {
  return String(s || '').split(/\*\*(.+?)\*\*/g).map((part, i) => (i % 2 ? h('strong', null, part) : part));
}

/** content is the configurable part of Home (/api/config/theme `home` and `branding`). */
function content() {
  const b = config.theme.branding || {};
  const home = config.theme.home || {};
  const steps = Array.isArray(home.steps) ? home.steps : [];
  const links = Array.isArray(home.footerLinks) ? home.footerLinks : [];
  return {
    title: String(home.heroTitle || b.siteName || 'CoreScope'),
    subtitle: String(home.heroSubtitle || b.tagline || 'Real-time MeshCore LoRa mesh network analyzer'),
    steps: steps.length ? h('section', { class: 'section home-steps', 'aria-labelledby': 'home-steps-h' },
      h('h2', { id: 'home-steps-h' }, 'Getting started'),
      h('ol', { class: 'grid-cards home-steps-list' }, ...steps.map((st) => h('li', { class: 'card' },
        h('h3', null, `${st.emoji ? st.emoji + ' ' : ''}${st.title || ''}`), h('p', { class: 'muted' }, ...mdText(st.description)))))) : null,
    footer: links.length ? h('footer', { class: 'home-footer' }, ...links.filter((l) => l && l.url && /^(https?:\/\/|\/|#)/.test(String(l.url)))
      .map((l) => h('a', { href: String(l.url), rel: /^https?:/.test(String(l.url)) ? 'noopener noreferrer' : null }, String(l.label || l.url)))) : null,
  };
}

export function mount(el) {
  alive = true;
  const box = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  const link = (href, emoji, title, text) => h('a', { class: 'card', href, style: { textDecoration: 'none', color: 'inherit' } },
    h('h2', { style: { fontSize: '16px', margin: '0 0 4px' } }, `${emoji} ${title}`), h('p', { class: 'muted', style: { margin: 0 } }, text));
  const c = content();
  el.appendChild(h('section', { class: 'page' },
    h('h1', null, c.title),
    h('p', { class: 'muted' }, c.subtitle),
    box,
    h('div', { class: 'grid-cards', style: { marginTop: '16px', gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))' } },
      link('#/packets', '📦', 'Packets', 'Every packet heard, decoded byte by byte'),
      link('#/live', '🔴', 'Live', 'Watch packets travel across the mesh'),
      link('#/map', '🗺️', 'Map', 'Nodes by role and status'),
      link('#/nodes', '📡', 'Nodes', 'Repeaters, rooms, companions and sensors'),
      link('#/channels', '💬', 'Channels', 'Channel messages'),
      link('#/observers', '👁', 'Observers', 'Observer health')),
    c.steps, c.footer));
  return load(box);
}

export function unmount() { alive = false; }
