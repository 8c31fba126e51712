// The one WebSocket of the app. Views subscribe() and receive batches of packet messages,
// delivered at most once per animation frame so a burst of traffic causes one re-render.
// Reconnects automatically; connection state is published to onState() listeners.

const listeners = new Set();
const stateListeners = new Set();
let ws = null;
let state = 'connecting';
let queue = [];
let scheduled = false;
let retryTimer = null;
let reconnectMs = 3000;
let received = 0;

function setState(s) {
  state = s;
  for (const fn of stateListeners) fn(s);
}

function flush() {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (!batch.length) return;
  for (const fn of listeners) {
    try { fn(batch); } catch (e) { console.error('live listener failed', e); }
  }
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  // rAF does not run in background tabs; fall back to a timer so batches still flow.
  if (document.hidden) setTimeout(flush, 250);
  else requestAnimationFrame(flush);
}

/** normalise returns the flat packet object of a WS message (data.packet or data). */
function normalise(msg) {
  if (!msg || msg.type !== 'packet' && msg.type !== 'message') return null;
  const d = msg.data || {};
  const p = Object.assign({}, d, d.packet || {});
  if (!p.observer_id && d.observer) p.observer_id = d.observer;
  if (!p.raw_hex && d.raw) p.raw_hex = d.raw;
  if (p.decoded_json === undefined && d.decoded && d.decoded.payload) p.decoded_json = JSON.stringify(d.decoded.payload);
  p._type = msg.type;
  return p;
}

function connect() {
  clearTimeout(retryTimer);
  setState('connecting');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  try {
    ws = new WebSocket(`${proto}//${location.host}/ws`);
  } catch {
    retryTimer = setTimeout(connect, reconnectMs);
    return;
  }
  ws.onopen = () => setState('open');
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    const p = normalise(msg);
    if (!p) return;
    received++;
    queue.push(p);
    if (queue.length > 5000) queue.splice(0, queue.length - 5000);
    schedule();
  };
  ws.onclose = () => {
    ws = null;
    setState('closed');
    retryTimer = setTimeout(connect, reconnectMs);
  };
  ws.onerror = () => { /* onclose follows and schedules the reconnect */ };
}

/** start opens the connection (idempotent). */
export function start(opts = {}) {
  if (opts.reconnectMs) reconnectMs = opts.reconnectMs;
  if (!ws && !retryTimer) connect();
}

/** reconnect drops the current socket and connects again now. */
export function reconnect() {
  if (ws) { ws.onclose = null; ws.close(); ws = null; }
  connect();
}

/** subscribe registers fn(batch) and returns an unsubscribe function. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** onState registers fn(state) ('connecting' | 'open' | 'closed'), called now and on change. */
export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

export const stats = () => ({ state, received });
