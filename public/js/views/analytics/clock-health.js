// Clock Health tab (/api/nodes/clock-skew): how far node clocks are off, by severity. Filter
// buttons with counts; sortable table, worst first.
import { h, clear } from '../../dom.js';
import { get, empty, sortTable, nodeLink, num } from './common.js';
import { ago } from '../../format.js';

const SEVS = ['ok', 'warning', 'critical', 'absurd', 'no_clock', 'bimodal_clock'];
const RANK = { absurd: 5, no_clock: 4, critical: 3, bimodal_clock: 2, warning: 1, ok: 0 };

/** skewText renders seconds as a signed human duration (+ = node clock ahead). */
export function skewText(sec) {
  if (sec === null || sec === undefined || Number.isNaN(+sec)) return '—';
  const a = Math.abs(sec); const sign = sec > 0 ? '+' : sec < 0 ? '−' : '';
  if (a < 60) return `${sign}${a.toFixed(1)} s`;
  if (a < 3600) return `${sign}${(a / 60).toFixed(1)} min`;
  if (a < 86400 * 2) return `${sign}${(a / 3600).toFixed(1)} h`;
  if (a < 86400 * 365 * 2) return `${sign}${(a / 86400).toFixed(1)} d`;
  return `${sign}${(a / 86400 / 365).toFixed(1)} y`;
}
export const sevBadge = (s) => h('span', { class: `sev sev-${s}` }, String(s || 'unknown').replace('_', ' '));

export async function render(ctx) {
  let list;
  try { list = await get('/nodes/clock-skew', { area: ctx.q.area }); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Node clock health')); return; }
  list = Array.isArray(list) ? list : [];
  const counts = {};
  for (const r of list) counts[r.severity] = (counts[r.severity] || 0) + 1;
  let sel = ctx.query.get('severity') || 'all';
  const bar = h('div', { class: 'an-toolbar', role: 'group', 'aria-label': 'Severity filter' });
  const box = h('div');
  const draw = () => {
    for (const b of bar.children) b.setAttribute('aria-pressed', b.dataset.sev === sel ? 'true' : 'false');
    const rows = list.filter((r) => sel === 'all' || r.severity === sel);
    clear(box).appendChild(rows.length ? sortTable([
      { key: 'nodeName', label: 'Name', fmt: (r) => nodeLink(r.nodeName || r.pubkey.slice(0, 8), r.pubkey) },
      { key: 'skew', label: 'Skew', num: true, sortVal: (r) => Math.abs(r.recentMedianSkewSec ?? r.medianSkewSec ?? 0), fmt: (r) => skewText(r.recentMedianSkewSec ?? r.medianSkewSec) },
      { key: 'severity', label: 'Severity', sortVal: (r) => RANK[r.severity] ?? 0, fmt: (r) => sevBadge(r.severity) },
      { key: 'driftPerDaySec', label: 'Drift Rate', num: true, fmt: (r) => (r.driftPerDaySec ? `${skewText(r.driftPerDaySec)}/day` : '—') },
      { key: 'sampleCount', label: 'Samples', num: true },
      { key: 'lastAdvertTS', label: 'Last Advert', num: true, fmt: (r) => (r.lastObservedTS ? ago(r.lastObservedTS * 1000) : '—') },
    ], rows, { caption: 'Node clock skew', sort: 'severity', id: 'clock-table' }) : empty(list.length ? 'No node in this severity class.' : 'No node has sent an advert with a timestamp yet.'));
  };
  for (const s of ['all', ...SEVS]) {
    if (s !== 'all' && !counts[s] && (s === 'bimodal_clock')) continue;
    bar.appendChild(h('button', { type: 'button', class: 'btn', dataset: { sev: s }, onclick: () => { sel = s; ctx.setParams({ severity: s === 'all' ? '' : s }); draw(); } },
      `${s === 'all' ? 'All' : s.replace('_', ' ')} (${num(s === 'all' ? list.length : counts[s] || 0)})`));
  }
  ctx.el.append(h('p', { class: 'an-desc' }, 'Node clocks compared with the time observers heard their adverts (corrected for observer clock offsets). ok < 5 min, warning < 1 h, critical < 30 days, absurd beyond, no clock = more than a year off (never set).'), bar, box);
  draw();
}
