// RF Health tab: one card per observer with a noise-floor sparkline
// (/api/observers/metrics/summary?window=), and for the selected observer the detail charts
// (/api/observers/{id}/metrics?since=&until=&resolution=): noise floor, TX/RX airtime, receive
// error rate and battery, with reboot markers. URL keeps range, observer, from and to.
import { h, clear, replace } from '../../dom.js';
import { get, card, grid, empty, num, fixed } from './common.js';
import { line, legend, sparkline, PALETTE } from './charts.js';
import { parseTime, absTime } from '../../format.js';

const RANGES = ['1h', '3h', '6h', '12h', '24h', '3d', '7d', '30d'];
const HOURS = { '1h': 1, '3h': 3, '6h': 6, '12h': 12, '24h': 24, '3d': 72, '7d': 168, '30d': 720 };

/** resolution picks the sample bucket so a range stays a few hundred points. */
const resolution = (hours) => (hours <= 24 ? '5m' : hours <= 24 * 7 ? '1h' : '1d');
const isoLocal = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };

function stat(arr) {
  const v = arr.filter((x) => x !== null && x !== undefined);
  if (!v.length) return null;
  return { cur: v[v.length - 1], avg: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v) };
}

export async function render(ctx) {
  const qp = ctx.query;
  let range = RANGES.includes(qp.get('range')) ? qp.get('range') : (qp.get('from') ? 'custom' : '24h');
  let selected = qp.get('observer') || '';
  let from = qp.get('from') || ''; let to = qp.get('to') || '';
  const bar = h('div', { class: 'an-toolbar', role: 'group', 'aria-label': 'Time range' });
  const fromIn = h('input', { type: 'datetime-local', 'aria-label': 'From', value: from ? isoLocal(Date.parse(from)) : '' });
  const toIn = h('input', { type: 'datetime-local', 'aria-label': 'To', value: to ? isoLocal(Date.parse(to)) : '' });
  const custom = h('span', { class: 'an-toolbar', hidden: range !== 'custom' }, fromIn, toIn,
    h('button', { type: 'button', class: 'btn', onclick: () => {
      const f = Date.parse(fromIn.value); const t = toIn.value ? Date.parse(toIn.value) : Date.now();
      if (Number.isNaN(f) || t <= f) { clear(detail).appendChild(empty('Pick a start time before the end time.')); return; }
      from = new Date(f).toISOString(); to = new Date(t).toISOString(); range = 'custom'; sync(); loadCards();
    } }, 'Apply'));
  const buttons = [...RANGES, 'custom'].map((r) => h('button', { type: 'button', class: 'btn', dataset: { range: r }, 'aria-pressed': r === range ? 'true' : 'false', onclick: () => {
    if (r === 'custom') { custom.hidden = false; fromIn.focus(); return; }
    range = r; from = ''; to = ''; custom.hidden = true; sync(); loadCards();
  } }, r === 'custom' ? 'Custom' : r));
  bar.append(...buttons, custom);
  const cards = h('div', { class: 'rfh-cards', id: 'rfh-cards' });
  const detail = h('div', { id: 'rfh-detail' });
  ctx.el.append(h('p', { class: 'an-desc' }, 'Radio health reported by observers: noise floor, airtime and receive errors. Select an observer for its charts.'), bar, cards, detail);

  function sync() {
    for (const b of buttons) b.setAttribute('aria-pressed', b.dataset.range === range ? 'true' : 'false');
    ctx.setParams({ range: range === 'custom' ? '' : range, observer: selected, from: range === 'custom' ? from : '', to: range === 'custom' ? to : '' });
  }
  function span() {
    if (range === 'custom') { const f = Date.parse(from); const t = to ? Date.parse(to) : Date.now(); return { since: new Date(f).toISOString(), until: new Date(t).toISOString(), hours: Math.max(1, (t - f) / 3600e3) }; }
    const hr = HOURS[range];
    return { since: new Date(Date.now() - hr * 3600e3).toISOString(), until: '', hours: hr };
  }
  async function loadCards() {
    const sp = span();
    const win = range === 'custom' ? `${Math.ceil(sp.hours)}h` : range;
    clear(cards).appendChild(h('p', { class: 'loading' }, 'Loading observers…'));
    let sum;
    try { sum = await get('/observers/metrics/summary', { window: win, region: ctx.q.region && !ctx.q.region.includes(',') ? ctx.q.region : '' }); } catch (e) { clear(cards).appendChild(ctx.failure(e, 'Observer radio metrics')); return; }
    if (!ctx.alive()) return;
    const obs = sum.observers || [];
    clear(cards);
    if (!obs.length) { cards.appendChild(empty('No observer reported radio metrics in this range (metrics come from observer status messages).')); clear(detail); return; }
    for (const o of obs) {
      const b = h('button', { type: 'button', class: 'rfh-card', 'aria-pressed': o.observer_id === selected ? 'true' : 'false', dataset: { id: o.observer_id } },
        h('span', { class: 'nm' }, String(o.observer_name || o.observer_id)),
        h('span', { class: 'meta' }, `${o.iata ? o.iata + ' · ' : ''}NF ${o.current_noise_floor ?? '—'} dBm (avg ${fixed(o.avg_noise_floor_24h)}, max ${o.max_noise_floor_24h ?? '—'}) · ${num(o.sample_count)} samples`),
        sparkline(o.sparkline || [], { width: 200, height: 30, label: `Noise floor trend of ${o.observer_name || o.observer_id}` }));
      b.addEventListener('click', () => { selected = o.observer_id; for (const c of cards.children) c.setAttribute('aria-pressed', c === b ? 'true' : 'false'); sync(); loadDetail(); });
      cards.appendChild(b);
    }
    if (selected) loadDetail(); else clear(detail);
  }
  async function loadDetail() {
    const sp = span();
    clear(detail).appendChild(h('p', { class: 'loading' }, 'Loading observer metrics…'));
    let m;
    try { m = await get(`/observers/${encodeURIComponent(selected)}/metrics`, { since: sp.since, until: sp.until, resolution: resolution(sp.hours) }); } catch (e) { clear(detail).appendChild(ctx.failure(e, 'Observer metrics')); return; }
    if (!ctx.alive()) return;
    const ms = m.metrics || [];
    const t = (r) => parseTime(r.timestamp);
    const ser = (k) => ms.map((r) => [t(r), r[k] ?? null]);
    const nf = stat(ms.map((r) => r.noise_floor)); const tx = stat(ms.map((r) => r.tx_airtime_pct)); const rx = stat(ms.map((r) => r.rx_airtime_pct));
    const er = stat(ms.map((r) => r.recv_error_rate)); const bt = stat(ms.map((r) => r.battery_mv));
    const W = ctx.width('half');
    const reboots = (m.reboots || []).length;
    const chart = (title, desc, series, yLabel, id) => {
      const has = series.some((s) => s.points.some((p) => p[1] !== null));
      return card(title, desc, has ? [line({ series, width: W, time: true, markers: (m.reboots || []).map(parseTime), markerLabel: 'Reboot', xLabel: 'Time (UTC)', yLabel, label: `${title} of ${m.observer_name || selected}, ${ms.length} samples` }), series.length > 1 ? legend(series) : null]
        : empty(`No ${title.toLowerCase()} samples in this range.`), { id, chart: id });
    };
    replace(detail, 
      h('h3', null, `📡 ${m.observer_name || selected}`),
      h('p', { class: 'an-note', id: 'rfh-summary' },
        `NF ${nf ? `${fixed(nf.cur)} dBm (avg ${fixed(nf.avg)}, min ${fixed(nf.min)}, max ${fixed(nf.max)})` : '—'} · TX ${tx ? fixed(tx.avg, 2) + '%' : '—'} · RX ${rx ? fixed(rx.avg, 2) + '%' : '—'} · Err ${er ? fixed(er.avg, 2) + '%' : '—'} · Batt ${bt ? bt.cur + ' mV' : '—'}`,
        reboots ? ` · ${reboots} reboot${reboots > 1 ? 's' : ''}: ${m.reboots.map(absTime).join(', ')}` : ''),
      ms.length ? grid(
        chart('Noise Floor', 'Background RF noise at the observer (lower is better).', [{ name: 'Noise floor (dBm)', points: ser('noise_floor') }], 'dBm', 'rfh-nf'),
        chart('Airtime', 'Share of time the radio was transmitting / receiving.', [{ name: 'TX %', points: ser('tx_airtime_pct'), color: PALETTE[1] }, { name: 'RX %', points: ser('rx_airtime_pct'), color: PALETTE[0] }], 'Airtime (%)', 'rfh-air'),
        chart('Error Rate', 'Share of received frames that failed to decode.', [{ name: 'Receive errors (%)', points: ser('recv_error_rate'), color: PALETTE[5] }], 'Errors (%)', 'rfh-err'),
        chart('Battery', 'Observer supply voltage.', [{ name: 'Battery (mV)', points: ser('battery_mv'), color: PALETTE[2] }], 'mV', 'rfh-batt'))
        : empty('This observer sent no metrics in this range.'));
  }
  await loadCards();
}
