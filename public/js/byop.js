// "Bring your own packet": a dialog that decodes pasted hex with POST /api/decode and draws the
// same hex dump and field table as the packet detail (from the server's breakdown).
import { h, clear, replace, trapFocus } from './dom.js';
import { api } from './api.js';
import { fieldsOf, hexDump, fieldTable } from './packet-detail.js';

let dlg = null;
let release = null;

function close() {
  if (!dlg || dlg.hidden) return;
  dlg.hidden = true;
  if (release) release();
  release = null;
}

function build() {
  const ta = h('textarea', { class: 'mono byop-input', rows: '4', 'aria-label': 'Packet hex', placeholder: 'Paste raw packet hex, e.g. 1500…' });
  const out = h('div', { class: 'byop-out', 'aria-live': 'polite' });
  const run = async () => {
    const hex = ta.value.replace(/\s+/g, '');
    if (!hex) return;
    clear(out).appendChild(h('p', { class: 'muted' }, 'Decoding…'));
    try {
      const r = await api('/decode', { method: 'POST', body: { hex } });
      const hd = (r.decoded && r.decoded.header) || {};
      const fields = fieldsOf(r.breakdown);
      // dom.js replace skips null children (Element.append would print "null").
      replace(out,
        h('p', null, h('strong', null, String(hd.payloadTypeName || 'Unknown')), ' · ', String(hd.routeTypeName || ''), ` · ${Math.floor(hex.length / 2)} bytes`),
        hexDump(hex, fields),
        r.breakdown && r.breakdown.error ? h('p', { class: 'muted' }, `Decoder: ${r.breakdown.error}`) : null,
        fields.length ? fieldTable(fields) : h('p', { class: 'muted' }, 'No byte breakdown returned.'));
    } catch (e) {
      clear(out).appendChild(h('div', { class: 'error-box', role: 'alert' }, e.message));
    }
  };
  ta.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); run(); } });
  const box = h('div', { class: 'search-box byop-box', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'byop-title' },
    h('div', { class: 'detail-head' }, h('h2', { id: 'byop-title', class: 'detail-title' }, '📦 Decode a Packet'),
      h('button', { type: 'button', class: 'btn', 'aria-label': 'Close', onclick: close }, '✕')),
    ta,
    h('div', { class: 'detail-actions' }, h('button', { type: 'button', class: 'btn on', onclick: run }, 'Decode'), h('span', { class: 'muted' }, 'Ctrl+Enter')),
    out);
  dlg = h('div', { class: 'search-overlay', hidden: true }, box);
  dlg.addEventListener('click', (e) => { if (e.target === dlg) close(); });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
  });
  document.body.appendChild(dlg);
  dlg.ta = ta;
}

/** openDecoder shows the dialog and focuses the hex input. */
export function openDecoder() {
  if (!dlg) build();
  if (!release) release = trapFocus(dlg); // remembers the opener; close() gives focus back
  dlg.hidden = false;
  dlg.ta.focus();
}

/** closeDecoder hides the dialog (used when the page unmounts). */
export const closeDecoder = close;
