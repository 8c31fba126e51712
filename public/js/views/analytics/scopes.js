// Scopes tab (/api/scope-stats?window=1h|24h|7d, refreshed every 30 s): transport-route
// transmissions with and without a region scope, over time and by region.
import { h, clear, replace } from '../../dom.js';
import { get, card, stats, stat, empty, sortTable, num } from './common.js';
import { api, qs } from '../../api.js';
import { line, legend, PALETTE } from './charts.js';
import { parseTime } from '../../format.js';

const WINDOWS = ['1h', '24h', '7d'];

export async function render(ctx) {
  let win = WINDOWS.includes(ctx.query.get('scope')) ? ctx.query.get('scope') : '24h';
  const bar = h('div', { class: 'an-toolbar', role: 'group', 'aria-label': 'Scope window' });
  const box = h('div');
  const pct = (n, t) => (t ? `${((n / t) * 100).toFixed(1)}%` : '—');
  const draw = (d) => {
    const s = d.summary || {};
    const ts = d.timeSeries || [];
    const series = [
      { name: 'Scoped', color: PALETTE[2], points: ts.map((p) => [parseTime(p.t), p.scoped]) },
      { name: 'Unscoped', color: PALETTE[1], points: ts.map((p) => [parseTime(p.t), p.unscoped]) },
    ];
    replace(box, 
      stats(stat('Transport total', num(s.transportTotal), 'transport-route transmissions'),
        stat('Scoped', num(s.scoped), `${pct(s.scoped, s.transportTotal)} (${num(s.unknownScope)} unknown scope)`),
        stat('Unscoped', num(s.unscoped), pct(s.unscoped, s.transportTotal))),
      card('📈 Scoped vs Unscoped', 'Transport-route transmissions per bucket, with and without a region scope.',
        ts.length ? [line({ series, width: ctx.width('full'), time: true, xLabel: 'Time (UTC)', yLabel: 'Transmissions', label: `Scoped versus unscoped over ${win}, ${ts.length} buckets` }), legend(series)]
          : empty('No transport-route transmissions in this window.'), { id: 'scopes-time', chart: 'scopes-time' }),
      card('🗺️ By Region', 'Named scopes (regions) by message count.',
        (d.byRegion || []).length ? sortTable([{ key: 'name', label: 'Region' }, { key: 'count', label: 'Messages', num: true },
          { key: 'pct', label: '% of Scoped', num: true, sortVal: (r) => r.count, fmt: (r) => pct(r.count, s.scoped) }], d.byRegion, { caption: 'Scoped messages by region', sort: 'count', id: 'scopes-table' })
          : empty('No named scope in this window.'), { id: 'scopes-regions' }));
  };
  const load = async (fresh) => {
    const d = fresh ? await api('/scope-stats' + qs({ window: win })) : await get('/scope-stats', { window: win });
    if (ctx.alive()) draw(d);
  };
  for (const w of WINDOWS) {
    bar.appendChild(h('button', { type: 'button', class: 'btn', dataset: { window: w }, 'aria-pressed': w === win ? 'true' : 'false', onclick: async () => {
      win = w; for (const b of bar.children) b.setAttribute('aria-pressed', b.dataset.window === w ? 'true' : 'false');
      ctx.setParams({ scope: w === '24h' ? '' : w });
      clear(box).appendChild(h('p', { class: 'loading' }, 'Loading scopes…'));
      try { await load(false); } catch (e) { clear(box).appendChild(ctx.failure(e, 'Scope statistics')); }
    } }, w));
  }
  try { await load(false); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Scope statistics')); return; }
  ctx.el.append(h('p', { class: 'an-desc' }, 'Region scopes on transport routes (route types 0 and 3): how much traffic carries a scope, and which.'), bar, box);
  const timer = setInterval(() => { load(true).catch(() => { /* keep what is shown; retry next tick */ }); }, 30000);
  return () => clearInterval(timer);
}
