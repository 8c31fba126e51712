// Formatting and vocabulary shared by all views (packet types, roles, times, paths).

export const TYPE_NAMES = {
  0: 'Request', 1: 'Response', 2: 'Direct Msg', 3: 'ACK', 4: 'Advert', 5: 'Channel Msg',
  6: 'Group Data', 7: 'Anon Req', 8: 'Path', 9: 'Trace', 10: 'Multipart', 11: 'Control',
  15: 'Raw Custom',
};
const TYPE_CLASS = {
  0: 'req', 1: 'resp', 2: 'dm', 3: 'ack', 4: 'advert', 5: 'chan', 6: 'grpdata', 7: 'anon',
  8: 'path', 9: 'trace', 10: 'multi', 11: 'control', 15: 'raw',
};
export const ROUTE_NAMES = { 0: 'TRANSPORT_FLOOD', 1: 'FLOOD', 2: 'DIRECT', 3: 'TRANSPORT_DIRECT' };
export const ROLES = ['repeater', 'room', 'companion', 'sensor'];
export const ROLE_LABELS = { repeater: 'Repeater', room: 'Room', companion: 'Companion', sensor: 'Sensor', observer: 'Observer' };
export const ROLE_EMOJI = { repeater: '📡', room: '🏠', companion: '📱', sensor: '🌡️' };

export const typeName = (t) => (t === null || t === undefined ? 'Unknown' : (TYPE_NAMES[t] || `Type ${t}`));
export const typeClass = (t) => TYPE_CLASS[t] || 'unknown';
export const routeName = (r) => ROUTE_NAMES[r] || 'UNKNOWN';
export const isTransport = (r) => r === 0 || r === 3;

/** roleKey normalises a free-text role to one of the known role keys, or 'unknown'. */
export function roleKey(role) {
  const r = String(role || '').toLowerCase();
  if (r.startsWith('repeat')) return 'repeater';
  if (r.startsWith('room')) return 'room';
  if (r.startsWith('comp') || r === 'chat') return 'companion';
  if (r.startsWith('sens')) return 'sensor';
  return 'unknown';
}

/** parseJSON returns the parsed value or def; server JSON strings may be null or invalid. */
export function parseJSON(s, def = null) {
  if (s === null || s === undefined || s === '') return def;
  if (typeof s !== 'string') return s;
  try { return JSON.parse(s); } catch { return def; }
}

/** hops returns the path hop list of a packet/observation (path_json or _parsedPath). */
export function hops(p) {
  if (!p) return [];
  if (Array.isArray(p._parsedPath)) return p._parsedPath;
  const v = parseJSON(p.path_json, []);
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * obsView is one observation of a transmission seen as a packet row: the transmission's fields
 * with the observation's observer, signal, time, raw bytes and path. The packet's own path
 * fields (_parsedPath, resolved_path, which describe its first observation) are dropped so
 * they can never stand in for another observation's path.
 */
export function obsView(pkt, o) {
  if (!o) return pkt;
  const { _parsedPath, resolved_path: _rp, observations: _obs, ...base } = pkt || {};
  return {
    ...base, ...o, id: base.id ?? o.transmission_id, hash: base.hash || o.hash,
    payload_type: base.payload_type, route_type: base.route_type, decoded_json: base.decoded_json,
    raw_hex: o.raw_hex || base.raw_hex, path_json: o.path_json ?? '[]', resolved_path: o.resolved_path ?? null,
  };
}

/** parseTime accepts ISO strings and legacy "YYYY-MM-DD HH:MM:SS" (UTC). Returns ms or NaN. */
export function parseTime(s) {
  if (!s) return NaN;
  if (typeof s === 'number') return s;
  let str = String(s);
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(str)) str = str.replace(' ', 'T') + (str.endsWith('Z') ? '' : 'Z');
  return Date.parse(str);
}

/** ago renders a relative time ("40s ago"); future times get a ⚠ suffix. */
export function ago(s, now = Date.now()) {
  const t = parseTime(s);
  if (Number.isNaN(t)) return '—';
  let d = Math.round((now - t) / 1000);
  const future = d < -5;
  d = Math.abs(d);
  let out;
  if (d < 60) out = `${d}s`;
  else if (d < 3600) out = `${Math.floor(d / 60)}m`;
  else if (d < 86400) out = `${Math.floor(d / 3600)}h`;
  else out = `${Math.floor(d / 86400)}d`;
  return future ? `in ${out} ⚠` : `${out} ago`;
}

/**
 * timeAgo returns a <time> element showing ago(s) (optionally inside wrap, e.g. " (%s)") with
 * the absolute time as tooltip. The app shell's ticker (tickAgo) rewrites every such element
 * once a second, so relative times keep counting on paused tables and open panes.
 */
export function timeAgo(s, wrap = '') {
  const el = document.createElement('time');
  const t = parseTime(s);
  if (!Number.isNaN(t)) {
    el.dateTime = new Date(t).toISOString();
    el.dataset.ago = String(t);
    el.title = absTime(t);
  }
  if (wrap) el.dataset.wrap = wrap;
  const txt = timeFmt.mode === 'absolute' ? absTime(s) : ago(s);
  el.textContent = wrap ? wrap.replace('%s', txt) : txt;
  return el;
}

/** tickAgo refreshes the text of every timeAgo element under root. */
export function tickAgo(root = document, now = Date.now()) {
  for (const el of root.querySelectorAll('time[data-ago]')) {
    const txt = timeFmt.mode === 'absolute' ? absTime(+el.dataset.ago) : ago(+el.dataset.ago, now);
    const v = el.dataset.wrap ? el.dataset.wrap.replace('%s', txt) : txt;
    if (el.textContent !== v) el.textContent = v;
  }
}

/** absTime renders an ISO-like absolute time in local time with seconds. */
export function absTime(s) {
  const t = parseTime(s);
  if (Number.isNaN(t)) return '—';
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  if (timeFmt.tz === 'utc') return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}Z`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** timeFmt: how times are shown (customizer Display: 'ago' | 'absolute', 'local' | 'utc'). */
const timeFmt = { mode: 'ago', tz: 'local' };
export function setTimeFormat({ mode, tz } = {}) {
  if (mode === 'ago' || mode === 'absolute') timeFmt.mode = mode;
  if (tz === 'local' || tz === 'utc') timeFmt.tz = tz;
}
export const timeFormat = () => ({ ...timeFmt });

export const num = (n) => (n === null || n === undefined || Number.isNaN(n) ? '—' : Number(n).toLocaleString());
export const fixed = (n, d = 1) => (n === null || n === undefined || Number.isNaN(Number(n)) ? '—' : Number(n).toFixed(d));
export const shortKey = (k, n = 8) => (k ? String(k).slice(0, n) : '—');

/** hashColor maps a packet hash to a stable HSL colour (hue from bytes 0–1, etc.). */
export function hashColor(hash, dark = true) {
  const hx = String(hash || '').padEnd(8, '0');
  const b = (i) => parseInt(hx.slice(i * 2, i * 2 + 2), 16) || 0;
  const hue = ((b(0) << 8) | b(1)) % 360;
  const sat = 55 + (b(2) % 35);
  const light = (dark ? 55 : 38) + (b(3) % 15);
  return `hsl(${hue} ${sat}% ${light}%)`;
}

/**
 * inkFor returns the text colour (near-black or white) with the higher WCAG contrast on an
 * "hsl(H S% L%)" background, e.g. a hashColor() avatar: one of the two is always ≥ 4.5:1.
 */
export function inkFor(hsl) {
  const m = /hsl\(\s*([\d.]+)\s+([\d.]+)%\s+([\d.]+)%/.exec(String(hsl));
  if (!m) return '#fff';
  const hh = +m[1] / 360, s = +m[2] / 100, l = +m[3] / 100;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
  const ch = (t) => {
    t = (t + 1) % 1;
    const v = t < 1 / 6 ? p + (q - p) * 6 * t : t < 1 / 2 ? q : t < 2 / 3 ? p + (q - p) * (2 / 3 - t) * 6 : p;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * ch(hh + 1 / 3) + 0.7152 * ch(hh) + 0.0722 * ch(hh - 1 / 3);
  const dark = 0.0056; // #111
  return (lum + 0.05) / (dark + 0.05) >= 1.05 / (lum + 0.05) ? '#111' : '#fff';
}

/** packetSummary builds the one-line "Details" text from a decoded payload. */
export function packetSummary(p) {
  const d = parseJSON(p.decoded_json, null) || {};
  switch (p.payload_type) {
    case 5:
      if (d.channel && (d.text || d.sender)) return `${d.channel} · ${d.text || ''}`;
      return `🔒 channel 0x${d.channelHashHex || (d.channelHash !== undefined ? Number(d.channelHash).toString(16) : '??')}`;
    case 4: {
      const role = d.flags ? (d.flags.repeater ? 'repeater' : d.flags.room ? 'room' : d.flags.sensor ? 'sensor' : 'companion') : '';
      return `${ROLE_EMOJI[role] || ''} ${d.name || shortKey(d.pubKey || d.public_key, 8)}`.trim();
    }
    case 0: case 1: case 2: case 7:
      return `🔒 ${d.srcHash || '??'} → ${d.destHash || '??'}`;
    case 9: return `trace ${d.tag !== undefined ? d.tag : ''}`.trim();
    default: return d.type || '';
  }
}

/** nodeStatus returns 'active' | 'degraded' | 'silent' from last-heard vs health thresholds. */
export function nodeStatus(node, thr, now = Date.now()) {
  const t = parseTime(node.last_heard || node.last_seen);
  if (Number.isNaN(t)) return 'silent';
  const infra = ['repeater', 'room'].includes(roleKey(node.role));
  const th = thr || {};
  const deg = infra ? (th.infraDegradedMs || 24 * 3600e3) : (th.nodeDegradedMs || 3600e3);
  const sil = infra ? (th.infraSilentMs || 72 * 3600e3) : (th.nodeSilentMs || 24 * 3600e3);
  const age = now - t;
  if (age < deg) return 'active';
  if (age < sil) return 'degraded';
  return 'silent';
}
export const STATUS_SHAPE = { active: '●', degraded: '▲', silent: '✕' };

/** hasGPS is true when lat/lon are present and not the (0,0) "no position" marker. */
export const hasGPS = (n) => n && typeof n.lat === 'number' && typeof n.lon === 'number' && !(n.lat === 0 && n.lon === 0);
