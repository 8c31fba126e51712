// Standalone packet page (#/packet/{hashOrId}), max 800 px wide. Refetched (debounced) while
// the packet is still being heard, like the packets page's detail pane.
import { h, clear, debounce } from '../dom.js';
import { api, errorBox, showError } from '../api.js';
import * as live from '../live.js';
import { setQuery } from '../router.js';
import { renderDetail } from '../packet-detail.js';

let S = null;

function draw() {
  renderDetail(S.box, S.data, {
    obsId: S.obs, standalone: true,
    onObs: (o) => { S.obs = String(o); setQuery({ obs: S.obs }); draw(); },
  });
}

async function load(first) {
  try {
    const data = await api('/packets/' + encodeURIComponent(S.id));
    if (!S) return;
    S.data = data;
    S.hash = data.packet && data.packet.hash;
    const top = document.scrollingElement.scrollTop;
    draw();
    if (!first) document.scrollingElement.scrollTop = top;
  } catch (e) {
    if (!S) return;
    if (!first) { showError(e, 'Packet refresh'); return; }
    clear(S.box).append(h('h2', null, 'Packet ' + S.id), errorBox(e, () => load(true)));
  }
}

export function mount(el, p) {
  S = { id: p.param, obs: p.query.get('obs'), data: null, hash: null };
  S.box = h('div', { class: 'detail-standalone' }, h('p', { class: 'loading' }, 'Loading packet…'));
  el.appendChild(h('section', { class: 'page', style: { maxWidth: '800px' } },
    h('p', null, h('a', { href: '#/packets' }, '← Back to packets')),
    h('h1', { class: 'sr-only' }, 'Packet detail'), S.box));
  S.refresh = debounce(() => load(false), 700);
  S.unsub = live.subscribe((batch) => { if (S && S.hash && batch.some((x) => x.hash === S.hash)) S.refresh(); });
  return load(true);
}

export function unmount() {
  if (!S) return;
  S.unsub();
  S.refresh.cancel();
  S = null;
}
