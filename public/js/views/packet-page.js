// Standalone packet page (#/packet/{hashOrId}), max 800 px wide.
import { h, clear } from '../dom.js';
import { api, errorBox } from '../api.js';
import { setQuery } from '../router.js';
import { renderDetail } from '../packet-detail.js';

let S = null;

async function load() {
  try {
    const data = await api('/packets/' + encodeURIComponent(S.id));
    if (!S) return;
    const draw = () => renderDetail(S.box, data, { obsId: S.obs, onObs: (o) => { S.obs = String(o); setQuery({ obs: S.obs }); draw(); } });
    draw();
  } catch (e) {
    if (!S) return;
    clear(S.box).append(h('h2', null, 'Packet ' + S.id), errorBox(e, load));
  }
}

export function mount(el, p) {
  S = { id: p.param, obs: p.query.get('obs') };
  S.box = h('div', { class: 'detail-standalone' }, h('p', { class: 'loading' }, 'Loading packet…'));
  el.appendChild(h('section', { class: 'page', style: { maxWidth: '800px' } },
    h('p', null, h('a', { href: '#/packets' }, '← Back to packets')),
    h('h1', { class: 'sr-only' }, 'Packet detail'), S.box));
  return load();
}

export function unmount() { S = null; }
