// Browser checks for the Tools pages (UI.md §11, issue 14): #/perf, the trace viewer, the path
// inspector and the Audio Lab, on the shared meshsim-fed stack. Values shown are compared with
// the API responses this script fetches itself. Run alone with
//   go test -count=1 ./internal/webtest -run 'TestBrowser/tools' -v
import path from 'node:path';
import { BASE, SHOTS, check, assert, newPage, api, waitFor, wsOpen, publish, finish } from './lib.mjs';

const num = (s) => +String(s).replace(/[^0-9.]/g, '');

/** noErrors fails with the collected console/page/HTTP errors (expected ones filtered first). */
function noErrors(p, allow = []) {
  const errs = p.errors.filter((e) => !allow.some((re) => re.test(e)));
  assert(!errs.length, errs.slice(0, 3).join(' | '));
}

/** fits checks the page has no horizontal overflow (390×844 layout). */
async function fits(p, name = '') {
  const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (over > 1) {
    const wide = await p.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-3).map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).join(' '));
    throw new Error(`${name}: page is ${over}px wider than the viewport (${wide})`);
  }
}

// ---- Perf dashboard ----
await check('perf: endpoint rows match /api/perf, auto-refresh moves a number, controls work', async () => {
  // Make requests the endpoint table must show (the spec's own fetches count on the server).
  for (let i = 0; i < 3; i++) await api('/stats');
  const before = await api('/perf');
  const p = await newPage();
  await p.goto(`${BASE}/#/perf`);
  await p.waitForSelector('#perf-endpoints-table tbody tr', { timeout: 15000 });
  const perf = await api('/perf');
  // Routes only grow between our two fetches: the table shows at least the routes of the first
  // and only routes of the second.
  const shown = (await p.locator('#perf-endpoints-table tbody tr td:first-child').allTextContents()).map((t) => t.replace(/^[✕▲] /, ''));
  const apiRows = Object.keys(before.endpoints).length;
  assert(shown.length >= apiRows && shown.length > 0, `endpoint table has ${shown.length} rows, /api/perf had ${apiRows} before`);
  for (const k of shown) assert(k in perf.endpoints, `table row ${k} is not in /api/perf`);
  const statsRow = p.locator('#perf-endpoints-table tbody tr', { hasText: '/api/stats' });
  assert(await statsRow.count() === 1, 'no /api/stats row');
  const cnt = num(await statsRow.locator('td').nth(1).textContent());
  assert(cnt >= 3, `/api/stats count ${cnt}, expected ≥ 3 after the spec's three requests`);
  // Sorted by total time (descending), and each Total = Count × Avg as shown (our arithmetic).
  const cells = await p.locator('#perf-endpoints-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const msOf = (t) => (/ s$/.test(t) ? num(t) * 1000 : num(t));
  const tot = cells.map((c) => msOf(c[6]));
  assert(tot.every((v, i) => i === 0 || tot[i - 1] >= v), `Total column not descending: ${tot.slice(0, 6)}`);
  for (const c of cells) {
    const want = num(c[1]) * msOf(c[2]);
    assert(Math.abs(want - msOf(c[6])) <= Math.max(0.15 * want, 0.2 * num(c[1]) + 0.1), `${c[0]}: total ${c[6]} ≠ count ${c[1]} × avg ${c[2]}`);
  }
  // Cards from /api/perf and /api/health.
  for (const id of ['#perf-total', '#perf-avg', '#perf-uptime', '#perf-slow', '#perf-runtime', '#perf-io', '#perf-write-sources', '#perf-sqlite', '#perf-store', '#perf-client', '#perf-slow-log']) {
    assert(await p.locator(id).count() === 1, `missing ${id}`);
  }
  const total0 = num(await p.locator('#perf-total .an-stat-v').textContent());
  assert(total0 >= perf.totalRequests - 5 && total0 > 0, `Total Requests card ${total0}, API ${perf.totalRequests}`);
  const cpus = await p.locator('#perf-runtime .an-stat', { hasText: 'CPUs' }).locator('.an-stat-v').textContent();
  assert(num(cpus) === perf.goRuntime.numCPU, `CPUs card ${cpus}, API ${perf.goRuntime.numCPU}`);
  const sq = await api('/perf/sqlite');
  const pages = await p.locator('#perf-sqlite .an-stat', { hasText: 'Pages' }).locator('.an-stat-v').textContent();
  assert(Math.abs(num(pages) - sq.pageCount) <= sq.pageCount * 0.1 + 10, `Pages card ${pages}, API ${sq.pageCount}`);
  // Client calls table: this tab called /perf at least once.
  assert(await p.locator('#perf-client-table tbody tr', { hasText: '/perf' }).count() >= 1, 'client calls table lacks /perf');
  // Auto-refresh: within ~6 s the refresh counter and the Total Requests number move on their own.
  const n0 = +(await p.locator('#perf-out').getAttribute('data-refreshes'));
  await p.waitForFunction((n) => +document.getElementById('perf-out').dataset.refreshes > n, n0, { timeout: 8000 });
  const total1 = num(await p.locator('#perf-total .an-stat-v').textContent());
  assert(total1 > total0, `Total Requests did not move on auto-refresh (${total0} → ${total1})`);
  // Auto-refresh off: no refresh for 6 s; Refresh button: one refresh.
  await p.click('#perf-auto');
  const n1 = +(await p.locator('#perf-out').getAttribute('data-refreshes'));
  await p.waitForTimeout(6000);
  const n2 = +(await p.locator('#perf-out').getAttribute('data-refreshes'));
  assert(n2 === n1, `refreshed ${n2 - n1} times with auto-refresh off`);
  await p.click('#perf-refresh');
  await p.waitForFunction((n) => +document.getElementById('perf-out').dataset.refreshes > n, n2, { timeout: 5000 });
  // Sorting the endpoint table by Count puts the largest count first.
  await p.click('#perf-endpoints-table th[data-sort-key="count"]');
  const counts = await p.locator('#perf-endpoints-table tbody tr td:nth-child(2)').allTextContents();
  const nums = counts.map(num);
  assert(nums.every((v, i) => i === 0 || nums[i - 1] >= v), `Count column not descending: ${nums.slice(0, 5)}`);
  // Reset Stats without a key explains itself; with a wrong key the server refuses (the shared
  // stack has no API key configured → 403) and the page says why.
  await p.click('#perf-reset');
  assert(/API key/.test(await p.locator('#perf-msg').textContent()), 'no explanation when Reset is pressed without a key');
  await p.fill('#perf-key', 'not-the-key');
  await p.click('#perf-reset');
  await p.waitForFunction(() => /refused|failed/.test(document.getElementById('perf-msg').textContent), null, { timeout: 5000 });
  await p.screenshot({ path: path.join(SHOTS, 'tools-perf-dark.png'), fullPage: true });
  noErrors(p, [/HTTP (401|403|429) .*\/api\/perf\/reset/, /Failed to load resource: .*status of (401|403|429)/]);
  await p.context().close();
});

// ---- Trace viewer ----
const pk = await api('/packets?limit=500');
const byObs = (pk.packets || []).slice().sort((a, b) => (b.observation_count || 0) - (a.observation_count || 0));
const TRACE_HASH = byObs[0] && byObs[0].hash;
const OTHER_HASH = byObs[1] && byObs[1].hash;

/** traceMatches checks the viewer against /api/traces/{hash} (distinct observers by a naive loop). */
async function traceMatches(p, hash) {
  const tr = (await api(`/traces/${hash}`)).traces;
  const distinct = [];
  for (const t of tr) { const k = t.observer || t.observer_name; if (!distinct.includes(k)) distinct.push(k); }
  await p.waitForSelector('#trace-observers', { timeout: 15000 });
  const shown = +(await p.locator('#trace-observers').getAttribute('data-n'));
  assert(shown === distinct.length && shown > 0, `Observers card ${shown}, API has ${distinct.length} distinct observers`);
  const leaves = await p.locator('#trace-graph .tr-obs').count();
  assert(leaves === distinct.length, `path graph has ${leaves} observer leaves, API ${distinct.length}`);
  const rows = await p.locator('#trace-table tbody tr').count();
  assert(rows === tr.length, `timeline table has ${rows} rows, API has ${tr.length} observations`);
  const dots = await p.locator('#trace-timeline .tr-row').count();
  assert(dots === tr.length, `timeline has ${dots} marks, API has ${tr.length} observations`);
  const names = await p.locator('#trace-table tbody tr td:first-child').allTextContents();
  for (const t of tr) assert(names.includes(t.observer_name || t.observer), `observer ${t.observer_name} missing from the timeline table`);
  const t0 = Date.parse(tr[0].time); const t1 = Math.max(...tr.map((t) => Date.parse(t.time)));
  const spread = num(await p.locator('#trace-spread .an-stat-v').textContent());
  assert(Math.abs(spread - (t1 - t0) / 1000) < 0.002, `time spread ${spread}, API ${(t1 - t0) / 1000}`);
}

await check('trace viewer: every observer of a packet, legacy link, hash input', async () => {
  assert(TRACE_HASH && OTHER_HASH, 'workload has no packets');
  const p = await newPage();
  await p.goto(`${BASE}/#/tools`);
  await p.click('#tool-trace');
  await p.waitForFunction(() => location.hash === '#/tools/trace', null, { timeout: 5000 });
  // Legacy link redirects to the viewer (UI.md §1.5).
  await p.goto(`${BASE}/#/traces/${TRACE_HASH}`);
  await traceMatches(p, TRACE_HASH);
  assert(await p.evaluate(() => location.hash) === `#/tools/trace/${TRACE_HASH}`, 'legacy #/traces link did not redirect');
  // A bad hash is explained, not fetched.
  await p.fill('#trace-hash', 'xyz');
  await p.click('#trace-go');
  assert(/16 hexadecimal/.test(await p.locator('#trace-msg').textContent()), 'no message for an invalid hash');
  // The input traces another packet.
  await p.fill('#trace-hash', OTHER_HASH);
  await p.click('#trace-go');
  await p.waitForFunction((hh) => location.hash === `#/tools/trace/${hh}`, OTHER_HASH, { timeout: 5000 });
  await traceMatches(p, OTHER_HASH);
  // Sorting the timeline table by SNR works (click → aria-sort).
  await p.click('#trace-table th[data-sort-key="snr"]');
  assert(await p.locator('#trace-table th[data-sort-key="snr"]').getAttribute('aria-sort'), 'SNR header not sorted');
  // An unknown hash explains itself.
  await p.goto(`${BASE}/#/tools/trace/00000000deadbeef`);
  await p.waitForSelector('#trace-out .an-empty', { timeout: 10000 });
  await p.goto(`${BASE}/#/tools/trace/${TRACE_HASH}`);
  await p.waitForSelector('#trace-observers');
  await p.screenshot({ path: path.join(SHOTS, 'tools-trace-dark.png'), fullPage: true });
  noErrors(p);
  await p.context().close();
});

await check('trace viewer: observers that report later appear without a reload', async () => {
  const first = await publish('tools-first');
  assert(first.held >= 1, `nothing held back: ${JSON.stringify(first)}`);
  await waitFor('first observation stored', async () => (await api(`/traces/${first.hash}`)).traces.length >= 1);
  const p = await newPage();
  await p.goto(`${BASE}/#/tools/trace/${first.hash}`);
  await wsOpen(p);
  await traceMatches(p, first.hash);
  const before = +(await p.locator('#trace-observations').getAttribute('data-n'));
  const rest = await publish('tools-rest');
  assert(rest.published === first.held, `published ${rest.published} of ${first.held} held observations`);
  const want = (await waitFor('all observations stored', async () => {
    const tr = (await api(`/traces/${first.hash}`)).traces;
    return tr.length >= before + first.held ? tr : null;
  })).length;
  await p.waitForFunction((n) => +document.getElementById('trace-observations')?.dataset.n === n, want, { timeout: 10000 });
  await traceMatches(p, first.hash);
  noErrors(p);
  await p.context().close();
});

// ---- Path inspector ----
/** postInspect calls the API from the test process (independent of the page). */
async function postInspect(prefixes) {
  const r = await fetch(BASE + '/api/paths/inspect', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prefixes }) });
  if (!r.ok) throw new Error(`POST /api/paths/inspect: HTTP ${r.status}`);
  return r.json();
}
const longPath = (pk.packets || []).map((x) => { try { return JSON.parse(x.path_json || '[]'); } catch { return []; } }).find((a) => a.length >= 2);
const PREFIXES = longPath ? longPath.slice(0, 3).map((x) => String(x).toLowerCase()) : [];

await check('path inspector: scored candidates match the API, Show on Map, validation, URL state', async () => {
  assert(PREFIXES.length >= 2, 'workload has no packet with a 2-hop path');
  let want;
  await waitFor('paths/inspect ready', async () => { try { want = await postInspect(PREFIXES); return true; } catch { return false; } });
  const p = await newPage();
  await p.goto(`${BASE}/#/tools`);
  await p.click('#tool-path-inspector');
  await p.waitForSelector('#pi-input');
  // Invalid inputs are explained and nothing is sent.
  for (const [bad, re] of [['zz', /not hexadecimal/], ['abc', /odd number/], ['2c a1b2', /same length/], ['a1b2c3d4', /longer than 3 bytes/]]) {
    await p.fill('#pi-input', bad);
    await p.click('#pi-go');
    const m = await p.locator('#pi-msg').textContent();
    assert(re.test(m), `input “${bad}”: message “${m}”`);
  }
  await p.fill('#pi-input', PREFIXES.join(' ').toUpperCase());
  await p.click('#pi-go');
  await p.waitForSelector('#pi-results', { timeout: 15000 });
  const rows = await p.locator('#pi-table tr.pi-row').count();
  assert(rows === want.candidates.length, `${rows} candidate rows, API ${want.candidates.length}`);
  if (rows) {
    const score = await p.locator('#pi-table tr.pi-row').first().locator('td').nth(1).textContent();
    assert(score.startsWith(want.candidates[0].score.toFixed(3)), `first score ${score}, API ${want.candidates[0].score}`);
    const hopsShown = await p.locator('#pi-table tr.pi-row').first().locator('.hop').count();
    assert(hopsShown === want.candidates[0].path.length, `first path shows ${hopsShown} hops, API ${want.candidates[0].path.length}`);
    // Show on Map: the markers drawn = hops of the candidate with a position (naive count over /api/nodes).
    const nodes = (await api('/nodes?limit=5000')).nodes;
    const gps = want.candidates[0].path.filter((k) => nodes.some((n) => n.public_key.toLowerCase() === k.toLowerCase() && typeof n.lat === 'number' && !(n.lat === 0 && n.lon === 0))).length;
    await p.locator('#pi-table .pi-show').first().click();
    await p.waitForSelector('#pi-map-box:not([hidden])');
    const pts = +(await p.locator('#pi-map-box').getAttribute('data-points'));
    assert(pts === gps, `map shows ${pts} hops, ${gps} have GPS`);
    const markers = await p.locator('#pi-map .leaflet-marker-icon').count();
    assert(markers === gps, `${markers} markers on the map, expected ${gps}`);
    if (gps > 1) assert(await p.locator('#pi-map path.leaflet-interactive').count() >= 1, 'no polyline on the map');
  }
  assert((await p.evaluate(() => location.hash)).includes(`prefixes=${PREFIXES.join('%2C')}`), 'prefixes not in the URL');
  await p.reload();
  await p.waitForSelector('#pi-results', { timeout: 15000 });
  assert(await p.locator('#pi-table tr.pi-row').count() === rows, 'reload did not restore the inspection');
  await p.screenshot({ path: path.join(SHOTS, 'tools-path-inspector-dark.png'), fullPage: true });
  noErrors(p);
  await p.context().close();
});

// ---- Audio Lab ----
/**
 * AUDIO_PROBE replaces window.AudioContext with a counting subclass before the app loads:
 * contexts created, resume() calls, and oscillator start() calls (scheduled notes).
 */
const AUDIO_PROBE = () => {
  const A = window.AudioContext;
  window.__audio = { contexts: 0, resumes: 0, starts: 0 };
  if (!A) return;
  class Probe extends A {
    constructor(...a) { super(...a); window.__audio.contexts++; }
    resume() { window.__audio.resumes++; return super.resume(); }
    createOscillator() {
      const o = super.createOscillator();
      const start = o.start.bind(o);
      o.start = (...a) => { window.__audio.starts++; return start(...a); };
      return o;
    }
  }
  window.AudioContext = Probe;
  window.webkitAudioContext = Probe;
};

await check('audio lab: no AudioContext until Play; Play schedules one note per byte; controls work', async () => {
  const buckets = (await api('/audio-lab/buckets')).buckets;
  const types = Object.keys(buckets);
  const samples = types.reduce((a, k) => a + buckets[k].length, 0);
  const p = await newPage();
  await p.context().addInitScript(AUDIO_PROBE);
  await p.goto(`${BASE}/#/audio-lab`);
  await p.waitForSelector('#al-note-table', { timeout: 15000 });
  assert(await p.locator('.al-sample').count() === samples, `sidebar lists ${await p.locator('.al-sample').count()} samples, API ${samples}`);
  assert(await p.locator('.al-group').count() === types.length, 'one group per type');
  // Pick a sample, move every control: still no audio.
  const s = buckets[types[0]][buckets[types[0]].length - 1];
  await p.click(`.al-sample[data-hash="${s.hash}"]`);
  const bytes = Math.min(64, s.raw_hex.length / 2);
  await p.waitForFunction((n) => document.getElementById('al-out').dataset.notes === String(n), bytes);
  assert(await p.locator('#al-note-table tbody tr').count() === bytes, `note table rows ≠ ${bytes} bytes`);
  assert(await p.locator('#al-viz .al-bar').count() === bytes, 'byte visualizer bars ≠ bytes');
  await p.selectOption('#al-speed', '4');
  await p.fill('#al-bpm', '300');
  assert((await p.locator('#al-bpm-out').textContent()) === '300 BPM', 'BPM output not updated');
  await p.fill('#al-vol', '20');
  await p.selectOption('#al-voice', 'square');
  await p.click('#al-loop');
  assert(await p.locator('#al-loop').getAttribute('aria-pressed') === 'true', 'Loop did not toggle on');
  await p.click('#al-loop');
  await p.waitForTimeout(500);
  let a = await p.evaluate(() => window.__audio);
  assert(a.contexts === 0 && a.starts === 0 && a.resumes === 0, `audio before any click on Play: ${JSON.stringify(a)}`);
  // Play: one AudioContext, one scheduled note per byte.
  await p.click('#al-play');
  a = await p.evaluate(() => window.__audio);
  assert(a.contexts === 1, `${a.contexts} AudioContexts after Play`);
  assert(a.starts === bytes, `${a.starts} notes scheduled, packet has ${bytes} bytes`);
  assert(await p.locator('#al-play').getAttribute('aria-pressed') === 'true', 'Play button not pressed');
  await p.waitForSelector('#al-note-table tr.al-cur', { timeout: 5000 });
  // Stop, then a single note's ▶ schedules exactly one more note on the same context.
  await p.click('#al-play');
  assert(await p.locator('#al-play').textContent() === '▶ Play', 'Stop did not reset the button');
  await p.locator('#al-note-table .al-note').nth(2).click();
  a = await p.evaluate(() => window.__audio);
  assert(a.contexts === 1 && a.starts === bytes + 1, `per-note play: ${JSON.stringify(a)}`);
  // Loop on: the sequence is scheduled again after it ends (4x speed at 300 BPM is short).
  await p.click('#al-loop');
  await p.click('#al-play');
  await p.waitForFunction((n) => window.__audio.starts >= 3 * n + 1, bytes, { timeout: 20000 });
  await p.click('#al-play');
  await p.screenshot({ path: path.join(SHOTS, 'tools-audio-lab-dark.png'), fullPage: true });
  noErrors(p);
  await p.context().close();
});

// ---- Static pages (UI.md §15) ----
/** foreign collects requests to anything but our server and map tiles (the pages work offline). */
function trackForeign(p) {
  const bad = [];
  p.on('request', (r) => { const u = r.url(); if (!u.startsWith(BASE) && !/^(data|blob):/.test(u) && !/basemaps\.cartocdn\.com|tile/.test(u)) bad.push(u); });
  return bad;
}

await check('geofilter builder: map clicks and typed points build the polygon; undo, remove, clear, buffer, draft, copy, download', async () => {
  const p = await newPage();
  await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const foreign = trackForeign(p);
  await p.goto(`${BASE}/#/tools`);
  await p.click('#tool-geofilter');
  await p.waitForSelector('#gf-map.leaflet-container');
  const box = await p.locator('#gf-map').boundingBox();
  for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.3], [0.5, 0.7]]) await p.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  await p.waitForFunction(() => document.body.dataset.points === '3');
  let j = JSON.parse(await p.inputValue('#gf-json'));
  assert(j.geo_filter.polygon.length === 3, `JSON has ${j.geo_filter.polygon.length} points after 3 clicks`);
  // Clicks left/right → increasing longitude; top → bottom → decreasing latitude.
  const [a, b, c] = j.geo_filter.polygon;
  assert(b[1] > a[1] && Math.abs(a[0] - b[0]) < 1e-3 && c[0] < a[0], `click geometry wrong: ${JSON.stringify(j.geo_filter.polygon)}`);
  assert(await p.locator('#gf-map path.leaflet-interactive').count() >= 1, 'no polygon drawn');
  await p.fill('#gf-lat', '47.5'); await p.fill('#gf-lon', '-122.3');
  await p.click('#gf-add-btn');
  j = JSON.parse(await p.inputValue('#gf-json'));
  assert(JSON.stringify(j.geo_filter.polygon[3]) === '[47.5,-122.3]', `typed point: ${JSON.stringify(j.geo_filter.polygon[3])}`);
  await p.fill('#gf-lat', '95'); await p.fill('#gf-lon', '0');
  await p.click('#gf-add-btn');
  assert(/−90…90/.test(await p.locator('#gf-msg').textContent()), 'no message for latitude 95');
  await p.click('#gf-undo');
  await p.fill('#gf-buffer', '12');
  j = JSON.parse(await p.inputValue('#gf-json'));
  assert(j.geo_filter.polygon.length === 3 && j.geo_filter.bufferKm === 12, `after undo + buffer: ${JSON.stringify(j.geo_filter)}`);
  // The draft survives a reload.
  await p.reload();
  await p.waitForFunction(() => document.body.dataset.points === '3');
  assert(await p.inputValue('#gf-buffer') === '12', 'buffer not restored from the draft');
  // Copy and download give the same JSON as the textarea.
  const text = await p.inputValue('#gf-json');
  await p.click('#gf-copy');
  const clip = await p.evaluate(() => navigator.clipboard.readText());
  assert(clip === text, 'clipboard differs from the JSON');
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#gf-download')]);
  const fs = await import('node:fs');
  const got = fs.readFileSync(await dl.path(), 'utf8');
  assert(got.trim() === text.trim() && dl.suggestedFilename() === 'geo_filter.json', 'download differs from the JSON');
  // Remove one point, then clear.
  await p.locator('#gf-points .gf-del').first().click();
  assert(/1 more point/.test(await p.locator('#gf-msg').textContent()), 'no "more points" hint with 2 points');
  await p.click('#gf-clear');
  j = JSON.parse(await p.inputValue('#gf-json'));
  assert(j.geo_filter === null, 'clear left a polygon');
  // Load the server's filter: this stack has none, and the page says so.
  const g = await api('/config/geo-filter');
  await p.click('#gf-load');
  if (!g.polygon) await p.waitForFunction(() => /no polygon/.test(document.getElementById('gf-msg').textContent));
  else await p.waitForFunction((n) => document.body.dataset.points === String(n), g.polygon.length);
  await p.screenshot({ path: path.join(SHOTS, 'tools-geofilter-builder.png'), fullPage: true });
  assert(!foreign.length, `requests to other origins: ${foreign.slice(0, 3).join(', ')}`);
  noErrors(p);
  await p.context().close();
});

await check('area map: areas from /api/config/areas/polygons (this stack, then two injected areas), docs page', async () => {
  const areas = await api('/config/areas/polygons');
  const p = await newPage();
  const foreign = trackForeign(p);
  await p.goto(`${BASE}/area-map.html`);
  await p.waitForSelector('#am-empty, #am-table');
  if (!areas.length) assert(await p.locator('#am-empty').count() === 1, 'no empty state for a server without areas');
  else assert(await p.locator('#am-table tbody tr').count() === areas.length, 'area rows ≠ API');
  // This stack configures no areas, so the drawing is checked with a response the browser is
  // given instead (the route is intercepted in the browser only).
  const fake = [{ key: 'sea', label: 'Seattle', polygon: [[47.7, -122.5], [47.7, -122.2], [47.5, -122.2], [47.5, -122.5]] },
    { key: 'box', latMin: 47.0, latMax: 47.2, lonMin: -122.6, lonMax: -122.3 }];
  await p.route('**/api/config/areas/polygons', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fake) }));
  await p.reload();
  await p.waitForSelector('#am-table');
  assert(await p.locator('#am-table tbody tr').count() === 2, 'injected areas: rows ≠ 2');
  assert(await p.evaluate(() => document.body.dataset.shapes) === '2', 'injected areas: shapes ≠ 2');
  assert(await p.locator('#am-map path.leaflet-interactive').count() === 2, 'two shapes not drawn');
  assert(/no label/.test(await p.locator('#am-table tbody tr').first().textContent()), 'label-less area not explained');
  await p.screenshot({ path: path.join(SHOTS, 'tools-area-map.png'), fullPage: true });
  await p.goto(`${BASE}/geofilter-docs.html`);
  await p.click('.gf-docs a[href="geofilter-builder.html"]');
  await p.waitForSelector('#gf-map.leaflet-container');
  assert(!foreign.length, `requests to other origins: ${foreign.slice(0, 3).join(', ')}`);
  noErrors(p);
  await p.context().close();
});

// ---- light theme and 390×844 for every tools page ----
const PAGES = [['perf', '#/perf', '#perf-endpoints-table'], ['tools', '#/tools', '#tool-trace'], ['trace', `#/tools/trace/${TRACE_HASH}`, '#trace-table'],
  ['path-inspector', `#/tools/path-inspector?prefixes=${PREFIXES.join(',')}`, '#pi-results'], ['audio-lab', '#/audio-lab', '#al-note-table'],
  ['geofilter-builder', 'geofilter-builder.html', '#gf-map.leaflet-container'], ['area-map', 'area-map.html', '#am-empty, #am-table'], ['geofilter-docs', 'geofilter-docs.html', '.gf-docs']];
for (const [label, opts] of [['light', { theme: 'light' }], ['mobile 390×844', { theme: 'dark', viewport: { width: 390, height: 844 } }]]) {
  await check(`tools pages render in ${label} without errors`, async () => {
    const p = await newPage(opts);
    for (const [name, hash, sel] of PAGES) {
      await p.goto(`${BASE}/${hash}`);
      await p.waitForSelector(sel, { timeout: 15000 });
      await p.waitForTimeout(300);
      await p.screenshot({ path: path.join(SHOTS, `tools-${name}-${label.split(' ')[0]}.png`), fullPage: true });
      if (opts.viewport) await fits(p, name);
    }
    noErrors(p);
    await p.context().close();
  });
}

await finish();
