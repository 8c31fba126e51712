// Node detail (side panel on #/nodes and the full page #/nodes/{pk}): overview, QR code,
// mini map, recent packets and heard-by observers. Two fetches: the node and its health.
import { h, clear } from './dom.js';
import { api, config, errorBox } from './api.js';
import {
  roleKey, ROLE_LABELS, nodeStatus, STATUS_SHAPE, timeAgo, absTime, num, fixed, hasGPS, typeName, typeClass, packetSummary,
} from './format.js';
import { qrSVG } from './qr.js';
import { createMap, roleIcon } from './mapbase.js';
import { starButton } from './favorites.js';

const QR_TYPE = { companion: 1, repeater: 2, room: 3, sensor: 4 };

function statusText(node) {
  const st = nodeStatus(node, config.client.healthThresholds);
  const infra = ['repeater', 'room'].includes(roleKey(node.role));
  const th = config.client.healthThresholds || {};
  const hrs = (ms, d) => Math.round((ms || d) / 3600e3);
  const deg = infra ? hrs(th.infraDegradedMs, 24 * 3600e3) : hrs(th.nodeDegradedMs, 3600e3);
  const sil = infra ? hrs(th.infraSilentMs, 72 * 3600e3) : hrs(th.nodeSilentMs, 24 * 3600e3);
  const why = st === 'active' ? `heard within the last ${deg} h`
    : st === 'degraded' ? `not heard for more than ${deg} h` : `not heard for more than ${sil} h`;
  return { st, why };
}

/**
 * openFull opens the full node page as a new history entry even when the list's panel already
 * shows the same address (#/nodes/{pk}, where a plain link would not fire hashchange).
 */
function openFull(e) {
  const href = e.currentTarget.getAttribute('href');
  if (location.hash !== href) return;
  e.preventDefault();
  history.pushState(null, '', href);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

function table(caption, heads, rows) {
  return h('div', { class: 'scroll-x' }, h('table', { class: 'tbl' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, ...heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...rows)));
}

/**
 * renderNodeDetail fetches and renders node pk into el. opts.full = full page layout,
 * opts.onClose adds a close button, opts.noMap leaves out the mini map (the live map's panel). Returns a cleanup function (removes the mini map).
 */
export function renderNodeDetail(el, pk, opts = {}) {
  let mapObj = null;
  let dead = false;
  clear(el).appendChild(h('p', { class: 'loading' }, 'Loading node…'));
  const load = async () => {
    try {
      const [det, health] = await Promise.all([
        api('/nodes/' + encodeURIComponent(pk)),
        api('/nodes/' + encodeURIComponent(pk) + '/health').catch(() => null),
      ]);
      if (dead) return;
      draw(det, health);
    } catch (e) {
      if (dead) return;
      clear(el).append(
        h(opts.full ? 'h1' : 'h2', null, 'Node ' + String(pk).slice(0, 16)),
        errorBox(e, load));
    }
  };
  const draw = (det, health) => {
    clear(el);
    const n = det.node || {};
    const role = roleKey(n.role);
    const { st, why } = statusText(n);
    const name = n.name || String(n.public_key || pk).slice(0, 8);
    const H = opts.full ? 'h1' : 'h2';
    el.appendChild(h('div', { class: 'detail-head' },
      h(H, { class: 'detail-title' }, name),
      opts.onClose ? h('button', { type: 'button', class: 'btn', 'aria-label': 'Close node details', onclick: opts.onClose }, '✕') : null));
    el.appendChild(h('p', null,
      h('span', { class: `role-badge role-${role}` }, ROLE_LABELS[role] || String(n.role || 'unknown')), ' ',
      h('span', { class: `status status-${st}` }, `${STATUS_SHAPE[st]} ${st}`), ' ',
      h('span', { class: 'muted' }, `— ${why}`)));
    const actions = h('div', { class: 'detail-actions' });
    if (!opts.full) actions.appendChild(h('a', { class: 'btn', href: `#/nodes/${encodeURIComponent(n.public_key)}`, onclick: openFull }, '🔍 Details'));
    else actions.appendChild(h('a', { class: 'btn', href: '#/nodes' }, '← All nodes'));
    actions.appendChild(h('a', { class: 'btn', href: `#/nodes/${encodeURIComponent(n.public_key)}/analytics` }, '📊 Analytics'));
    actions.appendChild(h('a', { class: 'btn', href: `#/packets?node=${encodeURIComponent(n.public_key)}` }, '📦 Packets'));
    actions.appendChild(starButton(n.public_key, name));
    if (hasGPS(n)) actions.appendChild(h('a', { class: 'btn', href: `#/map?node=${encodeURIComponent(n.public_key)}` }, '🗺️ Map'));
    el.appendChild(actions);

    const qrText = `meshcore://contact/add?name=${encodeURIComponent(n.name || '')}&public_key=${n.public_key}&type=${QR_TYPE[role] || 1}`;
    const mapBox = hasGPS(n) && !opts.noMap ? h('div', { class: 'mini-map', role: 'img', 'aria-label': `Map showing ${name}` }) : null;
    el.appendChild(h('div', { class: opts.full ? 'grid2' : 'node-hero' },
      mapBox || h('p', { class: 'muted' }, hasGPS(n) ? `📍 ${fixed(n.lat, 5)}, ${fixed(n.lon, 5)}` : 'No location advertised.'),
      qrSVG(qrText, `QR code to add ${name} as a contact`)));
    el.appendChild(h('p', { class: 'mono key' }, String(n.public_key || '')));

    const s = (health && health.stats) || {};
    const dl = h('dl', { class: 'kv' });
    const add = (k, ...v) => dl.append(h('dt', null, k), h('dd', null, ...v));
    add('Last Heard', timeAgo(n.last_heard || n.last_seen), h('span', { class: 'muted' }, ` (${absTime(n.last_heard || n.last_seen)})`));
    add('First Seen', absTime(n.first_seen));
    if (n.last_relayed) add('Last Relayed', timeAgo(n.last_relayed));
    add('Total Packets', num(s.totalTransmissions ?? s.totalPackets), s.totalObservations ? ` (${num(s.totalObservations)} observations)` : '');
    add('Packets Today', num(s.packetsToday));
    add('Avg SNR', s.avgSnr === null || s.avgSnr === undefined ? '—' : `${fixed(s.avgSnr)} dB`);
    add('Avg Hops', s.avgHops === undefined ? '—' : String(s.avgHops));
    add('Adverts', num(n.advert_count));
    add('Location', hasGPS(n) ? `${fixed(n.lat, 5)}, ${fixed(n.lon, 5)}` : '—');
    if (n.hash_size) add('Hash Prefix', h('span', { class: 'mono' }, String(n.public_key).slice(0, n.hash_size * 2).toUpperCase()), ` (${n.hash_size}-byte)`);
    el.appendChild(h('div', { class: 'section' }, h('h3', null, 'Overview'), dl));

    const recent = (health && health.recentPackets && health.recentPackets.length ? health.recentPackets : det.recentAdverts) || [];
    el.appendChild(h('div', { class: 'section' }, h('h3', null, `Recent Packets (${recent.length})`),
      recent.length ? table('Recent packets', ['Time', 'Type', 'Details', '👁', ''], recent.slice(0, 20).map((p) => h('tr', null,
        h('td', null, timeAgo(p.timestamp || p.first_seen)),
        h('td', null, h('span', { class: 'badge t-' + typeClass(p.payload_type) }, typeName(p.payload_type))),
        h('td', null, packetSummary(p)),
        h('td', null, String(p.observation_count ?? (p.observations ? p.observations.length : ''))),
        h('td', null, h('a', { href: `#/packets/${encodeURIComponent(p.hash)}` }, 'Analyze →')))))
        : h('p', { class: 'muted' }, 'No packets recorded.')));

    const heard = (health && health.observers) || [];
    el.appendChild(h('div', { class: 'section' }, h('h3', null, `Heard By (${heard.length})`),
      heard.length ? table('Observers that heard this node', ['Observer', 'Packets', 'Avg SNR', 'Avg RSSI'], heard.map((o) => h('tr', null,
        h('td', null, h('a', { href: `#/observers/${encodeURIComponent(o.observer_id)}` }, String(o.observer_name || o.observer_id))),
        h('td', null, num(o.packetCount)), h('td', null, fixed(o.avgSnr)), h('td', null, fixed(o.avgRssi, 0)))))
        : h('p', { class: 'muted' }, 'No observer has heard this node yet.')));

    if (mapBox && window.L) {
      requestAnimationFrame(() => {
        if (dead) return;
        mapObj = createMap(mapBox, { center: [n.lat, n.lon], zoom: 11 });
        window.L.marker([n.lat, n.lon], { icon: roleIcon(n.role), title: name, alt: name }).addTo(mapObj.map);
      });
    }
  };
  load();
  return () => { dead = true; if (mapObj) mapObj.destroy(); };
}
