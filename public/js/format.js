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

/** absTime renders an ISO-like absolute time in local time with seconds. */
export function absTime(s) {
  const t = parseTime(s);
  if (Number.isNaN(t)) return '—';
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

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
