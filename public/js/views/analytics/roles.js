// Roles tab (/api/analytics/roles, refreshed every 60 s while open): nodes per role with their
// share and clock-skew summary.
import { h, clear } from '../../dom.js';
import { get, card, empty, sortTable, num } from './common.js';
import { api } from '../../api.js';
import { ROLE_LABELS } from '../../format.js';
import { roleColor } from '../../mapbase.js';
import { skewText } from './clock-health.js';

export async function render(ctx) {
  const box = h('div');
  const draw = (d) => {
    const roles = d.roles || [];
    const total = d.totalNodes || roles.reduce((a, r) => a + r.nodeCount, 0) || 1;
    clear(box).appendChild(card('🧭 Roles', `${num(d.totalNodes)} nodes by advertised role, with how far their clocks are off.`,
      roles.length ? sortTable([
        { key: 'role', label: 'Role', fmt: (r) => h('span', null, h('span', { class: 'sw', style: { background: roleColor(r.role), display: 'inline-block', width: '10px', height: '10px', marginRight: '6px', borderRadius: '2px' } }), ROLE_LABELS[r.role] || r.role) },
        { key: 'nodeCount', label: 'Count', num: true },
        { key: 'share', label: 'Share', num: true, sortVal: (r) => r.nodeCount, fmt: (r) => `${((r.nodeCount / total) * 100).toFixed(1)}%` },
        { key: 'bar', label: 'Distribution', sortable: false, fmt: (r) => h('span', { class: 'freq mark', style: { width: `${Math.max(2, (r.nodeCount / total) * 160)}px`, background: roleColor(r.role) } }) },
        { key: 'withSkew', label: 'w/ Skew', num: true },
        { key: 'medianAbsSkewSec', label: 'Median abs skew', num: true, fmt: (r) => (r.withSkew ? skewText(r.medianAbsSkewSec) : '—') },
        { key: 'meanAbsSkewSec', label: 'Mean abs skew', num: true, fmt: (r) => (r.withSkew ? skewText(r.meanAbsSkewSec) : '—') },
        { key: 'sev', label: 'Severity breakdown', sortable: false, fmt: (r) => `ok ${r.okCount} · warn ${r.warningCount} · crit ${r.criticalCount} · absurd ${r.absurdCount} · no clock ${r.noClockCount}` },
      ], roles, { caption: 'Nodes by role', sort: 'nodeCount', id: 'roles-table' }) : empty('No nodes known yet.'), { id: 'roles-card' }));
  };
  let d;
  try { d = await get('/analytics/roles'); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Role statistics')); return; }
  draw(d);
  ctx.el.appendChild(box);
  const timer = setInterval(async () => {
    try { const nd = await api('/analytics/roles'); if (ctx.alive()) draw(nd); } catch { /* keep the last table; the next tick retries */ }
  }, 60000);
  return () => clearInterval(timer);
}
