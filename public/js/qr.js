// QR code as an SVG element built with DOM APIs from the vendored qrcode-generator matrix.
import { h } from './dom.js';

/** qrSVG returns an <svg> QR code for text, or a note when the encoder is unavailable. */
export function qrSVG(text, label) {
  const gen = window.qrcode;
  if (typeof gen !== 'function') return h('span', { class: 'muted' }, 'QR encoder not loaded');
  const q = gen(0, 'M');
  q.addData(text);
  q.make();
  const n = q.getModuleCount();
  const m = 2;
  const svg = h('svg:svg', { viewBox: `0 0 ${n + 2 * m} ${n + 2 * m}`, role: 'img', 'aria-label': label || 'QR code', 'shape-rendering': 'crispEdges' });
  svg.appendChild(h('svg:rect', { x: '0', y: '0', width: String(n + 2 * m), height: String(n + 2 * m), fill: '#fff' }));
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.isDark(r, c)) d += `M${c + m} ${r + m}h1v1h-1z`;
  svg.appendChild(h('svg:path', { d, fill: '#000' }));
  return h('div', { class: 'qr', title: text }, svg);
}
