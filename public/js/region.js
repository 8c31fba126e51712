// Region filter shared by all pages: observer IATA codes from /api/config/regions, multi-select,
// persisted in localStorage (meshcore-region-filter). Views read region() for their API calls
// and listen for the 'region-changed' window event to reload.
import { h, clear, store } from './dom.js';
import { config } from './api.js';

const KEY = 'meshcore-region-filter';
let selected = new Set(store.getJSON(KEY, []).filter((x) => typeof x === 'string'));

/** region returns the selected IATA codes as a comma list ('' = all). */
export function region() {
  return [...selected].filter((c) => c in config.regions).sort().join(',');
}

/** regionSet returns the selected codes as a Set (empty = all). */
export function regionSet() {
  const r = region();
  return new Set(r ? r.split(',') : []);
}

let barEl = null;

/**
 * setRegions replaces the selection (e.g. from a page URL's ?region=) without announcing it:
 * the caller loads with it anyway. Unknown codes are kept (the server may learn them later).
 */
export function setRegions(codes) {
  const next = new Set((codes || []).filter((c) => typeof c === 'string' && c));
  if (next.size === selected.size && [...next].every((c) => selected.has(c))) return;
  selected = next;
  store.setJSON(KEY, [...selected]);
  if (barEl) renderRegionBar(barEl);
}

function changed() {
  store.setJSON(KEY, [...selected]);
  window.dispatchEvent(new CustomEvent('region-changed'));
}

/** renderRegionBar draws the pills into el; hidden when the server knows no regions. */
export function renderRegionBar(el) {
  barEl = el;
  clear(el);
  const codes = Object.keys(config.regions || {}).sort();
  el.hidden = codes.length === 0;
  if (!codes.length) return;
  el.appendChild(h('span', { class: 'region-label', id: 'region-label' }, 'Region:'));
  const group = h('div', { class: 'region-pills', role: 'group', 'aria-labelledby': 'region-label' });
  const pill = (code, label) => {
    const on = code === '' ? selected.size === 0 : selected.has(code);
    const b = h('button', {
      type: 'button', class: 'pill' + (on ? ' on' : ''), role: 'checkbox',
      'aria-checked': on ? 'true' : 'false', title: label, dataset: { code },
    }, code || 'All');
    b.addEventListener('click', () => {
      if (code === '') selected.clear();
      else if (selected.has(code)) selected.delete(code);
      else selected.add(code);
      changed();
      renderRegionBar(el);
    });
    return b;
  };
  group.appendChild(pill('', 'All regions'));
  for (const c of codes) group.appendChild(pill(c, String(config.regions[c])));
  el.appendChild(group);
}
