// Virtualised table: a real <table> (so headers, scope, aria-sort and keyboard rows keep their
// semantics) that renders only the rows in view plus a buffer; spacer rows keep the scroll
// height. Handles tens of thousands of rows; re-render cost is O(visible rows).
import { h, clear } from './dom.js';

const BUFFER = 30;

/**
 * nextSort is the sort after a header click: the same column flips direction, a new column
 * starts in firstDir(key) ('asc' | 'desc').
 */
export function nextSort(cur, key, firstDir) {
  return cur.key === key ? { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: firstDir(key) };
}

/**
 * createVTable({columns:[{key,label,sortKey?,cls?}], rowHeight, caption, renderRow(item, tr),
 * onActivate(item, tr), onSort(sortKey)}) → {el, setItems(items), refresh(), setSort(key, dir),
 * scrollToTop(), scrollToItem(pred)}.
 */
export function createVTable(opts) {
  const rh = opts.rowHeight || 34;
  let items = [];
  const scroller = h('div', { class: 'vt-scroll', tabindex: '-1' });
  const table = h('table', { class: 'tbl vt' });
  if (opts.caption) table.appendChild(h('caption', { class: 'sr-only' }, opts.caption));
  const headRow = h('tr');
  const ths = new Map();
  for (const c of opts.columns) {
    const th = h('th', { scope: 'col', class: c.cls || null, dataset: { col: c.key } }, c.label);
    if (c.sortKey) {
      th.dataset.sortKey = c.sortKey;
      th.tabIndex = 0;
      th.setAttribute('aria-sort', 'none');
      const act = () => opts.onSort && opts.onSort(c.sortKey);
      th.addEventListener('click', act);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); act(); } });
      ths.set(c.sortKey, th);
    }
    headRow.appendChild(th);
  }
  table.appendChild(h('thead', null, headRow));
  const tbody = h('tbody', { 'aria-live': 'off' });
  table.appendChild(tbody);
  scroller.appendChild(table);
  const topSpacer = h('tr', { class: 'vt-spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(opts.columns.length) }));
  const botSpacer = h('tr', { class: 'vt-spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(opts.columns.length) }));

  let raf = 0;
  let lastRange = '';
  function render(force) {
    raf = 0;
    const viewH = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(scroller.scrollTop / rh) - BUFFER);
    const last = Math.min(items.length, Math.ceil((scroller.scrollTop + viewH) / rh) + BUFFER);
    const key = first + ':' + last + ':' + items.length;
    if (!force && key === lastRange) return;
    lastRange = key;
    const focused = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    clear(tbody);
    topSpacer.firstChild.style.height = first * rh + 'px';
    botSpacer.firstChild.style.height = (items.length - last) * rh + 'px';
    tbody.appendChild(topSpacer);
    for (let i = first; i < last; i++) {
      const it = items[i];
      const tr = h('tr', { tabindex: '0', style: { height: rh + 'px' } });
      tr.dataset.index = String(i);
      opts.renderRow(it, tr);
      tbody.appendChild(tr);
      if (focused && tr.dataset.key === focused) tr.focus({ preventScroll: true });
    }
    tbody.appendChild(botSpacer);
  }
  const schedule = (force) => {
    if (force) lastRange = '';
    if (!raf) raf = requestAnimationFrame(() => render(false));
  };
  scroller.addEventListener('scroll', () => schedule(false), { passive: true });
  const ro = new ResizeObserver(() => schedule(true));
  ro.observe(scroller);

  const rowOf = (e) => e.target.closest('tr[data-index]');
  tbody.addEventListener('click', (e) => {
    const tr = rowOf(e);
    if (tr && !e.target.closest('a, button')) opts.onActivate && opts.onActivate(items[+tr.dataset.index], tr, e);
  });
  tbody.addEventListener('keydown', (e) => {
    const tr = rowOf(e);
    if (!tr || e.target !== tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      opts.onActivate && opts.onActivate(items[+tr.dataset.index], tr, e);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const sib = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
      if (sib && sib.dataset.index) sib.focus();
      else scroller.scrollTop += (e.key === 'ArrowDown' ? rh : -rh);
    }
  });

  return {
    el: scroller,
    table,
    setItems(list) { items = list; schedule(true); },
    refresh() { schedule(true); },
    renderNow() { lastRange = ''; render(true); },
    setSort(key, dir) {
      for (const [k, th] of ths) th.setAttribute('aria-sort', k === key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none');
    },
    scrollToTop() { scroller.scrollTop = 0; },
    scrollToIndex(i) { if (i >= 0) scroller.scrollTop = Math.max(0, i * rh - scroller.clientHeight / 3); },
    destroy() { ro.disconnect(); if (raf) cancelAnimationFrame(raf); },
  };
}
