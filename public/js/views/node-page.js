// Full-screen node page (#/nodes/{pk}); 8-char prefixes resolve server-side.
import { h } from '../dom.js';
import { renderNodeDetail } from '../node-detail.js';
import { navigate } from '../router.js';

let cleanup = null;
let onKey = null;

export function mount(el, p) {
  const box = h('section', { class: 'page node-page' });
  el.appendChild(box);
  cleanup = renderNodeDetail(box, p.param, { full: true });
  onKey = (e) => { if (e.key === 'Escape' && !e.defaultPrevented) navigate('#/nodes'); };
  document.addEventListener('keydown', onKey);
}

export function unmount() {
  if (cleanup) cleanup();
  document.removeEventListener('keydown', onKey);
  cleanup = null;
}
