// Chart.js (vendored UMD build, vendor/chartjs) for the node analytics and observer pages. Loaded
// on first use as a module import (the UMD sets globalThis.Chart), so other pages never pay for
// it. chartSet() keeps the charts of one view: it builds each one with theme colours and
// rebuilds them all when the theme changes (Chart.js bakes colours into the canvas).
import { h } from './dom.js';

let loading = null;

/** loadChart resolves with the Chart constructor. */
export function loadChart() {
  if (!loading) loading = import('../vendor/chartjs/chart.umd.js').then(() => window.Chart);
  return loading;
}

const css = (n, d) => getComputedStyle(document.documentElement).getPropertyValue(n).trim() || d;

/** theme returns the colours charts use, read from the current CSS variables. */
export function theme() {
  return {
    text: css('--text', '#e6e9f2'), muted: css('--text-muted', '#8f97b3'), grid: css('--border', '#2b3250'),
    accent: css('--accent', '#4a9eff'), good: css('--good', '#3fb950'), warn: css('--warn', '#d29922'), bad: css('--bad', '#f85149'),
    surface: css('--surface1', '#161b2e'),
  };
}

/**
 * chartCard returns {el, canvas}: a card with a title, a one-line description and a canvas
 * (role="img" with an aria-label) inside a sized box.
 */
export function chartCard(title, desc, label, opts = {}) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  const el = h('section', { class: 'an-card' + (opts.full ? ' full' : ''), id: opts.id || null, dataset: { chart: opts.id || title } },
    h('h3', null, title), h('p', { class: 'an-desc' }, desc), h('div', { class: 'cj-box' + (opts.tall ? ' tall' : '') }, canvas));
  return { el, canvas };
}

/** axis builds a scale with a title (units) in theme colours. */
export function axis(t, title, extra = {}) {
  const { ticks, ...rest } = extra;
  return { title: { display: !!title, text: title, color: t.text }, ticks: { color: t.muted, maxRotation: 0, autoSkipPadding: 8, ...(ticks || {}) }, grid: { color: t.grid }, ...rest };
}

/**
 * chartSet manages a view's charts. add(canvas, build(theme) → Chart config) draws one now and
 * again after each theme change; destroy() removes them all and the listener.
 */
export function chartSet() {
  const items = [];
  let Chart = null;
  const draw = (it) => {
    if (it.chart) it.chart.destroy();
    const cfg = it.build(theme());
    cfg.options = { responsive: true, maintainAspectRatio: false, animation: false, ...cfg.options };
    it.chart = new Chart(it.canvas, cfg);
  };
  const onTheme = () => { for (const it of items) if (it.canvas.isConnected) draw(it); };
  window.addEventListener('theme-changed', onTheme);
  return {
    async ready() { Chart = await loadChart(); },
    add(canvas, build) { const it = { canvas, build, chart: null }; items.push(it); draw(it); return it; },
    destroy() {
      window.removeEventListener('theme-changed', onTheme);
      for (const it of items) if (it.chart) it.chart.destroy();
      items.length = 0;
    },
  };
}
