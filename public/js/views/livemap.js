// Live map (#/live): full-screen map that animates each packet's path as it arrives over the
// shared WebSocket, a feed panel, legend, and a basic VCR (pause/resume, LIVE, speed ¼×–8×,
// scope 1/6/12/24 h with a packet-density timeline).
import { h, store, activateOnKey, trapFocus } from '../dom.js';
import { api, qs, showError, cacheMs } from '../api.js';
import { region, regionSet } from '../region.js';
import * as live from '../live.js';
import { bindTip, createMap, roleColor } from '../mapbase.js';
import { renderNodeDetail } from '../node-detail.js';
import {
  typeName, typeClass, hops, parseJSON, hasGPS, packetSummary, hashColor, parseTime, roleKey, ROLES, ROLE_LABELS,
} from '../format.js';

const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];
const SPEED_LABEL = { 0.25: '¼x', 0.5: '½x', 1: '1x', 2: '2x', 4: '4x', 8: '8x' };
const SCOPES = [[1, '1h'], [6, '6h'], [12, '12h'], [24, '24h']];
const MAX_ANIMS = 20;
const FEED_MAX = 25;
const BUFFER_MAX = 2000;
const TYPE_COLORS = { 4: '#2ea043', 5: '#1f6feb', 2: '#d29922', 0: '#8957e5', 1: '#0e8a9c', 9: '#db61a2', 8: '#12968a', 7: '#9a6700', 6: '#3b7bbf' };
let S = null;

const typeColor = (t) => TYPE_COLORS[t] || '#7d8590';
// The node panel becomes a full-height slide-over at the same width as the CSS (views.css).
const narrow = () => window.matchMedia('(max-width: 768px)').matches;

function nodePos(prefix) {
  const p = String(prefix || '').toLowerCase();
  if (!p) return null;
  let best = null;
  for (const n of S.gpsNodes) {
    if (n.key.startsWith(p)) {
      if (!best || (['repeater', 'room'].includes(n.role) && !['repeater', 'room'].includes(best.role))) best = n;
    }
  }
  return best ? [best.lat, best.lon] : null;
}

function observerPos(id) {
  const o = S.observers.get(id);
  if (o && hasGPS(o)) return [o.lat, o.lon];
  const n = S.nodeByKey.get(String(id || '').toLowerCase());
  return n && hasGPS(n) ? [n.lat, n.lon] : null;
}

function packetPoints(p) {
  const pts = [];
  const d = parseJSON(p.decoded_json, {}) || {};
  if (p.payload_type === 4 && hasGPS(d)) pts.push([d.lat, d.lon]);
  const rp = Array.isArray(p.resolved_path) ? p.resolved_path : [];
  hops(p).forEach((hop, i) => {
    const pos = (rp[i] && nodePos(String(rp[i]))) || nodePos(hop);
    if (pos) pts.push(pos);
  });
  const op = observerPos(p.observer_id);
  if (op) pts.push(op);
  return pts;
}

function animate(p) {
  if (!S || document.hidden) return;
  const pts = packetPoints(p);
  if (!pts.length || S.anims >= MAX_ANIMS) return;
  const L = window.L;
  const color = S.colorByHash ? hashColor(p.hash) : typeColor(p.payload_type);
  S.anims++;
  S.mapEl.dataset.animated = String(++S.animated); // total started, for the browser test
  const pulse = L.circleMarker(pts[0], { radius: 10, color, weight: 2, fillOpacity: 0.4, interactive: false }).addTo(S.fx);
  const line = L.polyline([pts[0]], { color, weight: 3, opacity: 0.9, interactive: false }).addTo(S.fx);
  const segMs = 500 / S.speed;
  const start = performance.now();
  const total = Math.max(1, pts.length - 1) * segMs;
  const step = (now) => {
    if (!S) return;
    // A frame's timestamp is when the frame began, which can be earlier than the
    // performance.now() taken in animate() (a packet batch is itself delivered inside a frame),
    // so clamp at 0: a negative t indexed pts[-1] (the "reading '0'" error seen in the demo).
    const t = Math.max(0, Math.min(1, (now - start) / total));
    const f = t * (pts.length - 1);
    const i = Math.floor(f);
    const seg = pts.slice(0, i + 1);
    if (i < pts.length - 1) {
      const a = pts[i], b = pts[i + 1], k = f - i;
      seg.push([a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k]);
    }
    line.setLatLngs(seg);
    if (t < 1) requestAnimationFrame(step);
    else {
      L.circleMarker(pts[pts.length - 1], { radius: 7, color: '#fff', weight: 2, fillColor: color, fillOpacity: 0.9, interactive: false }).addTo(S.fx);
      setTimeout(() => { if (S) { S.fx.removeLayer(line); S.fx.removeLayer(pulse); } S && S.anims--; S && S.statAnims && (S.statAnims.textContent = String(S.anims)); }, 1500 / S.speed);
      setTimeout(() => { if (S) S.fx.eachLayer((l) => { if (l.options && l.options.fillColor === color && !l.options.interactive) S.fx.removeLayer(l); }); }, 3000);
    }
  };
  requestAnimationFrame(step);
  S.statAnims.textContent = String(S.anims);
}

function feedItem(p) {
  const existing = S.feedItems.get(p.hash);
  if (existing && Date.now() - existing.t < 30000) {
    // observation_count is the transmission's total after this message's tick (shared by the
    // tick's other observations): take it rather than adding one per message.
    existing.count = p.observation_count ? Math.max(existing.count, p.observation_count) : existing.count + 1;
    existing.cnt.textContent = `👁 ${existing.count}`;
    return;
  }
  const cnt = h('span', { class: 'muted' }, `👁 ${p.observation_count || 1}`);
  const el = h('div', {
    class: 'feed-item', role: 'button', tabindex: '0', dataset: { hash: p.hash },
    style: { borderLeftColor: hashColor(p.hash) },
    'aria-label': `${typeName(p.payload_type)} packet ${p.hash}`,
  },
  h('span', { class: 'badge t-' + typeClass(p.payload_type) }, typeName(p.payload_type)),
  h('span', { class: 'txt' }, packetSummary(p).slice(0, 35)),
  h('span', { class: 'muted' }, `${hops(p).length}⇢`), cnt);
  const open = () => { location.hash = `#/packets/${p.hash}`; };
  el.addEventListener('click', open);
  activateOnKey(el, open);
  S.feedItems.set(p.hash, { t: Date.now(), count: p.observation_count || 1, cnt, el });
  S.feedList.prepend(el);
  S.feedEmpty.hidden = true;
  while (S.feedList.children.length > FEED_MAX) {
    const last = S.feedList.lastElementChild;
    S.feedItems.delete(last.dataset.hash);
    last.remove();
  }
}

/**
 * firstSight is true for the first message of a transmission (one arrives per observation).
 * Counters and the density timeline count transmissions, like the history they continue.
 */
function firstSight(hash) {
  if (S.seen.has(hash)) return false;
  S.seen.add(hash);
  if (S.seen.size > 20000) S.seen = new Set([...S.seen].slice(-10000));
  return true;
}

function show(p, first) {
  if (first) {
    S.count++;
    S.statPkts.textContent = String(S.count);
    S.recent.push(Date.now());
  }
  feedItem(p);
  animate(p);
}

/** inRegion: the region filter keeps packets heard by an observer of a selected region. */
function inRegion(p) {
  const rs = regionSet();
  if (!rs.size) return true;
  const o = S.observers.get(p.observer_id);
  const iata = p.observer_iata || (o && o.iata);
  return !!iata && rs.has(iata);
}

function onBatch(batch) {
  if (!S) return;
  const now = Date.now();
  for (const p of batch) {
    if (p._type !== 'packet' || !p.hash || !inRegion(p)) continue;
    const first = firstSight(p.hash);
    if (first) S.stamps.push(now);
    p._first = first;
    if (S.mode === 'LIVE') show(p, first);
    else {
      S.buffer.push({ t: now, p });
      if (S.buffer.length > BUFFER_MAX) S.buffer.splice(0, 500);
      if (first) S.missed++;
      setMode(S.mode);
    }
  }
  drawTimeline();
}

function setMode(m) {
  S.mode = m;
  S.modeEl.dataset.mode = m;
  S.modeEl.textContent = m === 'PAUSED' && S.missed ? `PAUSED +${S.missed}` : m;
  S.playBtn.textContent = m === 'PAUSED' ? '▶' : '⏸';
  S.playBtn.setAttribute('aria-label', m === 'PAUSED' ? 'Resume' : 'Pause');
}

/** replay plays buffered packets in order with their real gaps (clamped) divided by speed. */
function replay() {
  clearTimeout(S.replayTimer);
  const gen = ++S.gen;
  setMode('REPLAY');
  const next = () => {
    if (!S || gen !== S.gen) return;
    const item = S.buffer.shift();
    if (!item) { S.missed = 0; setMode('LIVE'); return; }
    show(item.p, item.p._first);
    const nxt = S.buffer[0];
    const gap = nxt ? Math.min(2000, Math.max(100, nxt.t - item.t)) / S.speed : 0;
    S.replayTimer = setTimeout(next, gap);
  };
  next();
}

function drawTimeline() {
  const c = S.timeline;
  const w = c.clientWidth || 300;
  const hgt = c.clientHeight || 34;
  if (c.width !== w * devicePixelRatio) { c.width = w * devicePixelRatio; c.height = hgt * devicePixelRatio; }
  const ctx = c.getContext('2d');
  ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  const now = Date.now();
  const span = S.scope * 3600e3;
  const bins = new Array(Math.max(10, Math.floor(w / 3))).fill(0);
  for (const t of S.stamps) {
    const x = (t - (now - span)) / span;
    if (x >= 0 && x <= 1) bins[Math.min(bins.length - 1, Math.floor(x * bins.length))]++;
  }
  const max = Math.max(1, ...bins);
  ctx.fillStyle = '#4a9eff';
  const bw = w / bins.length;
  bins.forEach((v, i) => { if (v) { const bh = Math.max(1, (v / max) * (hgt - 4)); ctx.fillRect(i * bw, hgt - bh, Math.max(1, bw - 0.5), bh); } });
  ctx.fillStyle = '#f85149';
  ctx.fillRect(w - 2, 0, 2, hgt);
  c.setAttribute('aria-label', `Packet density over the last ${S.scope} h: ${S.stamps.length} packets`);
}

async function loadTimeline() {
  const gen = ++S.tlGen;
  try {
    const since = new Date(Date.now() - S.scope * 3600e3).toISOString();
    const arr = await api('/packets/timestamps' + qs({ since }));
    if (!S || gen !== S.tlGen) return;
    S.stamps = (Array.isArray(arr) ? arr : []).map(parseTime).filter((t) => !Number.isNaN(t));
    drawTimeline();
  } catch (e) { showError(e, 'Timeline'); }
}

async function loadData() {
  try {
    const [nr, or, recent] = await Promise.all([
      api('/nodes' + qs({ limit: 2000 }), { ttl: cacheMs('nodeList', 90000) }),
      api('/observers', { ttl: 30000 }).catch(() => ({ observers: [] })),
      api('/packets' + qs({ limit: 8, expand: 'observations', region: region() })).catch(() => ({ packets: [] })),
    ]);
    if (!S) return;
    const nodes = (nr && nr.nodes) || [];
    S.nodeByKey = new Map(nodes.map((n) => [String(n.public_key).toLowerCase(), n]));
    S.gpsNodes = nodes.filter(hasGPS).map((n) => ({ key: String(n.public_key).toLowerCase(), lat: n.lat, lon: n.lon, role: roleKey(n.role) }));
    S.observers = new Map(((or && or.observers) || []).map((o) => [o.id, o]));
    const L = window.L;
    for (const n of nodes) {
      if (!hasGPS(n)) continue;
      const infra = ['repeater', 'room'].includes(roleKey(n.role));
      const mk = L.circleMarker([n.lat, n.lon], { radius: infra ? 5 : 4, color: roleColor(n.role), weight: infra ? 2 : 1, opacity: infra ? 1 : 0.5, fillOpacity: 0.6 });
      bindTip(mk, String(n.name || n.public_key.slice(0, 8))).on('click', () => openNode(n.public_key)).addTo(S.base);
      S.markers.set(String(n.public_key).toLowerCase(), mk);
    }
    S.statNodes.textContent = String(S.gpsNodes.length);
    if (S.gpsNodes.length) S.m.map.fitBounds(L.latLngBounds(S.gpsNodes.map((n) => [n.lat, n.lon])).pad(0.1), { maxZoom: 12 });
    const list = ((recent && recent.packets) || []).slice().reverse();
    for (const p of list) { S.seen.add(p.hash); feedItem(p); }
  } catch (e) { showError(e, 'Live map data'); }
}

/** openNode shows the node detail panel for pk (click on a node marker, UI.md §5.1). */
function openNode(pk) {
  if (S.cleanupNode) S.cleanupNode();
  // A slide-over on narrow screens: trap focus while open, give it back on close.
  if (!S.releaseNode) S.releaseNode = trapFocus(S.nodePanel, narrow);
  S.nodePanel.hidden = false;
  S.cleanupNode = renderNodeDetail(S.nodePanel, pk, { onClose: closeNode, noMap: true });
  S.nodePanel.focus({ preventScroll: true });
}

function closeNode() {
  if (!S || S.nodePanel.hidden) return;
  const hadFocus = S.nodePanel.contains(document.activeElement);
  if (S.cleanupNode) S.cleanupNode();
  S.cleanupNode = null;
  S.nodePanel.hidden = true;
  const release = S.releaseNode;
  S.releaseNode = null;
  if (release) release({ restore: hadFocus, fallback: S.mapEl });
}

/**
 * markerPoint returns the container pixel of node pk's marker, or null. Node markers are drawn
 * on a canvas (thousands of nodes), so the browser test uses this to know where to click.
 */
export function markerPoint(pk, opts = {}) {
  const mk = S && S.markers.get(String(pk).toLowerCase());
  if (!mk) return null;
  if (opts.front && mk.bringToFront) mk.bringToFront(); // on top of overlapping neighbours
  if (opts.tip) mk.openTooltip(); // what a hover shows (browser tests; markers are on a canvas)
  if (opts.click) mk.fire('click');

  const pt = S.m.map.latLngToContainerPoint(mk.getLatLng());
  const r = S.mapEl.getBoundingClientRect();
  return { x: r.left + pt.x, y: r.top + pt.y };
}

function legend() {
  const types = [[4, 'Advert'], [5, 'Channel Msg'], [2, 'Direct Msg'], [0, 'Request'], [1, 'Response'], [9, 'Trace'], [8, 'Path'], [3, 'Ack / other']];
  return h('div', { class: 'live-panel live-legend', role: 'region', 'aria-label': 'Map legend' },
    h('h2', null, 'Packet types'),
    h('ul', null, ...types.map(([t, l]) => h('li', null, h('span', { class: 'sw', style: { background: typeColor(t) } }), l))),
    h('h2', null, 'Node roles'),
    h('ul', null, ...ROLES.map((r) => h('li', null, h('span', { class: 'sw', style: { background: roleColor(r) } }), ROLE_LABELS[r]))));
}

/** snapLive drops the buffer and goes back to live animation. */
function snapLive() { ++S.gen; clearTimeout(S.replayTimer); S.buffer = []; S.missed = 0; closeMissed(); setMode('LIVE'); }

/** askMissed: resuming after a pause that missed packets asks "Replay" or "Skip to live". */
function askMissed() {
  closeMissed();
  const replayBtn = h('button', { type: 'button', class: 'btn on' }, '▶ Replay');
  const skipBtn = h('button', { type: 'button', class: 'btn' }, '⏭ Skip to live');
  S.missedBox = h('div', { class: 'live-panel live-missed', role: 'alertdialog', 'aria-labelledby': 'live-missed-text' },
    h('p', { id: 'live-missed-text' }, `You missed ${S.missed.toLocaleString()} packet${S.missed === 1 ? '' : 's'}.`), replayBtn, ' ', skipBtn);
  replayBtn.addEventListener('click', () => { closeMissed(); replay(); });
  skipBtn.addEventListener('click', snapLive);
  S.page.appendChild(S.missedBox);
  replayBtn.focus();
}
function closeMissed() {
  if (S.missedBox) { const had = S.missedBox.contains(document.activeElement); S.missedBox.remove(); S.missedBox = null; if (had) S.playBtn.focus(); }
}

function vcr() {
  S.playBtn = h('button', { type: 'button', class: 'btn', 'aria-label': 'Pause' }, '⏸');
  S.playBtn.addEventListener('click', () => {
    if (S.mode === 'PAUSED') { if (S.missed) askMissed(); else if (S.buffer.length) replay(); else setMode('LIVE'); }
    else { ++S.gen; clearTimeout(S.replayTimer); closeMissed(); setMode('PAUSED'); }
  });
  const liveBtn = h('button', { type: 'button', class: 'btn', 'aria-label': 'Snap to live' }, '● LIVE');
  liveBtn.addEventListener('click', snapLive);
  const speedBtn = h('button', { type: 'button', class: 'btn', 'aria-label': `Speed ${SPEED_LABEL[S.speed]}` }, SPEED_LABEL[S.speed]);
  speedBtn.addEventListener('click', () => {
    S.speed = SPEEDS[(SPEEDS.indexOf(S.speed) + 1) % SPEEDS.length];
    speedBtn.textContent = SPEED_LABEL[S.speed];
    speedBtn.setAttribute('aria-label', `Speed ${SPEED_LABEL[S.speed]}`);
    store.set('live-vcr-speed', String(S.speed));
  });
  S.modeEl = h('span', { class: 'mode', role: 'status', 'aria-live': 'polite' }, 'LIVE');
  const scope = h('div', { class: 'scope', role: 'radiogroup', 'aria-label': 'Timeline scope' });
  for (const [hrs, l] of SCOPES) {
    const b = h('button', { type: 'button', class: 'btn', role: 'radio', 'aria-checked': hrs === S.scope ? 'true' : 'false' }, l);
    b.addEventListener('click', () => {
      S.scope = hrs;
      for (const x of scope.children) x.setAttribute('aria-checked', x === b ? 'true' : 'false');
      loadTimeline();
    });
    scope.appendChild(b);
  }
  S.timeline = h('canvas', { class: 'timeline', role: 'img', 'aria-label': 'Packet density timeline' });
  S.clock = h('time', { class: 'vcr-clock mono', 'aria-label': 'Clock' }, '--:--:--');
  return h('div', { class: 'live-panel vcr', role: 'toolbar', 'aria-label': 'Playback controls' }, S.playBtn, liveBtn, speedBtn, S.modeEl, S.clock, scope, S.timeline);
}

export function mount(el) {
  const sp = +store.get('live-vcr-speed', '1');
  S = {
    mode: 'LIVE', speed: SPEEDS.includes(sp) ? sp : 1, scope: 1, buffer: [], missed: 0, gen: 0, tlGen: 0, count: 0,
    anims: 0, animated: 0, markers: new Map(), stamps: [], seen: new Set(), recent: [], feedItems: new Map(), gpsNodes: [], nodeByKey: new Map(), observers: new Map(),
    colorByHash: store.get('meshcore-color-packets-by-hash', '1') === '1',
  };
  const mapEl = h('div', { class: 'map-el', id: 'live-map', dataset: { animated: '0' } });
  S.mapEl = mapEl;
  S.nodePanel = h('aside', { class: 'live-panel live-node', 'aria-label': 'Node details', hidden: true, tabindex: '-1' });
  S.statPkts = h('span', { id: 'live-pkts' }, '0');
  S.statNodes = h('span', null, '0');
  S.statAnims = h('span', null, '0');
  S.statRate = h('span', null, '0');
  const beacon = h('span', { class: 'ws-dot', 'aria-hidden': 'true' });
  S.feedList = h('div', { id: 'live-feed-list', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  S.feedEmpty = h('p', { class: 'empty' }, 'Waiting for packets…');
  S.page = h('div', { class: 'live-page' }, mapEl,
    h('div', { class: 'live-panel live-head' },
      h('h1', { class: 'sr-only' }, 'Live mesh map'),
      beacon, h('strong', null, 'MESH LIVE'),
      h('span', null, S.statPkts, ' pkts'), h('span', null, S.statNodes, ' nodes'),
      h('span', null, S.statAnims, ' anim'), h('span', null, S.statRate, '/min')),
    h('aside', { class: 'live-panel live-feed', 'aria-label': 'Packet feed' }, h('h2', null, 'Feed'), S.feedEmpty, S.feedList),
    S.nodePanel, legend(), vcr());
  el.appendChild(S.page);
  S.m = createMap(mapEl, { canvas: true });
  S.base = window.L.layerGroup().addTo(S.m.map);
  S.fx = window.L.layerGroup().addTo(S.m.map);
  S.unState = live.onState((st) => { beacon.parentElement && (beacon.style.background = st === 'open' ? 'var(--good)' : 'var(--bad)'); });
  S.unsub = live.subscribe(onBatch);
  const tickClock = () => {
    const d = new Date();
    const p2 = (n) => String(n).padStart(2, '0');
    S.clock.textContent = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    S.clock.dateTime = d.toISOString();
  };
  tickClock();
  S.clockTimer = setInterval(tickClock, 1000);
  S.tick = setInterval(() => {
    const cut = Date.now() - 60000;
    S.recent = S.recent.filter((t) => t > cut);
    S.statRate.textContent = String(S.recent.length);
    drawTimeline();
  }, 2000);
  S.tlTimer = setInterval(loadTimeline, 60000);
  S.onKey = (e) => { if (e.key === 'Escape' && !e.defaultPrevented && !S.nodePanel.hidden) closeNode(); };
  document.addEventListener('keydown', S.onKey);
  loadTimeline();
  return loadData().then(replayHandedOver);
}

/**
 * replayHandedOver animates the packet the detail pane's "▶ Replay" stored in sessionStorage
 * ('replay-packet': its observations as packet rows), in observation order, then goes live.
 */
function replayHandedOver() {
  let list = null;
  try {
    list = JSON.parse(sessionStorage.getItem('replay-packet') || 'null');
    sessionStorage.removeItem('replay-packet');
  } catch { list = null; }
  if (!S || !Array.isArray(list) || !list.length) return;
  const base = Date.now();
  S.buffer = list.filter((p) => p && p.hash).map((p, i) => {
    const t = parseTime(p.timestamp);
    return { t: Number.isNaN(t) ? base + i * 300 : t, p: { ...p, _type: 'packet', _first: i === 0 && !S.seen.has(p.hash) } };
  }).sort((a, b) => a.t - b.t);
  if (S.buffer.length) { S.seen.add(S.buffer[0].p.hash); S.replayed = S.buffer[0].p.hash; S.mapEl.dataset.replayed = S.replayed; replay(); }
}

export function unmount() {
  if (!S) return;
  S.unsub(); S.unState();
  document.removeEventListener('keydown', S.onKey);
  if (S.cleanupNode) S.cleanupNode();
  if (S.releaseNode) S.releaseNode({ restore: false });
  clearInterval(S.tick); clearInterval(S.tlTimer); clearInterval(S.clockTimer); clearTimeout(S.replayTimer);
  S.m.destroy();
  S = null;
}
