// Hop display: path hops are short hex prefixes of node public keys. We resolve them against
// the node list (one /api/nodes fetch, cached) and prefer the server's resolved_path when given.
import { h } from './dom.js';
import { api } from './api.js';
import { roleKey } from './format.js';

let loading = null;
let byKey = new Map();
let nodes = [];

/** loadNodes fetches the node list once (shared, cached 90 s) and indexes it. */
export function loadNodes() {
  if (!loading) {
    loading = api('/nodes?limit=5000', { ttl: 90000 }).then((r) => {
      nodes = (r && r.nodes) || [];
      byKey = new Map(nodes.map((n) => [String(n.public_key).toLowerCase(), n]));
      return nodes;
    }).catch((e) => { loading = null; throw e; });
  }
  return loading;
}

/** resetNodes forces the next loadNodes() to refetch (e.g. after new adverts). */
export function resetNodes() { loading = null; }
export const nodeByKey = (k) => byKey.get(String(k || '').toLowerCase()) || null;
export const allNodes = () => nodes;

/** candidates returns nodes whose key starts with the hop prefix, repeaters/rooms first. */
export function candidates(prefix) {
  const p = String(prefix || '').toLowerCase();
  if (!p) return [];
  const out = [];
  for (const n of nodes) if (String(n.public_key).toLowerCase().startsWith(p)) out.push(n);
  const infra = out.filter((n) => ['repeater', 'room'].includes(roleKey(n.role)));
  return infra.length ? infra : out;
}

/** resolveHop returns {name, node, ambiguous} for a hop (resolvedKey from the server wins). */
export function resolveHop(hop, resolvedKey) {
  if (resolvedKey) {
    const n = nodeByKey(resolvedKey);
    if (n) return { name: n.name || hop, node: n, ambiguous: false };
  }
  const c = candidates(hop);
  if (c.length === 1) return { name: c[0].name || hop, node: c[0], ambiguous: false };
  if (c.length > 1) return { name: c[0].name || hop, node: c[0], ambiguous: true, count: c.length };
  return { name: null, node: null, ambiguous: false };
}

/** hopPills renders "A → B → C" as pill elements. hex=true shows raw prefixes. */
export function hopPills(list, resolved, opts = {}) {
  const out = [];
  list.forEach((hop, i) => {
    if (i) out.push(h('span', { class: 'hop-sep', 'aria-hidden': 'true' }, '→'));
    const r = opts.hex ? { name: null } : resolveHop(hop, Array.isArray(resolved) ? resolved[i] : null);
    const label = r.name ? r.name + (r.ambiguous ? ' ⚠' : '') : String(hop);
    const title = r.name ? `${hop}: ${r.name}${r.ambiguous ? ` (ambiguous: ${r.count} nodes share this prefix)` : ''}` : `${hop}: unknown node`;
    if (opts.link && r.node) {
      out.push(h('a', { class: 'hop', href: `#/nodes/${encodeURIComponent(r.node.public_key)}`, title }, label));
    } else {
      out.push(h('span', { class: 'hop' + (r.name ? '' : ' unknown'), title }, label));
    }
  });
  if (!list.length && opts.emptyText !== false) out.push(h('span', { class: 'muted' }, opts.emptyText || 'direct'));
  return out;
}
