// Inline-SVG charts for the analytics tabs (UI.md §9: "All charts are inline SVG"). Every chart
// is an <svg role="img"> with an aria-label and a <title>, axes with units, and one element with
// class "mark" per data point (bars, dots), so a test can count what was drawn against the API
// response. Colours are CSS variables (analytics.css), so a theme switch restyles the charts
// without a redraw. Widths are passed in pixels by the tab (measured from the page) so text
// keeps its size on a 390 px phone instead of being scaled down by the viewBox.
import { h } from '../../dom.js';

const NS = 'svg:';
/** PALETTE: Wong colour-blind-safe series colours (legend + lines). */
export const PALETTE = ['#56B4E9', '#E69F00', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'];

const s = (tag, attrs, ...kids) => h(NS + tag, attrs, ...kids);

/** niceTicks returns ~n round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, n = 4) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi === lo) { hi = lo + 1; }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

/** compact formats axis numbers (1.2k, 3.4M). */
export function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(+v.toFixed(2));
}

function frame(width, height, label) {
  return s('svg', {
    class: 'an-svg', role: 'img', 'aria-label': label, width: String(width), height: String(height),
    viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'xMinYMin meet',
  }, s('title', null, label));
}

/** axes draws the y grid with tick labels, the x baseline and both axis titles. */
function axes(svg, g, yTicks, ys, xLabel, yLabel) {
  for (const t of yTicks) {
    const y = ys(t);
    svg.appendChild(s('line', { class: 'an-gridline', x1: g.l, x2: g.r, y1: y, y2: y }));
    svg.appendChild(s('text', { class: 'an-tick', x: g.l - 4, y: y + 3, 'text-anchor': 'end' }, compact(t)));
  }
  svg.appendChild(s('line', { class: 'an-axis', x1: g.l, x2: g.r, y1: g.b, y2: g.b }));
  svg.appendChild(s('line', { class: 'an-axis', x1: g.l, x2: g.l, y1: g.t, y2: g.b }));
  if (xLabel) svg.appendChild(s('text', { class: 'an-axis-title', x: (g.l + g.r) / 2, y: g.b + 30, 'text-anchor': 'middle' }, xLabel));
  if (yLabel) {
    svg.appendChild(s('text', {
      class: 'an-axis-title', x: 0, y: 0, 'text-anchor': 'middle',
      transform: `translate(11 ${(g.t + g.b) / 2}) rotate(-90)`,
    }, yLabel));
  }
}

/**
 * bars draws a vertical bar chart. opts: data [{label, value, tip?, color?}], width, height,
 * xLabel, yLabel (with units), label (aria), onClick(d, i). Bars get class "mark".
 */
export function bars(opts) {
  const { data, width = 600, height = 220, xLabel, yLabel, label } = opts;
  const svg = frame(width, height, label);
  const g = { l: 46, r: width - 8, t: 10, b: height - 38 };
  // Bars grow from zero; negative values (e.g. average SNR) hang below the zero line.
  const max = Math.max(0, ...data.map((d) => d.value || 0));
  const min = Math.min(0, ...data.map((d) => d.value || 0));
  const ticks = niceTicks(min, max || (min ? 0 : 1));
  const top = Math.max(max, ticks[ticks.length - 1]);
  const bot = Math.min(min, ticks[0]);
  const ys = (v) => g.b - ((v - bot) / ((top - bot) || 1)) * (g.b - g.t);
  axes(svg, g, ticks, ys, xLabel, yLabel);
  const n = Math.max(1, data.length);
  const bw = (g.r - g.l) / n;
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((g.r - g.l) / 48))));
  data.forEach((d, i) => {
    const x = g.l + i * bw;
    const y1 = ys(Math.max(0, d.value || 0)); const y0 = ys(Math.min(0, d.value || 0));
    const r = s('rect', {
      class: 'mark' + (opts.onClick ? ' clickable' : ''), x: x + Math.min(1, bw * 0.1), y: y1, width: Math.max(1, bw - Math.min(2, bw * 0.2)),
      height: Math.max(d.value ? 1 : 0, y0 - y1), style: d.color ? `fill:${d.color}` : null,
    }, s('title', null, d.tip || `${d.label}: ${d.value}`));
    if (opts.onClick) r.addEventListener('click', () => opts.onClick(d, i));
    svg.appendChild(r);
    if (i % every === 0) {
      svg.appendChild(s('text', { class: 'an-tick', x: x + bw / 2, y: g.b + 13, 'text-anchor': 'middle' }, String(d.label)));
    }
  });
  return svg;
}

/** histogram draws an API Histogram ({bins:[{x,w,count}]}) as bars labelled by bin start. */
export function histogram(hist, opts) {
  const bins = (hist && hist.bins) || [];
  const dp = opts.decimals ?? 1;
  return bars({
    ...opts,
    data: bins.map((b) => ({
      label: (+b.x).toFixed(dp), value: b.count,
      tip: `${(+b.x).toFixed(dp)} to ${(+b.x + +b.w).toFixed(dp)}${opts.unit ? ' ' + opts.unit : ''}: ${b.count}`,
    })),
  });
}

/**
 * line draws one or more series. opts.series [{name, color?, points: [[x, y], …]}]; x numbers
 * (ms for time when opts.time), y numbers (null = gap). Every point is a circle.mark; the legend
 * is built separately with legend(). opts.bars2 (optional) = [{x, value}] drawn as faint volume
 * bars on a second (right) scale, for "SNR + packet volume".
 */
export function line(opts) {
  const { series, width = 600, height = 220, xLabel, yLabel, label, time } = opts;
  const svg = frame(width, height, label);
  const g = { l: 46, r: width - (opts.bars2 ? 40 : 10), t: 10, b: height - 38 };
  const pts = series.flatMap((se) => se.points.filter((p) => p[1] !== null && p[1] !== undefined));
  const xs0 = pts.map((p) => p[0]);
  const ys0 = pts.map((p) => p[1]);
  let xmin = Math.min(...xs0); let xmax = Math.max(...xs0);
  if (opts.bars2 && opts.bars2.length) { xmin = Math.min(xmin, ...opts.bars2.map((b) => b.x)); xmax = Math.max(xmax, ...opts.bars2.map((b) => b.x)); }
  if (!Number.isFinite(xmin)) { xmin = 0; xmax = 1; }
  if (xmax === xmin) xmax = xmin + 1;
  let ymin = opts.yMin ?? Math.min(...ys0); let ymax = opts.yMax ?? Math.max(...ys0);
  if (!Number.isFinite(ymin)) { ymin = 0; ymax = 1; }
  if (ymax === ymin) { ymax += 1; ymin -= 1; }
  const ticks = niceTicks(ymin, ymax);
  const lo = Math.min(ymin, ticks[0]); const hi = Math.max(ymax, ticks[ticks.length - 1]);
  const xsc = (x) => g.l + ((x - xmin) / (xmax - xmin)) * (g.r - g.l);
  const ysc = (y) => g.b - ((y - lo) / (hi - lo)) * (g.b - g.t);
  axes(svg, g, ticks.filter((t) => t >= lo && t <= hi), ysc, xLabel, yLabel);
  if (opts.bars2 && opts.bars2.length) {
    const m2 = Math.max(1, ...opts.bars2.map((b) => b.value));
    const bw = Math.min(40, Math.max(1, (g.r - g.l) / opts.bars2.length - 1));
    for (const b of opts.bars2) {
      const hgt = (b.value / m2) * (g.b - g.t);
      svg.appendChild(s('rect', { class: 'an-vol', x: xsc(b.x) - bw / 2, y: g.b - hgt, width: bw, height: hgt }, s('title', null, `${b.value} packets`)));
    }
    svg.appendChild(s('text', { class: 'an-tick', x: g.r + 4, y: g.t + 8 }, compact(m2)));
    if (opts.y2Label) {
      svg.appendChild(s('text', { class: 'an-axis-title', x: 0, y: 0, 'text-anchor': 'middle', transform: `translate(${width - 6} ${(g.t + g.b) / 2}) rotate(-90)` }, opts.y2Label));
    }
  }
  // Event markers (e.g. reboots): dashed vertical lines inside the x range.
  for (const m of opts.markers || []) {
    if (m < xmin || m > xmax) continue;
    svg.appendChild(s('line', { class: 'an-marker', x1: xsc(m), x2: xsc(m), y1: g.t, y2: g.b }, s('title', null, `${opts.markerLabel || 'Event'} at ${new Date(m).toISOString().slice(0, 16).replace('T', ' ')} UTC`)));
  }
  // x tick labels
  const nx = Math.max(2, Math.floor((g.r - g.l) / 90));
  for (let i = 0; i <= nx; i++) {
    const x = xmin + ((xmax - xmin) * i) / nx;
    const txt = time ? shortTime(x, xmax - xmin) : compact(x);
    svg.appendChild(s('text', { class: 'an-tick', x: xsc(x), y: g.b + 13, 'text-anchor': i === 0 ? 'start' : i === nx ? 'end' : 'middle' }, txt));
  }
  series.forEach((se, si) => {
    const color = se.color || PALETTE[si % PALETTE.length];
    let d = '';
    let pen = false;
    for (const [x, y] of se.points) {
      if (y === null || y === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${xsc(x).toFixed(1)},${ysc(y).toFixed(1)}`;
      pen = true;
    }
    svg.appendChild(s('path', { class: 'an-line', d, style: `stroke:${color}` }));
    const dots = s('g', { class: 'an-dots', style: `fill:${color}` });
    for (const [x, y] of se.points) {
      if (y === null || y === undefined) continue;
      dots.appendChild(s('circle', { class: 'mark', cx: xsc(x).toFixed(1), cy: ysc(y).toFixed(1), r: se.points.length > 120 ? 1.5 : 2.5 },
        s('title', null, `${se.name}: ${+(+y).toFixed(2)} at ${time ? new Date(x).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : compact(x)}`)));
    }
    svg.appendChild(dots);
  });
  return svg;
}

function shortTime(ms, span) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  if (span > 3 * 86400e3) return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** scatter draws points [{x, y, r?, tip?}] as circle.mark. */
export function scatter(opts) {
  const { points, width = 600, height = 240, xLabel, yLabel, label } = opts;
  const svg = frame(width, height, label);
  const g = { l: 46, r: width - 10, t: 10, b: height - 38 };
  const xs0 = points.map((p) => p.x); const ys0 = points.map((p) => p.y);
  const xt = niceTicks(Math.min(...xs0, 0), Math.max(...xs0, 1));
  const yt = niceTicks(Math.min(...ys0), Math.max(...ys0));
  const x0 = Math.min(xt[0], ...xs0); const x1 = Math.max(xt[xt.length - 1], ...xs0);
  const y0 = Math.min(yt[0], ...ys0); const y1 = Math.max(yt[yt.length - 1], ...ys0);
  const xsc = (x) => g.l + ((x - x0) / ((x1 - x0) || 1)) * (g.r - g.l);
  const ysc = (y) => g.b - ((y - y0) / ((y1 - y0) || 1)) * (g.b - g.t);
  axes(svg, g, yt, ysc, xLabel, yLabel);
  for (const t of xt) svg.appendChild(s('text', { class: 'an-tick', x: xsc(t), y: g.b + 13, 'text-anchor': 'middle' }, compact(t)));
  const dots = s('g', { class: 'an-scatter' });
  for (const p of points) {
    dots.appendChild(s('circle', { class: 'mark', cx: xsc(p.x).toFixed(1), cy: ysc(p.y).toFixed(1), r: p.r || 2.5 },
      s('title', null, p.tip || `${p.x}, ${p.y}`)));
  }
  svg.appendChild(dots);
  return svg;
}

/** sparkline is a tiny line (no axes) for stat cards; decorative next to a number. */
export function sparkline(values, { width = 120, height = 28, label = 'trend' } = {}) {
  const v = values.filter((x) => Number.isFinite(x));
  const svg = s('svg', { class: 'an-spark', role: 'img', 'aria-label': label, width, height, viewBox: `0 0 ${width} ${height}` }, s('title', null, label));
  if (v.length < 2) return svg;
  const lo = Math.min(...v); const hi = Math.max(...v);
  const d = v.map((y, i) => `${i ? 'L' : 'M'}${((i / (v.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((y - lo) / ((hi - lo) || 1)) * (height - 4)).toFixed(1)}`).join('');
  svg.appendChild(s('path', { class: 'an-line', d }));
  return svg;
}

/** hbars renders labelled horizontal bars as HTML rows (payload mix, top lists); rows get class "mark". */
export function hbars(items, { label, unit = '' } = {}) {
  const total = items.reduce((a, b) => a + (b.value || 0), 0) || 1;
  const max = Math.max(1, ...items.map((d) => d.value || 0));
  return h('div', { class: 'an-hbars', role: 'img', 'aria-label': label },
    ...items.map((d, i) => h('div', { class: 'an-hbar mark', title: d.tip || `${d.label}: ${d.value}${unit}` },
      h('span', { class: 'an-hbar-label' }, d.swatch !== false ? h('span', { class: 'sw', style: { background: d.color || PALETTE[i % PALETTE.length] } }) : null, String(d.label)),
      h('span', { class: 'an-hbar-track' }, h('span', { class: 'an-hbar-fill', style: { width: `${((d.value || 0) / max) * 100}%`, background: d.color || PALETTE[i % PALETTE.length] } })),
      h('span', { class: 'an-hbar-val' }, d.text !== undefined ? d.text : `${Number(d.value).toLocaleString()}${unit} (${(((d.value || 0) / total) * 100).toFixed(1)}%)`))));
}

/** legend lists series names with their colour (shown when a chart has more than one series). */
export function legend(series) {
  return h('ul', { class: 'an-legend' }, ...series.map((se, i) => h('li', null,
    h('span', { class: 'sw', style: { background: se.color || PALETTE[i % PALETTE.length] } }), String(se.name))));
}
