// Nodes tab: network status and role breakdown over /api/nodes (health thresholds from the
// client config), plus short ranked lists from /api/nodes/bulk-health (most active, best
// signal, most observed, recently active) and the user's starred nodes.
import { h } from '../../dom.js';
import { store } from '../../dom.js';
import { config } from '../../api.js';
import { get, card, grid, stat, stats, empty, sortTable, nodeLink, num, fixed } from './common.js';
import { hbars } from './charts.js';
import { nodeStatus, STATUS_SHAPE, roleKey, ROLE_LABELS, ago, absTime } from '../../format.js';
import { roleColor } from '../../mapbase.js';

function ranked(title, desc, rows, valueLabel, value, fmt, id) {
  return card(title, desc, rows.length ? sortTable([
    { key: 'name', label: 'Node', sortable: false, fmt: (r) => nodeLink(r.name, r.public_key) },
    { key: 'v', label: valueLabel, num: true, sortable: false, fmt: (r) => fmt(value(r)) },
  ], rows, { caption: title }) : empty('No nodes with data yet.'), { id });
}

export async function render(ctx) {
  const q = { region: ctx.q.region, area: ctx.q.area };
  let list; let bulk;
  try {
    [list, bulk] = await Promise.all([get('/nodes', { limit: 10000, sortBy: 'lastSeen', ...q }), get('/nodes/bulk-health', { limit: 50, ...q })]);
  } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Node statistics')); return; }
  const nodes = list.nodes || [];
  const thr = config.client.healthThresholds;
  const st = { active: 0, degraded: 0, silent: 0 };
  const roles = new Map();
  for (const n of nodes) {
    st[nodeStatus(n, thr)]++;
    const r = roleKey(n.role);
    roles.set(r, (roles.get(r) || 0) + 1);
  }
  ctx.el.appendChild(stats(
    stat('Nodes', num(nodes.length), 'matching the filters'),
    stat(`${STATUS_SHAPE.active} Active`, h('span', { class: 'status-active' }, num(st.active)), 'heard recently'),
    stat(`${STATUS_SHAPE.degraded} Degraded`, h('span', { class: 'status-degraded' }, num(st.degraded)), 'quiet longer than usual'),
    stat(`${STATUS_SHAPE.silent} Silent`, h('span', { class: 'status-silent' }, num(st.silent)), 'not heard for a long time')));
  const favs = new Set(store.getJSON('meshcore-favorites', []).map((k) => String(k).toLowerCase()));
  const mine = nodes.filter((n) => favs.has(String(n.public_key).toLowerCase()));
  const B = Array.isArray(bulk) ? bulk : [];
  const stt = (r) => r.stats || {};
  const by = (f) => B.filter((r) => f(r) !== null && f(r) !== undefined).sort((a, b) => f(b) - f(a)).slice(0, 10);
  ctx.el.appendChild(grid(
    card('🧭 Role Breakdown', 'Nodes by advertised role.',
      roles.size ? hbars([...roles.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => ({ label: ROLE_LABELS[r] || r, value: n, color: roleColor(r) })), { label: 'Nodes by role' })
        : empty('No nodes match the filters.'), { id: 'nodes-roles', chart: 'role-breakdown' }),
    card('⭐ My Starred Nodes', 'Nodes you starred (kept in this browser).',
      mine.length ? sortTable([
        { key: 'name', label: 'Node', fmt: (r) => nodeLink(r.name, r.public_key) },
        { key: 'status', label: 'Status', sortable: false, fmt: (r) => { const s = nodeStatus(r, thr); return h('span', { class: `status status-${s}` }, `${STATUS_SHAPE[s]} ${s}`); } },
        { key: 'last_seen', label: 'Last Seen', fmt: (r) => h('span', { title: absTime(r.last_seen) }, ago(r.last_seen)) },
      ], mine, { caption: 'Starred nodes' }) : empty('No starred nodes: star a node on its page (☆) to follow it here.'), { id: 'nodes-mine' }),
    ranked('🔥 Most Active Nodes', 'Most transmissions among the 50 most recently heard nodes.', by((r) => stt(r).totalTransmissions), 'Packets', (r) => stt(r).totalTransmissions, num, 'nodes-active'),
    ranked('📶 Best Signal Quality', 'Highest average SNR at the observers.', by((r) => stt(r).avgSnr), 'Avg SNR', (r) => stt(r).avgSnr, (v) => `${fixed(v)} dB`, 'nodes-signal'),
    ranked('👁 Most Observed Nodes', 'Heard by the most observers.', by((r) => (r.observers || []).length || null), 'Observers', (r) => (r.observers || []).length, num, 'nodes-observed'),
    ranked('🕐 Recently Active', 'Most recently heard nodes.', B.slice(0, 10), 'Last heard', (r) => stt(r).lastHeard, (v) => ago(v), 'nodes-recent')));
}
