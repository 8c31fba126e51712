// Performance dashboard (#/perf, UI.md §11): request timings, Go runtime, disk I/O, write
// sources, SQLite, caches, the in-memory store, per-endpoint and client-side API timings and
// the recent slow requests. Refreshes every 5 s while auto-refresh is on; each block shows its
// own error, so one failing endpoint never blanks the page.
import { h, clear, store } from '../dom.js';
import { api, apiTimings, ApiError } from '../api.js';
import { card, stat, empty, failure, sortTable, grid, stats } from './analytics/common.js';
import { num, fixed, ago, absTime } from '../format.js';

const EVERY = 5000;
const KEY_LS = 'meshcore-api-key';
let S = null;

const SOURCES = [['health', '/health'], ['perf', '/perf'], ['io', '/perf/io'], ['sqlite', '/perf/sqlite'], ['ws', '/perf/write-sources']];

function dur(sec) {
  if (sec === null || sec === undefined) return '—';
  const d = Math.floor(sec / 86400); const hh = Math.floor((sec % 86400) / 3600); const m = Math.floor((sec % 3600) / 60);
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  return m ? `${m}m ${Math.floor(sec % 60)}s` : `${Math.floor(sec)}s`;
}
const ms = (v) => (v === null || v === undefined ? '—' : `${fixed(v, v < 10 ? 2 : 1)} ms`);
const mb = (v) => (v === null || v === undefined ? '—' : `${fixed(v, 1)} MB`);
function bytesRate(v) {
  if (v === null || v === undefined) return '—';
  if (v >= 1048576) return `${fixed(v / 1048576, 1)} MB/s`;
  if (v >= 1024) return `${fixed(v / 1024, 1)} KB/s`;
  return `${fixed(v, 0)} B/s`;
}

/** level colours a card: ok / warn / bad against [warn, bad] thresholds (higher is worse). */
function level(v, warn, bad) {
  if (v === null || v === undefined) return '';
  return v >= bad ? 'bad' : v >= warn ? 'warn' : 'ok';
}
const LEVEL_MARK = { ok: '●', warn: '▲', bad: '✕' };
function lstat(label, value, sub, lv, id) {
  const el = stat(label, value, sub, lv ? h('div', { class: 'perf-lv perf-' + lv, 'aria-label': `status ${lv}` }, LEVEL_MARK[lv]) : null);
  if (lv) el.classList.add('perf-' + lv);
  if (id) el.id = id;
  return el;
}

function summary(d) {
  const p = d.perf; const hl = d.health;
  if (!p && !hl) return null;
  const slow = p ? (p.slowQueries || []).filter((q) => q.ms > 100).length : (hl.perf && hl.perf.slowQueries);
  return stats(
    lstat('Total Requests', num(p ? p.totalRequests : hl.perf.totalRequests), 'since the last reset', '', 'perf-total'),
    lstat('Avg Response', ms(p ? p.avgMs : hl.perf.avgMs), 'over all API requests', level(p ? p.avgMs : hl.perf.avgMs, 50, 200), 'perf-avg'),
    lstat('Uptime', dur(hl ? hl.uptime : p.uptime), hl && hl.version ? `server ${hl.version}` : 'server process', '', 'perf-uptime'),
    lstat('Slow (>100 ms)', num(slow), 'in the recent slow log', level(slow, 1, 10), 'perf-slow'));
}

function runtime(d) {
  const g = d.perf && d.perf.goRuntime;
  if (!g) return null;
  const ws = d.health && d.health.websocket;
  return card('Go Runtime', 'The server process: goroutines, garbage collector and heap. ▲ / ✕ mark values worth a look.', stats(
    lstat('Goroutines', num(g.goroutines), null, level(g.goroutines, 1000, 5000)),
    lstat('GC Collections', num(g.numGC)),
    lstat('GC Pause Total', ms(g.pauseTotalMs)),
    lstat('Last GC Pause', ms(g.lastPauseMs), null, level(g.lastPauseMs, 10, 50)),
    lstat('Heap Alloc', mb(g.heapAllocMB), null, level(g.heapAllocMB, 1024, 4096)),
    lstat('Heap Sys', mb(g.heapSysMB)),
    lstat('Heap Inuse', mb(g.heapInuseMB)),
    lstat('Heap Idle', mb(g.heapIdleMB)),
    lstat('CPUs', num(g.numCPU)),
    lstat('WS Clients', ws ? num(ws.clients) : '—', ws && ws.slowDisconnects ? `${num(ws.slowDisconnects)} slow disconnects` : null)), { id: 'perf-runtime' });
}

function ioBlock(r, who) {
  return [
    lstat(`${who} read`, bytesRate(r.readBytesPerSec)),
    lstat(`${who} write`, bytesRate(r.writeBytesPerSec), r.cancelledWriteBytesPerSec ? `${bytesRate(r.cancelledWriteBytesPerSec)} cancelled` : null),
    lstat(`${who} syscalls`, `${fixed(r.syscallsRead, 0)} r / ${fixed(r.syscallsWrite, 0)} w`, 'per second'),
  ];
}

function diskIO(d) {
  const io = d.io;
  if (!io) return card('Disk I/O', null, failure(d.err.io, 'Disk I/O rates'), { id: 'perf-io' });
  return card('Disk I/O', 'Bytes per second read and written by each process (Linux /proc/self/io, since the previous sample).', h('div', null,
    stats(...ioBlock(io, 'Server')),
    io.ingestor ? stats(...ioBlock(io.ingestor, 'Ingestor')) : empty('Ingestor: no fresh stats file (the ingestor is not running, or runs on another host).')), { id: 'perf-io' });
}

/** writeSources renders the ingestor's counters with a per-second rate from the previous sample. */
function writeSources(d) {
  const w = d.ws;
  if (!w) return card('Write Sources', null, failure(d.err.ws, 'Write sources'), { id: 'perf-write-sources' });
  const src = w.sources || {};
  const keys = Object.keys(src);
  if (!keys.length) return card('Write Sources', null, empty('No ingestor stats available: the ingestor is not running or its stats file is stale.'), { id: 'perf-write-sources' });
  const prev = S.prevSources; const dt = prev ? (Date.parse(w.sampleAt) - Date.parse(prev.at)) / 1000 : 0;
  const rows = keys.map((k) => {
    const v = src[k];
    const rate = prev && dt > 0 && typeof prev.src[k] === 'number' ? Math.max(0, (v - prev.src[k]) / dt) : null;
    const bad = (k === 'write_errors' || k === 'sig_drops') && v > 0;
    return { source: k, total: v, rate, anomaly: bad ? (rate ? 'rising' : 'non-zero') : '' };
  });
  if (!prev || prev.at !== w.sampleAt) S.prevSources = { at: w.sampleAt, src: { ...src } };
  return card('Write Sources', `Ingestor counters (sampled ${w.sampleAt ? ago(w.sampleAt) : '—'}); rate = change since the previous refresh.`, sortTable([
    { key: 'source', label: 'Source' },
    { key: 'total', label: 'Total', num: true },
    { key: 'rate', label: 'Rate/s', num: true, fmt: (r) => (r.rate === null ? '—' : fixed(r.rate, 1)) },
    { key: 'anomaly', label: 'Anomaly', fmt: (r) => (r.anomaly ? h('span', { class: 'perf-bad-text' }, `⚠ ${r.anomaly}`) : '') },
  ], rows, { caption: 'Ingestor write sources', sort: 'total', id: 'perf-ws-table' }), { id: 'perf-write-sources' });
}

function sqlite(d) {
  const q = d.sqlite;
  if (!q) return card('SQLite', null, failure(d.err.sqlite, 'SQLite figures'), { id: 'perf-sqlite' });
  const hit = typeof q.cacheHitRate === 'number' ? q.cacheHitRate * 100 : null;
  const cache = typeof q.cacheSize === 'number' ? (q.cacheSize < 0 ? `${num(-q.cacheSize)} KiB` : `${num(q.cacheSize)} pages`) : '—';
  return card('SQLite', 'The database file as the server sees it: write-ahead log size, pages and cache.', stats(
    lstat('WAL size', `${fixed(q.walSizeMB, 2)} MB`, `${num(q.walSize)} bytes`, level(q.walSizeMB, 64, 512)),
    lstat('Pages', num(q.pageCount), `${num(q.pageSize)} B each`),
    lstat('DB size', mb((q.pageCount * q.pageSize) / 1048576)),
    lstat('Cache size', cache),
    lstat('Cache hit', hit === null ? '—' : `${fixed(hit, 1)}%`, 'analytics cache')), { id: 'perf-sqlite' });
}

function caches(d) {
  const c = d.perf && d.perf.cache; const hc = d.health && d.health.cache;
  if (!c && !hc) return null;
  const kids = [];
  if (c) kids.push(lstat('Response cache', `${fixed(c.hitRate, 1)}%`, `${num(c.hits)} hits / ${num(c.misses)} misses`));
  if (hc) kids.push(lstat('Analytics cache', `${fixed(hc.hitRate, 1)}%`, `${num(hc.entries)} entries · ${num(hc.hits)} hits / ${num(hc.misses)} misses`));
  return card('Cache', 'Hit rates of the server caches (higher is better).', stats(...kids), { id: 'perf-cache' });
}

function packetStore(d) {
  const s = d.perf && d.perf.packetStore; const hs = d.health && d.health.packetStore;
  if (!s && !hs) return card('In-Memory Packet Store', null, empty('The store is still loading.'), { id: 'perf-store' });
  const x = s || {};
  return card('In-Memory Packet Store', 'Transmissions and observations held in memory (API reads never touch SQLite).', stats(
    lstat('Packets', num(s ? s.totalLoaded : hs.packets)),
    lstat('Observations', num(s ? s.totalObservations : hs.observations)),
    lstat('Memory', mb(s ? s.trackedMB : hs.trackedMB), x.maxMB ? `limit ${num(x.maxMB)} MB` : null, x.maxMB ? level((x.trackedMB / x.maxMB) * 100, 80, 95) : ''),
    lstat('Avg / packet', x.avgBytesPerPacket ? `${num(x.avgBytesPerPacket)} B` : '—'),
    lstat('Evicted', num(s ? s.evicted : hs.evicted)),
    lstat('Load', s ? (s.backgroundLoadFailed ? 'failed' : s.backgroundLoadComplete ? 'complete' : `${fixed((s.backgroundLoadProgress || 0) * 100, 0)}%`) : (hs.loadPhase || '—'),
      null, s && s.backgroundLoadFailed ? 'bad' : '')), { id: 'perf-store' });
}

function endpoints(d) {
  const p = d.perf;
  if (!p) return card('Server Endpoints', null, failure(d.err.perf, 'Endpoint timings'), { id: 'perf-endpoints' });
  const rows = Object.entries(p.endpoints || {}).map(([path, e]) => ({ path, ...e, total: e.count * e.avgMs }));
  if (!rows.length) return card('Server Endpoints', null, empty('No API requests recorded since the last reset.'), { id: 'perf-endpoints' });
  const flag = (r) => (r.p95Ms > 200 ? 'slow' : r.p95Ms > 50 ? 'warn' : '');
  const t = sortTable([
    { key: 'path', label: 'Endpoint', fmt: (r) => h('span', { class: 'mono' }, flag(r) ? (flag(r) === 'slow' ? '✕ ' : '▲ ') : '', r.path) },
    { key: 'count', label: 'Count', num: true },
    { key: 'avgMs', label: 'Avg', num: true, fmt: (r) => ms(r.avgMs) },
    { key: 'p50Ms', label: 'P50', num: true, fmt: (r) => ms(r.p50Ms) },
    { key: 'p95Ms', label: 'P95', num: true, fmt: (r) => ms(r.p95Ms) },
    { key: 'maxMs', label: 'Max', num: true, fmt: (r) => ms(r.maxMs) },
    { key: 'total', label: 'Total', num: true, fmt: (r) => (r.total >= 1000 ? `${fixed(r.total / 1000, 1)} s` : ms(r.total)) },
  ], rows, { caption: 'Server endpoints by total time', sort: 'total', id: 'perf-endpoints-table' });
  for (const tr of t.querySelectorAll('tbody tr')) {
    const path = tr.firstChild.textContent.replace(/^[✕▲] /, '');
    const r = rows.find((x) => x.path === path);
    if (r && flag(r)) tr.classList.add('perf-row-' + flag(r));
  }
  return card('Server Endpoints', `Per route since the last reset, sorted by total time; ✕ p95 > 200 ms, ▲ p95 > 50 ms. Percentiles over the last 100 requests.`, t, { id: 'perf-endpoints', full: true });
}

function clientCalls() {
  const rows = [...apiTimings().entries()].map(([path, t]) => ({ path, count: t.count, avg: t.totalMs / t.count, max: t.maxMs, errors: t.errors }));
  if (!rows.length) return card('Client API Calls (this session)', null, empty('This browser tab has made no API calls yet.'), { id: 'perf-client' });
  return card('Client API Calls (this session)', 'Requests this browser tab made, timed in the browser (network included).', sortTable([
    { key: 'path', label: 'Path', fmt: (r) => h('span', { class: 'mono' }, r.path) },
    { key: 'count', label: 'Count', num: true },
    { key: 'avg', label: 'Avg', num: true, fmt: (r) => ms(r.avg) },
    { key: 'max', label: 'Max', num: true, fmt: (r) => ms(r.max) },
    { key: 'errors', label: 'Errors', num: true },
  ], rows, { caption: 'Client API calls', sort: 'count', id: 'perf-client-table' }), { id: 'perf-client' });
}

function slowLog(d) {
  const list = (d.perf && d.perf.slowQueries) || (d.health && d.health.perf && d.health.perf.recentSlow) || [];
  if (!list.length) return card('Recent Slow Queries', null, empty('No request took longer than 100 ms since the last reset.'), { id: 'perf-slow-log' });
  return card('Recent Slow Queries', 'The latest API requests slower than 100 ms.', sortTable([
    { key: 'time', label: 'Time', fmt: (r) => h('span', { title: absTime(r.time) }, ago(r.time)) },
    { key: 'path', label: 'Path', fmt: (r) => h('span', { class: 'mono' }, r.path) },
    { key: 'ms', label: 'Duration', num: true, fmt: (r) => ms(r.ms) },
    { key: 'status', label: 'Status', num: true },
  ], list.slice().reverse(), { caption: 'Recent slow requests', sort: 'time', id: 'perf-slow-table' }), { id: 'perf-slow-log' });
}

async function refresh() {
  if (!S || S.busy) return;
  S.busy = true;
  const res = await Promise.allSettled(SOURCES.map(([, path]) => api(path)));
  S.busy = false;
  if (!S) return;
  const d = { err: {} };
  SOURCES.forEach(([k], i) => { if (res[i].status === 'fulfilled') d[k] = res[i].value; else d.err[k] = res[i].reason; });
  S.n++;
  const sum = summary(d);
  clear(S.out).append(
    sum || failure(d.err.perf || d.err.health, 'Performance figures', refresh),
    runtime(d),
    grid(diskIO(d), writeSources(d), sqlite(d), caches(d) || empty(''), packetStore(d)),
    endpoints(d),
    grid(clientCalls(), slowLog(d)));
  S.out.dataset.refreshes = String(S.n);
  S.stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

function schedule() {
  clearInterval(S.timer);
  S.timer = S.auto.checked ? setInterval(() => { if (!document.hidden) refresh(); }, EVERY) : null;
}

async function reset() {
  const key = S.key.value.trim() || store.get(KEY_LS, '');
  if (!key) { S.msg.textContent = 'Resetting needs the server API key: enter it in the API key field first.'; S.key.focus(); return; }
  S.msg.textContent = 'Resetting…';
  try {
    await api('/perf/reset', { method: 'POST', headers: { 'X-API-Key': key } });
    store.set(KEY_LS, key);
    S.msg.textContent = 'Statistics reset.';
    refresh();
  } catch (e) {
    const st = e instanceof ApiError ? e.status : 0;
    S.msg.textContent = st === 401 ? 'Reset refused: the API key is wrong.'
      : st === 403 ? 'Reset refused: the server has no (or only a weak) API key configured, so resetting is disabled.'
        : st === 429 ? 'Reset refused: too many wrong keys, try again later.' : `Reset failed: ${e.message}`;
  }
}

export async function mount(el) {
  S = { n: 0, timer: null, prevSources: null, busy: false };
  S.auto = h('input', { type: 'checkbox', id: 'perf-auto', checked: true, onchange: () => schedule() });
  S.key = h('input', { type: 'password', id: 'perf-key', placeholder: 'API key', autocomplete: 'off', 'aria-label': 'API key for Reset Stats', value: store.get(KEY_LS, '') });
  S.stamp = h('span', { class: 'muted', id: 'perf-stamp', 'aria-live': 'off' });
  S.msg = h('span', { class: 'perf-msg', id: 'perf-msg', role: 'status' });
  S.out = h('div', { id: 'perf-out', 'aria-live': 'polite', 'aria-busy': 'false' }, h('p', { class: 'loading' }, 'Loading performance figures…'));
  el.appendChild(h('section', { class: 'page perf-page' },
    h('div', { class: 'an-head' },
      h('div', null, h('h1', null, '⚡ Performance Dashboard'), h('p', { class: 'muted an-sub' }, 'How fast this server answers and what it holds. Auto-refresh every 5 s.')),
      h('div', { class: 'an-filters tools-bar' },
        h('label', { class: 'an-filter' }, S.auto, 'Auto-refresh (5 s)'),
        h('button', { type: 'button', class: 'btn', id: 'perf-refresh', onclick: () => refresh() }, '↻ Refresh'),
        S.key,
        h('button', { type: 'button', class: 'btn', id: 'perf-reset', onclick: () => reset() }, 'Reset Stats'),
        S.stamp)),
    S.msg, S.out));
  await refresh();
  schedule();
}

export function unmount() {
  if (S) clearInterval(S.timer);
  S = null;
}
