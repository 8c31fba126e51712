// Tools landing (#/tools, UI.md §11): one card per tool.
import { h } from '../dom.js';

export function mount(el) {
  const tool = (href, id, title, desc) => h('a', { class: 'card tools-card', href, id },
    h('h2', null, title), h('p', { class: 'muted' }, desc));
  el.appendChild(h('section', { class: 'page tools-page' },
    h('h1', null, 'Tools'),
    h('div', { class: 'tools-cards' },
      tool('#/tools/path-inspector', 'tool-path-inspector', '🔍 Path Inspector',
        'Turn a list of hop prefixes (as printed in a packet path) into the most likely chains of repeaters, scored by neighbour evidence and distance, and show them on a map.'),
      tool('#/tools/trace', 'tool-trace', '📡 Trace Viewer',
        'Follow one packet: every observer that heard it, the hops it took and when each copy arrived.'),
      tool('geofilter-builder.html', 'tool-geofilter', '🗺️ GeoFilter Builder',
        'Draw the polygon that keeps this instance about your mesh and export it for config.json.'),
      tool('area-map.html', 'tool-area-map', '🧭 Area Map', 'See the named areas behind the Area filter.')),
    h('p', { class: 'muted' }, 'How the geo filter works: ', h('a', { href: 'geofilter-docs.html' }, 'GeoFilter docs'), '.')));
}

export function unmount() {}
