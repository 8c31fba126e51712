// Packet detail pane (used by the packets page and the standalone #/packet/{id} page).
// The coloured hex dump and the field table come from the server's byte breakdown
// (GET /api/packets/{id} → breakdown, per observation when path bytes differ); the browser
// never re-derives byte layouts.
import { h, clear } from './dom.js';
import {
  typeName, typeClass, routeName, isTransport, parseJSON, hops, absTime, timeAgo, fixed, packetSummary, hasGPS, obsView, parseTime,
} from './format.js';
import { hopPills } from './hops.js';

/** fieldsOf normalises a breakdown (array, {fields}, or {ranges}) to a sorted field list. */
export function fieldsOf(bd) {
  if (!bd) return [];
  const list = Array.isArray(bd) ? bd : Array.isArray(bd.fields) ? bd.fields : [];
  return list
    .filter((f) => f && Number.isFinite(+f.offset) && Number.isFinite(+f.length))
    .map((f) => ({ ...f, offset: +f.offset, length: +f.length, kind: String(f.kind || 'payload').toLowerCase().replace(/[^a-z0-9_-]/g, '') }))
    .sort((a, b) => a.offset - b.offset);
}

const KIND_LABELS = {
  header: 'Header', transport: 'Transport Codes', transport_codes: 'Transport Codes', path_len: 'Path Length',
  path_length: 'Path Length', pathlen: 'Path Length', path: 'Path', payload: 'Payload', pubkey: 'PubKey',
  timestamp: 'Timestamp', signature: 'Signature', flags: 'Flags', location: 'Location', name: 'Name',
  ciphertext: 'Ciphertext', mac: 'MAC', hash: 'Hash', data: 'Data', appdata: 'App Data', control: 'Control',
  feature: 'Feature', route: 'Route', snr: 'SNR', tag: 'Tag', telemetry: 'Telemetry',
};
const SECTION_OF = (k) => (k === 'header' ? 'HEADER' : k.startsWith('transport') ? 'TRANSPORT' : k.startsWith('path') ? 'PATH' : 'PAYLOAD');

/** hexDump renders raw bytes as spans coloured by the field that covers them. */
export function hexDump(rawHex, fields) {
  const hex = String(rawHex || '').replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  const n = Math.floor(hex.length / 2);
  const byte = (i) => hex.slice(i * 2, i * 2 + 2);
  const pre = h('pre', { class: 'hexdump mono', 'aria-label': `Raw packet bytes (${n} bytes)` });
  let pos = 0;
  const run = (from, to, cls, title) => {
    if (to <= from) return;
    const parts = [];
    for (let i = from; i < to && i < n; i++) parts.push(byte(i));
    pre.appendChild(h('span', { class: 'hx ' + cls, title }, parts.join(' ')));
    pre.appendChild(document.createTextNode(' '));
  };
  for (const f of fields) {
    if (f.offset > pos) run(pos, f.offset, 'hx-gap', 'unlabelled bytes');
    if (f.offset + f.length > pos) run(Math.max(pos, f.offset), f.offset + f.length, 'hx-' + f.kind, `${f.name} @${f.offset}`);
    pos = Math.max(pos, f.offset + f.length);
  }
  if (pos < n) run(pos, n, fields.length ? 'hx-gap' : 'hx-plain', fields.length ? 'unlabelled bytes' : 'bytes');
  return pre;
}

/** fieldTable renders the Offset / Field / Value / Description table of a breakdown. */
export function fieldTable(fields) {
  const tbody = h('tbody');
  let section = '';
  for (const f of fields) {
    const s = SECTION_OF(f.kind);
    if (s !== section) {
      section = s;
      tbody.appendChild(h('tr', { class: 'bk-section' }, h('th', { colspan: '4', scope: 'colgroup' }, s)));
    }
    const v = f.value === null || f.value === undefined ? '' : typeof f.value === 'object' ? JSON.stringify(f.value) : String(f.value);
    tbody.appendChild(h('tr', { class: 'bk-row' },
      h('td', { class: 'mono' }, String(f.offset) + (f.length > 1 ? `–${f.offset + f.length - 1}` : '')),
      h('td', null, h('span', { class: 'bk-swatch hx-' + f.kind, 'aria-hidden': 'true' }), String(f.name || '')),
      h('td', { class: 'mono bk-value' }, v),
      h('td', { class: 'muted' }, String(f.description || ''))));
  }
  return h('table', { class: 'tbl bk-table' },
    h('caption', { class: 'sr-only' }, 'Byte fields'),
    h('thead', null, h('tr', null, ...['Offset', 'Field', 'Value', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
}

/**
 * headerFacts reads the transport codes and the path hash size from the server's breakdown
 * (byte layouts are never re-derived here): {codes: [c1, c2] | null, hashSize | null}.
 */
function headerFacts(fields) {
  const tc = fields.filter((f) => f.kind.startsWith('transport')).map((f) => String(f.value ?? ''));
  const pl = fields.find((f) => f.kind.startsWith('path_len') || f.kind === 'pathlen');
  const b = pl ? parseInt(String(pl.value ?? '').replace(/^0x/i, ''), 16) : NaN;
  return { codes: tc.length ? tc : null, hashSize: Number.isNaN(b) ? null : (b >> 6) + 1 };
}

/** propagation summarises how a packet spread: distinct observers and first→last time. */
function propagation(obsList) {
  if (!obsList.length) return '—';
  const ts = obsList.map((o) => parseTime(o.timestamp)).filter((t) => !Number.isNaN(t));
  const n = new Set(obsList.map((o) => o.observer_id)).size;
  const span = ts.length ? Math.max(...ts) - Math.min(...ts) : 0;
  const spanText = span < 1000 ? `${span} ms` : `${(span / 1000).toFixed(1)} s`;
  return `${n} observer${n === 1 ? '' : 's'}, ${obsList.length} observation${obsList.length === 1 ? '' : 's'} over ${spanText}`;
}

/** replayPacket hands the packet's observations to the live map (sessionStorage) and goes there. */
function replayPacket(pkt, obsList) {
  const list = (obsList.length ? obsList : [pkt]).map((o) => obsView(pkt, o === pkt ? null : o));
  try { sessionStorage.setItem('replay-packet', JSON.stringify(list)); } catch { /* storage full: live starts empty */ }
  location.hash = '#/live';
}

function row(label, ...value) {
  return [h('dt', null, label), h('dd', null, ...value)];
}

/**
 * renderDetail fills el from a /api/packets/{id} response. opts.obsId selects an observation;
 * opts.onObs(id) is called when the user picks another one; opts.onClose adds a close button.
 */
export function renderDetail(el, data, opts = {}) {
  clear(el);
  const pkt = data.packet || {};
  const obsList = Array.isArray(data.observations) ? data.observations : (Array.isArray(pkt.observations) ? pkt.observations : []);
  let obs = null;
  if (opts.obsId !== undefined && opts.obsId !== null) obs = obsList.find((o) => String(o.id) === String(opts.obsId)) || null;
  if (!obs) obs = obsList.find((o) => o.observer_id === pkt.observer_id && o.path_json === pkt.path_json) || obsList[0] || null;
  const view = obsView(pkt, obs);
  const d = parseJSON(pkt.decoded_json, {}) || {};
  const idx = obs ? obsList.indexOf(obs) : -1;

  const head = h('div', { class: 'detail-head' },
    h('h2', { class: 'detail-title' },
      h('span', { class: 'badge t-' + typeClass(pkt.payload_type) }, typeName(pkt.payload_type)), ' ',
      packetSummary(pkt)),
    opts.onClose ? h('button', { type: 'button', class: 'btn detail-close', 'aria-label': 'Close details', onclick: opts.onClose }, '✕ (Esc)') : null);
  el.appendChild(head);
  el.appendChild(h('div', { class: 'mono muted detail-hash' }, String(pkt.hash || ''),
    obsList.length ? `  · observation ${idx + 1} of ${obsList.length}` : ''));

  if (pkt.payload_type === 5) {
    const enc = !d.text && !d.sender;
    el.appendChild(h('div', { class: 'msg-box' + (enc ? ' enc' : '') },
      enc ? `🔒 Encrypted channel message (channel 0x${d.channelHashHex || '??'}) — no key configured` : `${d.channel ? d.channel + ' · ' : ''}${d.text || ''}`));
  }

  const hopList = hops(view);
  const bd = (obs && obs.breakdown) || data.breakdown;
  const fields = fieldsOf(bd);
  const facts = headerFacts(fields);
  const dl = h('dl', { class: 'kv' });
  const add = (...r) => dl.append(...row(...r));
  add('Payload Type', h('span', { class: 'badge t-' + typeClass(pkt.payload_type) }, typeName(pkt.payload_type)));
  add('Route Type', routeName(pkt.route_type), isTransport(pkt.route_type) ? h('span', { class: 'badge tb', title: 'transport route' }, 'T') : null);
  add('Path', h('span', { class: 'badge tb' }, `${hopList.length} hops`), ' ', ...hopPills(hopList, view.resolved_path, { link: true }));
  add('Timestamp', absTime(view.timestamp || pkt.first_seen), h('span', { class: 'muted' }, timeAgo(view.timestamp || pkt.first_seen, ' (%s)')));
  add('Observer', view.observer_id
    ? h('a', { href: `#/observers/${encodeURIComponent(view.observer_id)}` }, String(view.observer_name || view.observer_id))
    : '—', view.observer_iata ? h('span', { class: 'badge iata' }, String(view.observer_iata)) : null);
  add('SNR / RSSI', `${fixed(view.snr)} dB / ${fixed(view.rssi, 0)} dBm`);
  if (pkt.payload_type === 4) {
    const pk = d.pubKey || d.public_key;
    add('Node', pk ? h('a', { href: `#/nodes/${encodeURIComponent(pk)}` }, String(d.name || pk)) : String(d.name || '—'));
    if (hasGPS(d)) add('Location', `${fixed(d.lat, 5)}, ${fixed(d.lon, 5)} `, pk ? h('a', { href: `#/map?node=${encodeURIComponent(pk)}` }, '📍map') : null);
  }
  if (d.sender) add('Sender', String(d.sender));
  if (facts.codes) {
    // Transport code 1 is the region scope (0000 = unscoped); names need the region keys.
    add('Scope', /^0+$/.test(facts.codes[0]) ? 'unscoped' : `unknown scope (code ${facts.codes[0]})`);
    add('Transport Codes', h('span', { class: 'mono' }, `Code1 ${facts.codes[0]} · Code2 ${facts.codes[1] ?? '—'}`));
  }
  if (facts.hashSize) add('Hash Size', `${facts.hashSize} byte${facts.hashSize === 1 ? '' : 's'} per hop`);
  add('Propagation', propagation(obsList));
  if (view.direction) add('Direction', String(view.direction));
  add('First seen', absTime(pkt.first_seen));
  el.appendChild(dl);

  el.appendChild(h('div', { class: 'detail-actions' },
    h('button', {
      type: 'button', class: 'btn', onclick: (e) => {
        const url = `${location.origin}${location.pathname}#/packets/${pkt.hash}`;
        (navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject(new Error('no clipboard')))
          .then(() => { e.target.textContent = '✓ Copied'; }, () => { e.target.textContent = url; });
      },
    }, '🔗 Copy Link'),
    h('a', { class: 'btn', href: `#/map?packet=${encodeURIComponent(pkt.hash)}${obs ? `&obs=${encodeURIComponent(obs.id)}` : ''}` }, '🗺️ View route'),
    h('a', { class: 'btn', href: `#/tools/trace/${encodeURIComponent(pkt.hash)}` }, '🔍 Trace'),
    h('button', { type: 'button', class: 'btn', onclick: () => replayPacket(pkt, obsList) }, '▶ Replay'),
    // The standalone page does not link to itself.
    opts.standalone ? null : h('a', { class: 'btn', href: `#/packet/${encodeURIComponent(pkt.hash || pkt.id)}` }, '↗ Full page')));

  const raw = h('details', { class: 'raw-bytes', open: window.innerWidth > 480 },
    h('summary', null, `Show raw bytes (${Math.floor(String(view.raw_hex || '').length / 2)} bytes)`));
  const kinds = [...new Set(fields.map((f) => f.kind))];
  raw.appendChild(h('div', { class: 'bk-legend' }, ...kinds.map((k) =>
    h('span', { class: 'bk-leg' }, h('span', { class: 'bk-swatch hx-' + k, 'aria-hidden': 'true' }), KIND_LABELS[k] || k))));
  raw.appendChild(hexDump(view.raw_hex, fields));
  if (bd && bd.error) raw.appendChild(h('p', { class: 'muted' }, `Decoder: ${bd.error}`));
  if (fields.length) raw.appendChild(fieldTable(fields));
  else raw.appendChild(h('p', { class: 'muted' }, 'The server returned no byte breakdown for this packet.'));
  el.appendChild(raw);

  if (obsList.length > 1) {
    const tb = h('tbody');
    for (const o of obsList) {
      const tr = h('tr', { tabindex: '0', class: o === obs ? 'selected' : '', 'aria-selected': o === obs ? 'true' : 'false' },
        h('td', null, String(o.observer_name || o.observer_id || '—'), o.observer_iata ? h('span', { class: 'badge iata' }, String(o.observer_iata)) : null),
        h('td', null, String(hops(o).length)),
        h('td', null, fixed(o.snr)), h('td', null, fixed(o.rssi, 0)),
        h('td', null, timeAgo(o.timestamp)));
      const pick = () => opts.onObs && opts.onObs(o.id);
      tr.addEventListener('click', pick);
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
      tb.appendChild(tr);
    }
    el.appendChild(h('h3', null, `Observations (${obsList.length})`));
    el.appendChild(h('table', { class: 'tbl obs-table' },
      h('caption', { class: 'sr-only' }, 'Observations of this packet'),
      h('thead', null, h('tr', null, ...['Observer', 'Hops', 'SNR', 'RSSI', 'Time'].map((t) => h('th', { scope: 'col' }, t)))), tb));
    let longest = obsList[0];
    for (const o of obsList) if (hops(o).length > hops(longest).length) longest = o;
    el.appendChild(h('p', { class: 'muted' }, `Cross-observer aggregate: longest path ${hops(longest).length} hops via ${longest.observer_name || longest.observer_id || '?'}`));
  }
}
