// 🎨 Customizer (UI.md §12): a floating, resizable panel whose tabs edit one JSON delta of the
// user's changes (LS cs-theme-overrides, same sections as /api/config/theme). The delta is
// applied as CSS variables on <html> (colours: the light set `theme` or the dark set `themeDark`
// by the current mode), a `theme-changed` event lets pages redraw. Export/import moves only the
// delta. The GeoFilter tab lives in customizer-geo.js.
import { h, clear, store, trapFocus, tablist } from './dom.js';
import { api, config, showToast, showError } from './api.js';
import * as format from './format.js';
import { geoTab, cleanupMap } from './customizer-geo.js';
import { FIELDS_THEME, NODE_ROLES, TYPE_COLORS, THEME_PRESETS, CB_PRESETS } from './customizer-data.js';

const KEY = 'cs-theme-overrides';
const TAB_KEY = 'cs-customizer-tab';
let panel = null;
let release = null;
let server = {}; // /api/config/theme, for the "●" overridden markers and the Home defaults
let redraw = null;

export function overrides() {
  const v = store.getJSON(KEY, {});
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function saveDelta(ov) {
  // Drop empty sections so the exported delta holds the user's changes only.
  for (const k of Object.keys(ov)) if (ov[k] && typeof ov[k] === 'object' && !Array.isArray(ov[k]) && !Object.keys(ov[k]).length) delete ov[k];
  store.setJSON(KEY, ov);
  apply();
  const s = document.getElementById('cz-saved');
  if (s) { s.textContent = '✓ Saved'; clearTimeout(s._t); s._t = setTimeout(() => { s.textContent = ''; }, 1500); }
}

/** setField stores one override (value undefined removes it: the per-field reset). */
export function setField(section, key, value) {
  const ov = overrides();
  const sec = { ...(ov[section] || {}) };
  if (value === undefined || value === '') delete sec[key]; else sec[key] = value;
  ov[section] = sec;
  saveDelta(ov);
}

const isDark = () => document.documentElement.getAttribute('data-theme') !== 'light';
const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

let applied = []; // CSS variables this module set, removed before each apply
let applying = false;

/** apply writes the delta onto the page: CSS variables, branding, time format. */
export function apply() {
  const ov = overrides();
  const root = document.documentElement.style;
  for (const v of applied) root.removeProperty(v);
  applied = [];
  const set = (name, val) => { if (typeof val === 'string' && val) { root.setProperty(name, val); applied.push(name); } };
  const colours = (isDark() ? ov.themeDark : ov.theme) || {};
  for (const f of FIELDS_THEME) set(f.css, colours[f.key]);
  for (const [k, css] of NODE_ROLES) set(css, (ov.nodeColors || {})[k]);
  for (const [k, css] of TYPE_COLORS) set(css, (ov.typeColors || {})[k]);
  const b = ov.branding || {};
  if (b.siteName) {
    document.title = b.siteName;
    const t = document.querySelector('.brand-text');
    if (t) t.textContent = b.siteName;
  }
  if (b.faviconUrl) { const l = document.querySelector('link[rel="icon"]'); if (l) l.href = b.faviconUrl; }
  const ts = ov.timestamps || {};
  const srv = (config.client && config.client.timestamps) || {};
  if (format.setTimeFormat) format.setTimeFormat({ mode: ts.defaultMode || srv.defaultMode || 'ago', tz: ts.timezone || srv.timezone || 'local' });
  if (format.tickAgo) format.tickAgo();
  announce();
}

// Pages redraw on theme-changed (maps swap tiles, charts rebuild): dragging a colour picker fires
// many edits, so the event goes out once the edits pause.
let announceTimer = null;
function announce() {
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    applying = true;
    window.dispatchEvent(new CustomEvent('theme-changed', { detail: isDark() ? 'dark' : 'light' }));
    applying = false;
  }, 150);
}

// The light/dark switch changes which colour set applies.
window.addEventListener('theme-changed', () => { if (!applying) { apply(); if (redraw) redraw(); } });

// ---- field widgets ----
function dot(section, key) {
  const on = (overrides()[section] || {})[key] !== undefined;
  const b = h('button', { type: 'button', class: 'cz-dot', hidden: !on, title: 'Overridden — click to use the server default', 'aria-label': `Use the server default for ${key}` }, '●');
  b.addEventListener('click', () => { setField(section, key, undefined); redraw(); });
  return b;
}

function textField(section, key, label, placeholder) {
  const id = `cz-${section}-${key}`;
  const cur = (overrides()[section] || {})[key];
  const def = (server[section] || {})[key];
  const inp = h('input', { type: 'text', id, value: cur ?? '', placeholder: String(def ?? placeholder ?? '') });
  inp.addEventListener('change', () => { setField(section, key, inp.value.trim() || undefined); redraw(); });
  return h('div', { class: 'cz-row' }, h('label', { for: id }, label), inp, dot(section, key));
}

function colourField(section, key, label, css) {
  const id = `cz-${section}-${key}`;
  const cur = (overrides()[section] || {})[key];
  const inp = h('input', { type: 'color', id, value: toHex(cur || cssVar(css)) });
  inp.addEventListener('input', () => setField(section, key, inp.value));
  inp.addEventListener('change', () => redraw());
  return h('div', { class: 'cz-row' }, h('label', { for: id }, label), inp, h('code', { class: 'cz-var' }, css), dot(section, key));
}

/** toHex normalises a computed colour to #rrggbb (what <input type=color> accepts). */
function toHex(c) {
  const s = String(c || '').trim();
  if (/^#[0-9a-f]{6}$/i.test(s)) return s.toLowerCase();
  if (/^#[0-9a-f]{3}$/i.test(s)) return '#' + [...s.slice(1)].map((x) => x + x).join('').toLowerCase();
  const m = s.match(/rgba?\((\d+)[, ]+(\d+)[, ]+(\d+)/);
  if (m) return '#' + m.slice(1, 4).map((x) => (+x).toString(16).padStart(2, '0')).join('');
  return '#000000';
}

function selectField(section, key, label, opts, def) {
  const id = `cz-${section}-${key}`;
  const cur = (overrides()[section] || {})[key] ?? def;
  const sel = h('select', { id }, ...opts.map(([v, l]) => h('option', { value: v, selected: v === cur }, l)));
  sel.addEventListener('change', () => { setField(section, key, sel.value === def ? undefined : sel.value); redraw(); });
  return h('div', { class: 'cz-row' }, h('label', { for: id }, label), sel, dot(section, key));
}

function radios(name, legend, opts, value, onPick) {
  return h('fieldset', { class: 'cz-set' }, h('legend', null, legend), ...opts.map(([v, l]) => {
    const rb = h('input', { type: 'radio', name, value: v, checked: v === value });
    rb.addEventListener('change', () => { if (rb.checked) onPick(v); });
    return h('label', { class: 'cz-opt' }, rb, ' ', l);
  }));
}

function rangeField(section, key, label, def) {
  const id = `cz-${section}-${key}`;
  const cur = (overrides()[section] || {})[key] ?? def;
  const out = h('output', { for: id }, `${Math.round(cur * 100)}%`);
  const r = h('input', { type: 'range', id, min: '0', max: '1', step: '0.05', value: String(cur) });
  r.addEventListener('input', () => { out.textContent = `${Math.round(r.value * 100)}%`; setField(section, key, +r.value === def ? undefined : +r.value); });
  return h('div', { class: 'cz-row' }, h('label', { for: id }, label), r, out, dot(section, key));
}

// ---- tabs ----
function brandingTab() {
  return [textField('branding', 'siteName', 'Site name', 'CoreScope'), textField('branding', 'tagline', 'Tagline'),
    textField('branding', 'logoUrl', 'Logo URL'), textField('branding', 'faviconUrl', 'Favicon URL')];
}

function themeTab() {
  const sec = isDark() ? 'themeDark' : 'theme';
  const presets = h('div', { class: 'cz-presets', role: 'group', 'aria-label': 'Theme presets' }, ...Object.entries(THEME_PRESETS).map(([name, p]) =>
    h('button', { type: 'button', class: 'btn', dataset: { preset: name }, onclick: () => {
      const ov = overrides();
      ov.theme = { ...p.light }; ov.themeDark = { ...p.dark };
      if (!Object.keys(p.light).length) { delete ov.theme; delete ov.themeDark; }
      saveDelta(ov); redraw();
    } }, name)));
  return [h('p', { class: 'muted' }, `Editing the ${isDark() ? 'dark' : 'light'} colours (switch the mode to edit the other set).`), presets,
    ...FIELDS_THEME.map((f) => (f.type === 'text' ? textField(sec, f.key, f.label) : colourField(sec, f.key, f.label, f.css)))];
}

function coloursTab() {
  const cb = h('div', { class: 'cz-presets', role: 'group', 'aria-label': 'Colour-blind presets' }, ...Object.entries(CB_PRESETS).map(([name, p]) =>
    h('button', { type: 'button', class: 'btn', dataset: { cb: name }, onclick: () => {
      const ov = overrides();
      ov.nodeColors = { ...p.nodeColors }; ov.typeColors = { ...p.typeColors };
      saveDelta(ov); redraw();
    } }, name)));
  return [h('h3', null, 'Colour-blind presets'), cb, h('h3', null, 'Node roles'),
    ...NODE_ROLES.map(([k, css]) => colourField('nodeColors', k, k, css)),
    h('h3', null, 'Packet types'), ...TYPE_COLORS.map(([k, css]) => colourField('typeColors', k, k, css))];
}

/** listField edits a list section of home (one item per line, parts split by " | "). */
function listField(key, label, parts) {
  const id = `cz-home-${key}`;
  const cur = (overrides().home || {})[key];
  const def = (server.home || {})[key] || [];
  const asText = (arr) => (arr || []).map((o) => parts.map((p) => String(o[p] ?? '')).join(' | ')).join('\n');
  const ta = h('textarea', { id, rows: '4', placeholder: asText(def) || parts.join(' | ') }, cur ? asText(cur) : '');
  ta.addEventListener('change', () => {
    const lines = ta.value.split('\n').map((l) => l.trim()).filter(Boolean);
    setField('home', key, lines.length ? lines.map((l) => Object.fromEntries(l.split('|').map((x, i) => [parts[i], x.trim()]).filter(([k]) => k))) : undefined);
    redraw();
  });
  return h('div', { class: 'cz-row cz-col' }, h('label', { for: id }, `${label} (one per line: ${parts.join(' | ')})`), ta, dot('home', key));
}

function homeTab() {
  return [textField('home', 'heroTitle', 'Hero title'), textField('home', 'heroSubtitle', 'Hero subtitle'),
    listField('steps', 'Steps', ['emoji', 'title', 'description']), listField('faq', 'FAQ', ['question', 'answer']),
    listField('footerLinks', 'Footer links', ['label', 'url'])];
}

function displayTab() {
  const ts = overrides().timestamps || {};
  const srv = (config.client && config.client.timestamps) || {};
  const save = (k, v) => { setField('timestamps', k, v); };
  const out = [
    radios('cz-mode', 'Timestamps', [['ago', 'Relative (12s ago)'], ['absolute', 'Absolute']], ts.defaultMode || srv.defaultMode || 'ago', (v) => save('defaultMode', v)),
    radios('cz-tz', 'Time zone', [['local', 'Local'], ['utc', 'UTC']], ts.timezone || srv.timezone || 'local', (v) => save('timezone', v)),
    selectField('timestamps', 'formatPreset', 'Format', [['iso', 'ISO (2024-01-31 12:00)'], ['iso-seconds', 'ISO with seconds'], ['locale', 'Browser locale']], srv.formatPreset || 'iso-seconds'),
  ];
  if (srv.allowCustomFormat) out.push(textField('timestamps', 'customFormat', 'Custom format', 'YYYY-MM-DD HH:mm:ss'));
  out.push(selectField('display', 'distanceUnit', 'Distance unit', [['auto', 'Auto'], ['km', 'km'], ['mi', 'mi']], 'auto'),
    rangeField('display', 'mapHeatOpacity', 'Map heatmap opacity', 0.6),
    rangeField('display', 'liveHeatOpacity', 'Live heatmap opacity', 0.6),
    selectField('display', 'darkTiles', 'Dark map tiles', [['carto-dark', 'CARTO Dark Matter'], ['carto-voyager', 'CARTO Voyager'], ['osm', 'OpenStreetMap']], 'carto-dark'));
  const enc = h('input', { type: 'checkbox', id: 'cz-show-enc', checked: store.get('channels-show-encrypted') === 'true' });
  enc.addEventListener('change', () => store.set('channels-show-encrypted', enc.checked ? 'true' : 'false'));
  const hints = h('button', { type: 'button', class: 'btn', id: 'cz-hints' }, 'Show gesture hints again');
  hints.addEventListener('click', () => {
    for (let i = localStorage.length - 1; i >= 0; i--) { const k = localStorage.key(i); if (/hint/i.test(k)) localStorage.removeItem(k); }
    showToast('Gesture hints will show again');
  });
  out.push(h('div', { class: 'cz-row' }, h('label', { for: 'cz-show-enc' }, 'Show encrypted channels'), enc), h('div', { class: 'cz-row' }, hints));
  return out;
}

function exportTab() {
  const json = () => JSON.stringify(overrides(), null, 2);
  const raw = h('textarea', { id: 'cz-json', rows: '10', readonly: true, 'aria-label': 'Your customizations as JSON' }, json());
  const file = h('input', { type: 'file', id: 'cz-import-file', accept: 'application/json,.json', hidden: true });
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    try { importJSON(await f.text()); showToast('Customizations imported'); } catch (e) { showError(e, 'Import'); }
    file.value = '';
  });
  const dl = () => {
    const a = h('a', { href: URL.createObjectURL(new Blob([json()], { type: 'application/json' })), download: 'corescope-theme.json' });
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const copy = () => navigator.clipboard.writeText(json()).then(() => showToast('Copied'), (e) => showError(e, 'Copy'));
  return [h('p', { class: 'muted' }, 'Only your changes are exported; importing replaces them.'),
    h('div', { class: 'cz-presets' },
      h('button', { type: 'button', class: 'btn', id: 'cz-download', onclick: dl }, '💾 Download JSON'),
      h('button', { type: 'button', class: 'btn', id: 'cz-import', onclick: () => file.click() }, '📂 Import File'),
      h('button', { type: 'button', class: 'btn', id: 'cz-copy', onclick: copy }, '📋 Copy')),
    file, raw];
}

const SECTIONS = ['branding', 'theme', 'themeDark', 'nodeColors', 'typeColors', 'home', 'timestamps', 'display', 'favorites', 'myNodes'];

/** importJSON replaces the delta with an exported one (unknown sections are refused). */
export function importJSON(text) {
  let v;
  try { v = JSON.parse(text); } catch { throw new Error('the file is not JSON'); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the file is not a customization object');
  const bad = Object.keys(v).filter((k) => !SECTIONS.includes(k));
  if (bad.length) throw new Error(`unknown section ${bad[0]}`);
  saveDelta(v);
  if (redraw) redraw();
}

const TABS = [['branding', '🏷️ Branding', brandingTab], ['theme', '🎨 Theme', themeTab], ['colors', '🎯 Colors', coloursTab],
  ['home', '🏠 Home', homeTab], ['display', '🖥️ Display', displayTab], ['geo', '🗺️ GeoFilter', geoTab], ['export', '📤 Export', exportTab]];

function close() {
  if (!panel || panel.hidden) return;
  panel.hidden = true;
  if (release) release();
  release = null;
  document.dispatchEvent(new CustomEvent('customizer-closed'));
}

function resetAll() {
  store.setJSON(KEY, {});
  apply();
  close();
  panel.remove();
  panel = null;
}

function build() {
  let tab = store.get(TAB_KEY, 'display');
  if (!TABS.some(([k]) => k === tab)) tab = 'display';
  const body = h('div', { class: 'cz-body', role: 'tabpanel', id: 'cz-panel-body' });
  redraw = () => {
    if (!panel) return;
    const t = TABS.find(([k]) => k === tab);
    cleanupMap();
    clear(body);
    for (const el of [].concat(t[2]())) body.appendChild(el);
    body.dataset.tab = tab;
  };
  const tabs = tablist('Customizer sections', TABS.map(([k, l]) => [k, l]), tab, (v) => { tab = v; store.set(TAB_KEY, v); redraw(); });
  const reset = h('button', { type: 'button', class: 'btn', id: 'cz-reset-all' }, '🗑️ Reset All Customizations');
  reset.addEventListener('click', resetAll);
  panel = h('div', { class: 'cz-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'cz-title', hidden: true },
    h('div', { class: 'cz-head' }, h('h2', { id: 'cz-title' }, '🎨 Customize'), h('span', { id: 'cz-saved', class: 'cz-saved', 'aria-live': 'polite' }),
      h('button', { type: 'button', class: 'btn', 'aria-label': 'Close', onclick: close }, '✕')),
    h('p', { class: 'cz-banner' }, 'Settings are stored in this browser only.'),
    tabs, body, h('div', { class: 'cz-foot' }, reset));
  panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); } });
  document.body.appendChild(panel);
  redraw();
}

/** install wires the 🎨 button and loads the server's theme for the "●" markers. */
export function install(btn) {
  apply(); // the stored look from the first paint of the shell, before the config loads
  api('/config/theme', { ttl: 60000 }).then((t) => { server = t || {}; if (panel && !panel.hidden) redraw(); }).catch(() => {});
  btn.addEventListener('click', () => {
    if (panel && !panel.hidden) { close(); return; }
    if (!panel) build(); else redraw();
    panel.hidden = false;
    if (!release) release = trapFocus(panel, () => false);
    const first = panel.querySelector('[role="tab"][aria-selected="true"]');
    if (first) first.focus();
  });
}
