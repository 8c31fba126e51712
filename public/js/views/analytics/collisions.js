// Hash Issues tab (/api/analytics/hash-collisions): inconsistent hash sizes, the 16×16 hash
// usage matrix (1-byte prefixes; for 2 bytes the cells group by first byte), and the collisions
// actually observed among repeaters of the same size.
import { h, clear, replace } from '../../dom.js';
import { get, card, empty, sortTable, nodeLink, num } from './common.js';

const HEX = '0123456789ABCDEF';

function nodeList(nodes) {
  return h('ul', { class: 'an-list' }, ...nodes.map((n) => h('li', null, nodeLink(n.name, n.public_key), ' ',
    h('span', { class: 'mono muted' }, String(n.public_key || '').slice(0, 8)), n.lat || n.lon ? '' : h('span', { class: 'muted' }, ' (no GPS)'))));
}

/** matrix draws the 16×16 grid; cells() returns {count, multi, nodes, label} per "XY" prefix. */
function matrix(cellInfo, detail) {
  const grid = h('div', { class: 'an-matrix', role: 'grid', 'aria-label': 'Hash usage matrix: rows = first hex digit, columns = second' });
  grid.appendChild(h('span', { class: 'hd' }));
  for (const c of HEX) grid.appendChild(h('span', { class: 'hd', 'aria-hidden': 'true' }, c));
  let pressed = null;
  for (const r of HEX) {
    grid.appendChild(h('span', { class: 'hd', 'aria-hidden': 'true' }, r));
    for (const c of HEX) {
      const key = r + c;
      const info = cellInfo(key);
      const b = h('button', {
        type: 'button', class: 'cell' + (info.multi ? ' multi' : ''), dataset: { n: String(Math.min(info.count, 2)), prefix: key },
        'aria-pressed': 'false', 'aria-label': `${key}: ${info.label}`, title: `${key}: ${info.label}`,
      });
      b.addEventListener('click', () => {
        if (pressed) pressed.setAttribute('aria-pressed', 'false');
        pressed = b; b.setAttribute('aria-pressed', 'true');
        replace(detail, h('h4', null, `Prefix ${key}`), h('p', null, info.label), info.nodes.length ? nodeList(info.nodes) : null);
      });
      grid.appendChild(b);
    }
  }
  return grid;
}

function sizeView(size, bucket) {
  const st = (bucket && bucket.stats) || {};
  const detail = h('div', { class: 'an-matrix-detail', 'aria-live': 'polite' }, h('p', { class: 'an-note' }, 'Select a cell to see the repeaters using that prefix.'));
  let grid = null;
  if (size === '1' && bucket.one_byte_cells) {
    grid = matrix((k) => {
      const nodes = bucket.one_byte_cells[k] || [];
      return { count: nodes.length, multi: nodes.length > 2, nodes, label: nodes.length ? `${nodes.length} repeater${nodes.length > 1 ? 's' : ''}${nodes.length > 1 ? ' — collision' : ''}` : 'unused' };
    }, detail);
  } else if (size === '2' && bucket.two_byte_cells) {
    grid = matrix((k) => {
      const c = bucket.two_byte_cells[k] || { group_nodes: [], two_byte_map: {}, collision_count: 0, max_collision: 0 };
      const n = (c.group_nodes || []).length;
      const coll = c.collision_count || 0;
      const nodes = Object.values(c.two_byte_map || {}).filter((l) => l.length > 1).flat();
      return { count: coll ? 2 : n ? 1 : 0, multi: (c.max_collision || 0) > 2, nodes, label: n ? `${n} repeaters start with ${k}; ${coll} colliding 2-byte prefix${coll === 1 ? '' : 'es'}` : 'unused' };
    }, detail);
  }
  return h('div', null,
    h('p', { class: 'an-note' }, `${num(st.using_this_size)} repeaters use ${size}-byte hashes; ${num(st.unique_prefixes)} distinct prefixes of ${num(st.space_size)} (${(+st.pct_used || 0).toFixed(2)}% used), ${num(st.collision_count)} collisions.`),
    grid || h('p', { class: 'an-note' }, size === '3' ? 'A 3-byte prefix space has 16.7 million values; collisions are listed below.' : ''),
    detail);
}

export async function render(ctx) {
  let d;
  try { d = await get('/analytics/hash-collisions', ctx.q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Hash collision analysis')); return; }
  const by = d.by_size || {};
  ctx.el.appendChild(h('nav', { class: 'an-toolbar', 'aria-label': 'Jump to' }, 'Jump to: ',
    h('a', { class: 'btn', href: '#hc-inconsistent' }, 'Inconsistent sizes'),
    h('a', { class: 'btn', href: '#hc-matrix' }, 'Usage matrix'),
    h('a', { class: 'btn', href: '#hc-risk' }, 'Collision risk'),
    h('a', { class: 'btn', href: '#/analytics?tab=prefix-tool' }, 'Prefix Tool →')));
  for (const a of ctx.el.querySelectorAll('a[href^="#hc-"]')) {
    a.addEventListener('click', (e) => { e.preventDefault(); const id = a.getAttribute('href').slice(1); document.getElementById(id)?.scrollIntoView(); ctx.setParams({ section: id }); });
  }
  const inc = d.inconsistent_nodes || [];
  ctx.el.appendChild(card('⚠️ Inconsistent Hash Sizes', 'Repeaters and room servers seen advertising more than one hash size (usually a firmware change).',
    inc.length ? sortTable([
      { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name, r.public_key) },
      { key: 'role', label: 'Role' },
      { key: 'hash_size', label: 'Current', num: true },
      { key: 'seen', label: 'Sizes seen', sortable: false, fmt: (r) => (r.hash_sizes_seen || []).join(', ') || '—' },
    ], inc, { caption: 'Nodes with inconsistent hash sizes', sort: 'name', dir: 'asc' }) : empty('Every repeater advertises one consistent hash size.'), { id: 'hc-inconsistent' }));
  const sizes = ['1', '2', '3'].filter((s) => by[s]);
  const tabs = h('div', { class: 'an-toolbar', role: 'group', 'aria-label': 'Hash size' });
  const view = h('div');
  const pick = (sz) => {
    for (const b of tabs.children) b.setAttribute('aria-pressed', b.dataset.size === sz ? 'true' : 'false');
    clear(view).appendChild(sizeView(sz, by[sz]));
  };
  for (const sz of sizes) tabs.appendChild(h('button', { type: 'button', class: 'btn', dataset: { size: sz }, onclick: () => pick(sz) }, `${sz}-byte`));
  if (sizes.length) pick(sizes[0]);
  ctx.el.appendChild(card('🟩 Hash Usage Matrix', 'Each cell is a 1-byte prefix (row = first hex digit, column = second); colour = how many repeaters share it (green 1, amber 2, red 3+).',
    sizes.length ? [tabs, view] : empty('No repeater hash data yet.'), { id: 'hc-matrix' }));
  const risk = sizes.flatMap((sz) => (by[sz].collisions || []).map((c) => ({ ...c, size: sz })));
  ctx.el.appendChild(card('🎯 Collision Risk', 'Prefixes actually shared by repeaters of the same configured size (local = within 50 km: packets may be attributed to the wrong repeater).',
    risk.length ? sortTable([
      { key: 'prefix', label: 'Prefix', fmt: (r) => h('span', { class: 'mono' }, String(r.prefix)) },
      { key: 'byte_size', label: 'Bytes', num: true },
      { key: 'classification', label: 'Class' },
      { key: 'max_dist_km', label: 'Max distance (km)', num: true, dp: 1 },
      { key: 'appearances', label: 'Appearances', num: true },
      { key: 'nodes', label: 'Repeaters', sortable: false, fmt: (r) => h('span', null, ...r.nodes.flatMap((n, i) => [i ? ', ' : '', nodeLink(n.name, n.public_key)])) },
    ], risk, { caption: 'Observed hash prefix collisions', sort: 'appearances', id: 'hc-risk-table' }) : empty('No two repeaters of the same hash size share a prefix.'), { id: 'hc-risk' }));
  ctx.el.appendChild(h('p', { class: 'an-note' }, 'Theoretical collisions (any two nodes, any size) are in the ', h('a', { href: '#/analytics?tab=prefix-tool' }, 'Prefix Tool'), '.'));
}
