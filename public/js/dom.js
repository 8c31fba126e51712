// DOM helpers. Everything that comes from the network is inserted as text (textContent /
// text nodes / attributes), never as HTML: h() has no innerHTML path at all.

/**
 * h builds an element. attrs keys: class, text, style (object), dataset (object), on<event>
 * (function), boolean/number/string attributes. Children: strings/numbers become text nodes,
 * null/undefined/false are skipped, arrays are flattened.
 */
export function h(tag, attrs, ...kids) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, kids);
  return el;
}

/** append adds children (same rules as h). */
export function append(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else if (k instanceof Node) el.appendChild(k);
    else el.appendChild(document.createTextNode(String(k)));
  }
  return el;
}

/** clear removes all children. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** replace clears el and appends the given children. */
export function replace(el, ...kids) {
  clear(el);
  return append(el, kids);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** activateOnKey makes an element behave like a button for Enter/Space. */
export function activateOnKey(el, fn) {
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fn(e);
    }
  });
}

/** store wraps localStorage so disabled storage never throws. */
export const store = {
  get(k, def = null) {
    try {
      const v = localStorage.getItem(k);
      return v === null ? def : v;
    } catch { return def; }
  },
  set(k, v) {
    try { localStorage.setItem(k, v); } catch { /* storage full or disabled: keep working */ }
  },
  getJSON(k, def) {
    const v = this.get(k);
    if (v === null) return def;
    try { return JSON.parse(v); } catch { return def; }
  },
  setJSON(k, v) { this.set(k, JSON.stringify(v)); },
};

/**
 * tablist wires the ARIA tablist pattern: roving tabindex, arrows/Home/End move focus and
 * select. onSelect receives the tab's data-value.
 */
export function tablist(labelText, items, selected, onSelect) {
  const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': labelText });
  const tabs = items.map(([value, label]) => h('button', {
    type: 'button', role: 'tab', class: 'tab', dataset: { value },
    'aria-selected': value === selected ? 'true' : 'false', tabindex: value === selected ? '0' : '-1',
  }, label));
  const select = (i, focus) => {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', i === j ? 'true' : 'false');
      t.tabIndex = i === j ? 0 : -1;
    });
    if (focus) tabs[i].focus();
    onSelect(tabs[i].dataset.value);
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => select(i, false));
    t.addEventListener('keydown', (e) => {
      let j = -1;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') j = (i + 1) % tabs.length;
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = tabs.length - 1;
      if (j >= 0) { e.preventDefault(); select(j, true); }
    });
    list.appendChild(t);
  });
  return list;
}

/** slideOver is true where detail panels cover the list instead of sitting beside it (views.css). */
export const slideOver = () => window.matchMedia('(max-width: 1023px)').matches;

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * trapFocus keeps Tab / Shift+Tab inside el while active() is true (modal dialogs always;
 * detail panels only while they are a slide-over covering the page). It remembers the element
 * focused when the trap was set and returns release({restore, fallback}): release removes the
 * trap and, when restore is true (default), gives focus back to that element — or to fallback
 * when the original was re-rendered away (virtualised rows) — so keyboard users land where
 * they were.
 */
export function trapFocus(el, active = () => true) {
  const opener = document.activeElement;
  const onKey = (e) => {
    if (e.key !== 'Tab' || el.hidden || !active()) return;
    const f = [...el.querySelectorAll(FOCUSABLE)].filter((x) => x.getClientRects().length);
    if (!f.length) { e.preventDefault(); el.focus(); return; }
    const i = f.indexOf(document.activeElement);
    if (e.shiftKey && i <= 0) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && (i < 0 || i === f.length - 1)) { e.preventDefault(); f[0].focus(); }
  };
  document.addEventListener('keydown', onKey, true);
  return ({ restore = true, fallback = null } = {}) => {
    document.removeEventListener('keydown', onKey, true);
    if (!restore) return;
    const target = opener && opener.isConnected && opener !== document.body ? opener : fallback;
    if (target && target.focus) target.focus({ preventScroll: true });
  };
}

/** debounce returns fn delayed by ms; .cancel() drops a pending call. */
export function debounce(fn, ms) {
  let t = null;
  const d = (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}
