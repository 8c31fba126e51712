// Browser checks for the analytics pages (issue 11): #/analytics tabs, #/nodes/{pk}/analytics,
// the observer page charts and #/compare, on the shared meshsim-fed stack. Every chart check
// compares what was drawn (SVG .mark elements, Chart.js datasets + painted canvas pixels, table
// rows) with the API response fetched independently by this script. Run alone with
//   go test ./internal/webtest -run 'TestBrowser/analytics' -v
import path from 'node:path';
import { BASE, SHOTS, check, assert, newPage, api, finish } from './lib.mjs';

// Tabs whose server routes are on main (the others show a "not available" state until their
// route lands; add the tab here when it does). Each entry: the API calls the tab makes and a
// function checking the drawn page against them.
const TAB_CHECKS = {
  roles: {
    apis: ['/analytics/roles'],
    async verify(p, [r]) {
      const rows = await p.locator('#roles-table tbody tr').count();
      assert(rows === r.roles.length, `roles table has ${rows} rows, API has ${r.roles.length} roles`);
      assert(r.roles.length > 0, 'no roles in the API response');
      const total = r.roles.reduce((a, x) => a + x.nodeCount, 0);
      const first = await p.locator('#roles-table tbody tr').first().locator('td').nth(1).textContent();
      const max = Math.max(...r.roles.map((x) => x.nodeCount));
      assert(+first.replace(/,/g, '') === max, `first row count ${first}, expected the largest role ${max} (of ${total})`);
      await sortChanges(p, '#roles-table', 'Count');
    },
  },
  nodes: {
    apis: ['/nodes?limit=10000&sortBy=lastSeen', '/nodes/bulk-health?limit=50'],
    async verify(p, [list, bulk]) {
      // Independent count of roles over the node list (naive loop).
      const roles = new Set(list.nodes.map((n) => {
        const r = String(n.role || '').toLowerCase();
        return r.startsWith('repeat') ? 'repeater' : r.startsWith('room') ? 'room' : r.startsWith('comp') || r === 'chat' ? 'companion' : r.startsWith('sens') ? 'sensor' : 'unknown';
      }));
      const bars = await p.locator('[data-chart="role-breakdown"] .mark').count();
      assert(bars === roles.size, `role breakdown has ${bars} bars, node list has ${roles.size} roles`);
      const active = Math.min(10, bulk.filter((x) => x.stats && x.stats.totalTransmissions !== null && x.stats.totalTransmissions !== undefined).length);
      const rows = await p.locator('#nodes-active tbody tr').count();
      assert(rows === active, `most active table has ${rows} rows, expected ${active}`);
      const nodesStat = await p.locator('.an-stat').first().locator('.an-stat-v').textContent();
      assert(+nodesStat.replace(/,/g, '') === list.nodes.length, `node count card ${nodesStat}, API ${list.nodes.length}`);
    },
  },
};


const marks = (p, chart) => p.locator(`[data-chart="${chart}"] .mark`).count();
async function eqMarks(p, chart, n, what) {
  const got = await marks(p, chart);
  assert(got === n, `${what}: ${got} marks drawn, API has ${n}`);
}
const bins = (hist) => (hist && hist.bins ? hist.bins.length : 0);

Object.assign(TAB_CHECKS, {
  overview: {
    apis: ['/analytics/rf', '/analytics/topology', '/analytics/channels'],
    async verify(p, [rf, topo]) {
      await eqMarks(p, 'packets-per-hour', rf.packetsPerHour.length, 'packets per hour');
      await eqMarks(p, 'payload-types', rf.payloadTypes.length, 'payload type mix');
      await eqMarks(p, 'hop-distribution', topo.hopDistribution.length, 'hop distribution');
      assert(rf.packetsPerHour.length > 0, 'API has no packets per hour');
      const total = await p.locator('.an-stat').first().locator('.an-stat-v').textContent();
      assert(+total.replace(/,/g, '') === rf.totalTransmissions, `total card ${total}, API ${rf.totalTransmissions}`);
    },
  },
  rf: {
    apis: ['/analytics/rf'],
    async verify(p, [rf]) {
      await eqMarks(p, 'snr-histogram', bins(rf.snrValues), 'SNR histogram');
      await eqMarks(p, 'rssi-histogram', bins(rf.rssiValues), 'RSSI histogram');
      await eqMarks(p, 'snr-rssi-scatter', rf.scatterData.length, 'SNR/RSSI scatter');
      await eqMarks(p, 'snr-by-type', rf.snrByType.length, 'SNR by type');
      await eqMarks(p, 'signal-over-time', rf.signalOverTime.filter((x) => x.avgSnr !== null && x.avgSnr !== undefined).length, 'signal over time');
      await eqMarks(p, 'packet-sizes', bins(rf.packetSizes), 'packet sizes');
      assert(bins(rf.snrValues) > 0, 'API has no SNR histogram');
    },
  },
  topology: {
    apis: ['/analytics/topology'],
    async verify(p, [t]) {
      await eqMarks(p, 'hop-distribution', t.hopDistribution.length, 'hop distribution');
      await eqMarks(p, 'top-repeaters', t.topRepeaters.length, 'top repeaters');
      await eqMarks(p, 'repeater-pairs', t.topPairs.length, 'repeater pairs');
      await eqMarks(p, 'hops-vs-snr', t.hopsVsSnr.length, 'hops vs SNR');
      const rows = await p.locator('#topo-best tbody tr').count();
      assert(rows === t.bestPathList.length, `best path table ${rows} rows, API ${t.bestPathList.length}`);
    },
  },
  channels: {
    apis: ['/analytics/channels'],
    async verify(p, [c]) {
      const rows = await p.locator('#channels-table tbody tr').count();
      assert(rows === c.channels.length, `channel table ${rows} rows, API ${c.channels.length}`);
      await eqMarks(p, 'top-senders', c.topSenders.length, 'top senders');
      // The timeline draws one dot per (hour, channel) point of the 6 busiest channels.
      const top = new Set(c.channels.slice().sort((a, b) => b.messages - a.messages).slice(0, 6).map((x) => x.name));
      await eqMarks(p, 'channel-timeline', c.channelTimeline.filter((x) => top.has(x.channel)).length, 'channel timeline');
      if (c.channels.length) await sortChanges(p, '#channels-table', 'Senders');
    },
  },
  hashsizes: {
    apis: ['/analytics/hash-sizes'],
    async verify(p, [d]) {
      await eqMarks(p, 'hash-size-packets', d.total ? 3 : 0, 'hash size distribution');
      await eqMarks(p, 'hash-size-time', d.hourly.length * 3, 'hash size over time (3 series)');
      const rows = await p.locator('#hs-tophops tbody tr').count();
      assert(rows === d.topHops.length, `top hops ${rows} rows, API ${d.topHops.length}`);
    },
  },
  collisions: {
    apis: ['/analytics/hash-collisions'],
    async verify(p, [d]) {
      if (d.by_size && d.by_size['1'] && d.by_size['1'].one_byte_cells) {
        const cells = await p.locator('.an-matrix .cell').count();
        assert(cells === 256, `matrix has ${cells} cells`);
        // Cells with ≥1 repeater = keys with a non-empty list (independent of the page's colouring).
        const used = Object.values(d.by_size['1'].one_byte_cells).filter((l) => l.length).length;
        const drawn = await p.locator('.an-matrix .cell:not([data-n="0"])').count();
        assert(drawn === used, `${drawn} used cells drawn, API has ${used}`);
        await p.locator('.an-matrix .cell').first().click();
        assert(await p.locator('.an-matrix-detail h4').count() === 1, 'clicking a cell shows no detail');
      }
    },
  },
  subpaths: {
    apis: ['/analytics/subpaths-bulk?groups=2-2:50,3-3:30,4-4:20,5-8:15'],
    async verify(p, [d]) {
      const loops = (sp) => sp.rawHops.some((x, i) => i && x.toLowerCase() === sp.rawHops[i - 1].toLowerCase());
      const pairs = d.results[0].subpaths.filter((sp) => !loops(sp));
      const rows = await p.locator('#sp-pairs tbody tr').count();
      assert(rows === pairs.length, `pairs table ${rows} rows, API ${pairs.length} (self-loops hidden)`);
      if (pairs.length) {
        const hops = pairs[0].rawHops.join(',');
        const det = await api(`/analytics/subpath-detail?hops=${encodeURIComponent(hops)}`);
        await p.locator('#sp-pairs tbody tr').first().click();
        await p.waitForSelector('.an-detail:not([hidden]) #sp-detail-title', { timeout: 10000 });
        const txt = await p.locator('.an-detail').textContent();
        assert(txt.includes(`${det.totalMatches.toLocaleString()} occurrences`), `detail panel does not show ${det.totalMatches} occurrences`);
        await eqMarks(p, 'subpath-hours', 24, 'activity by hour');
        await p.keyboard.press('Escape');
      }
    },
  },
  distance: {
    apis: ['/analytics/distance'],
    async verify(p, [d]) {
      const rows = await p.locator('#dist-tophops tbody tr').count();
      assert(rows === d.topHops.length, `longest hops ${rows} rows, API ${d.topHops.length}`);
      await eqMarks(p, 'distance-histogram', Array.isArray(d.distHistogram) ? 0 : bins(d.distHistogram), 'distance histogram');
      await eqMarks(p, 'distance-time', d.distOverTime.length, 'distance over time');
    },
  },
  'clock-health': {
    apis: ['/nodes/clock-skew'],
    async verify(p, [list]) {
      const rows = await p.locator('#clock-table tbody tr').count();
      assert(rows === list.length, `clock table ${rows} rows, API ${list.length}`);
      // A severity filter shows exactly that class (count from the API list).
      const sev = list.length ? list[0].severity : 'ok';
      await p.locator(`[data-sev="${sev}"]`).click();
      const n = await p.locator('#clock-table tbody tr').count();
      assert(n === list.filter((x) => x.severity === sev).length, `filter ${sev}: ${n} rows, API ${list.filter((x) => x.severity === sev).length}`);
      assert(p.url().includes(`severity=${sev}`), 'severity filter not kept in the URL');
    },
  },
  scopes: {
    apis: ['/scope-stats?window=24h'],
    async verify(p, [d]) {
      await eqMarks(p, 'scopes-time', d.timeSeries.length ? d.timeSeries.length * 2 : 0, 'scoped/unscoped series');
      const req = p.waitForRequest((r) => r.url().includes('/api/scope-stats?window=7d'));
      await p.locator('[data-window="7d"]').click();
      await req;
    },
  },
  'rf-health': {
    apis: [`/observers/metrics/summary?window=24h`],
    async verify(p, [d]) {
      const cards = await p.locator('#rfh-cards .rfh-card').count();
      assert(cards === d.observers.length, `${cards} observer cards, API ${d.observers.length}`);
      if (d.observers.length) {
        const req = p.waitForRequest((r) => r.url().includes(`/api/observers/${encodeURIComponent(d.observers[0].observer_id)}/metrics?`));
        await p.locator('#rfh-cards .rfh-card').first().click();
        const url = (await req).url();
        await p.waitForSelector('#rfh-summary', { timeout: 10000 });
        assert(p.url().includes('observer='), 'selected observer not in the URL');
        // The noise floor chart has one dot per sample with a noise floor in that answer.
        const m = await (await fetch(url)).json();
        const nf = m.metrics.filter((x) => x.noise_floor !== null && x.noise_floor !== undefined).length;
        await eqMarks(p, 'rfh-nf', nf, 'noise floor');
      }
    },
  },
  'prefix-tool': {
    apis: ['/nodes?limit=10000'],
    async verify(p, [list]) {
      const rows = await p.locator('#prefix-overview tbody tr').count();
      assert(rows === 3, `overview has ${rows} rows`);
      const rep = list.nodes.find((n) => /^(repeater|room)/i.test(n.role || ''));
      if (rep) {
        const pre = rep.public_key.slice(0, 2).toUpperCase();
        const same = list.nodes.filter((n) => /^(repeater|room)/i.test(n.role || '') && n.public_key.toUpperCase().startsWith(pre)).length;
        await p.fill('#prefix-input', pre);
        await p.keyboard.press('Enter');
        const txt = await p.locator('#prefix-result h4').first().textContent();
        assert(txt.includes(`${same} repeater`), `check ${pre}: "${txt}", expected ${same} repeaters`);
      }
    },
  },
  'neighbor-graph': {
    apis: ['/analytics/neighbor-graph?min_count=1&min_score=0'],
    async verify(p, [g]) {
      const ROLES = new Set(['repeater', 'room', 'companion', 'sensor', 'observer', 'unknown']);
      const role = new Map(g.nodes.map((n) => [n.pubkey, n.role || 'unknown']));
      const expect = g.edges.filter((e) => ROLES.has(role.get(e.source) || 'unknown') || ROLES.has(role.get(e.target) || 'unknown')).length;
      await p.locator('#ng-min-score').fill('0');
      await p.waitForFunction((n) => +document.querySelector('canvas.ng-canvas').dataset.edges === n, expect, { timeout: 5000 })
        .catch(async () => { throw new Error(`graph shows ${await p.locator('canvas.ng-canvas').getAttribute('data-edges')} edges, API ${expect}`); });
      await p.waitForTimeout(300);
      const painted = await p.locator('canvas.ng-canvas').evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n;
      });
      assert(g.edges.length === 0 || painted > 200, `canvas has only ${painted} painted pixels`);
      // Unticking a role keeps only edges with an endpoint of another role (independent filter).
      const drop = [...new Set(g.nodes.map((n) => n.role || 'unknown'))].find((r) => ROLES.has(r));
      if (drop) {
        await p.locator(`input[data-role="${drop}"]`).uncheck();
        const left = g.edges.filter((e) => [role.get(e.source) || 'unknown', role.get(e.target) || 'unknown'].some((r) => r !== drop && ROLES.has(r))).length;
        const shown = +(await p.locator('canvas.ng-canvas').getAttribute('data-edges'));
        assert(shown === left, `without ${drop}: ${shown} edges shown, expected ${left}`);
        await p.locator(`input[data-role="${drop}"]`).check();
      }
      const f0 = +(await p.locator('canvas.ng-canvas').getAttribute('data-frames'));
      await p.locator('canvas.ng-canvas').focus();
      await p.keyboard.press('+');
      await p.keyboard.press('ArrowLeft');
      await p.waitForTimeout(100);
      const f1 = +(await p.locator('canvas.ng-canvas').getAttribute('data-frames'));
      assert(f1 > f0, 'keyboard zoom/pan did not redraw the graph');
    },
  },
});

/**
 * dragFps drags a node of the neighbor graph for ~1.5 s and returns the requestAnimationFrame
 * rate the page achieved meanwhile. It finds a node by hovering a grid of points until the
 * hover line names one.
 */
async function dragFps(p) {
  const c = p.locator('canvas.ng-canvas');
  const box = await c.boundingBox();
  let at = null;
  for (let gy = 0.2; gy <= 0.8 && !at; gy += 0.04) {
    for (let gx = 0.2; gx <= 0.8 && !at; gx += 0.02) {
      await p.mouse.move(box.x + box.width * gx, box.y + box.height * gy);
      if ((await p.locator('#ng-hover').textContent()).includes('neighbours')) at = [box.x + box.width * gx, box.y + box.height * gy];
    }
  }
  assert(at, 'no node found under the pointer to drag');
  await p.evaluate(() => { window.__fps = 0; const f = () => { window.__fps++; window.__fpsRaf = requestAnimationFrame(f); }; requestAnimationFrame(f); });
  const t0 = Date.now();
  await p.mouse.down();
  for (let i = 0; i < 90; i++) { await p.mouse.move(at[0] + Math.sin(i / 8) * 120, at[1] + Math.cos(i / 8) * 80); await p.waitForTimeout(12); }
  await p.mouse.up();
  const frames = await p.evaluate(() => { cancelAnimationFrame(window.__fpsRaf); return window.__fps; });
  return (frames * 1000) / (Date.now() - t0);
}

// Every tab's routes are on main now: a missing route fails the run instead of skipping checks.
const REQUIRED = new Set(Object.keys(TAB_CHECKS));
/** routeExists answers whether the route is served; it waits (≤ 90 s) while the server's first
 *  background analytics pass is still running (503), so page checks never race it. */
async function routeExists(a) {
  for (let i = 0; i < 180; i++) {
    const r = await fetch(BASE + '/api' + a);
    if (r.status !== 503) return r.status !== 404;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`GET /api${a} still 503 after 90 s`);
}
/** required waits for a route like routeExists but a missing route is an error. */
async function required(a) {
  if (!(await routeExists(a))) throw new Error(`GET /api${a}: route missing on this server`);
  return true;
}
for (const [id, tc] of Object.entries(TAB_CHECKS)) {
  const ok = (await Promise.all(tc.apis.map(routeExists))).every(Boolean);
  if (!ok && REQUIRED.has(id)) throw new Error(`tab ${id}: its route is missing on this server`);
  if (!ok) { console.log(`SKIP analytics tab ${id}: its route is not on this server yet`); delete TAB_CHECKS[id]; }
}

/** sortChanges clicks a sortable header and checks that aria-sort moves to it. */
async function sortChanges(p, table, label) {
  const th = p.locator(`${table} th`, { hasText: label }).first();
  const before = await th.getAttribute('aria-sort');
  await th.click();
  const after = await th.getAttribute('aria-sort');
  assert(after && after !== before, `clicking "${label}" did not change its sort (${before} → ${after})`);
}

/** openTab loads #/analytics?tab=id and waits until the tab reports it has rendered. */
async function openTab(p, id, extra = '') {
  await p.goto(`${BASE}/#/analytics?tab=${id}${extra}`);
  await p.waitForFunction((t) => document.querySelector('#an-content')?.dataset.ready === t, id, { timeout: 20000 });
  const err = await p.locator('#an-content .error-box').count();
  assert(err === 0, `tab ${id} shows an error: ${err ? await p.locator('#an-content .error-box').first().textContent() : ''}`);
  return +(await p.locator('#an-content').getAttribute('data-render-ms'));
}

const noErrors = (p, what) => assert(p.errors.length === 0, `${what}: ${p.errors.slice(0, 3).join(' | ')}`);

// ---- every landed tab: data drawn = API, no console errors, render time ----
const dark = await newPage({ theme: 'dark' });
for (const [id, tc] of Object.entries(TAB_CHECKS)) {
  await check(`analytics tab ${id}: drawn data matches the API, no console errors, renders < 1 s`, async () => {
    dark.errors = [];
    const data = await Promise.all(tc.apis.map((a) => api(a)));
    const ms = await openTab(dark, id);
    await tc.verify(dark, data);
    // Missing values must read "—" or an explanation, never leak as JS literals.
    const junk = (await dark.locator('#an-content').innerText()).match(/\b(undefined|null|NaN)\b|\[object /);
    assert(!junk, `tab ${id} shows "${junk && junk[0]}"`);
    console.log(`MEASURE analytics tab ${id}: fetched and rendered in ${ms} ms`);
    assert(ms < 1000, `tab ${id} took ${ms} ms to fetch and render`);
    await dark.screenshot({ path: path.join(SHOTS, `analytics-dark-${id}.png`), fullPage: true });
    noErrors(dark, `tab ${id}`);
  });
}

if (TAB_CHECKS['neighbor-graph']) {
  await check('neighbor graph: ≥ 30 frames/s while dragging a node with ≥ 400 nodes', async () => {
    // The shared stack's mesh has 60 nodes; for the performance check the real response is
    // replicated (keys suffixed per copy, copies chained by one edge) to ≥ 400 nodes and served
    // to this page only. Correctness against the real route is checked by the tab check above.
    const real = await api('/analytics/neighbor-graph?min_count=1&min_score=0');
    assert(real.nodes.length > 0, 'the real graph is empty');
    const copies = Math.ceil(400 / real.nodes.length);
    const nodes = []; const edges = [];
    for (let k = 0; k < copies; k++) {
      const key = (pk) => `${pk}~${k}`;
      for (const n of real.nodes) nodes.push({ ...n, pubkey: key(n.pubkey) });
      for (const e of real.edges) edges.push({ ...e, source: key(e.source), target: key(e.target) });
      if (k) edges.push({ source: key(real.nodes[0].pubkey), target: nodes[0].pubkey, weight: 1, score: 1, bidirectional: true, avg_snr: null, ambiguous: false });
    }
    const big = { nodes, edges, stats: { ...real.stats, total_nodes: nodes.length, total_edges: edges.length } };
    const p = await newPage({ theme: 'dark' });
    await p.route('**/api/analytics/neighbor-graph?*', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(big) }));
    const ms = await openTab(p, 'neighbor-graph');
    await p.locator('#ng-min-score').fill('0');
    await p.waitForTimeout(1500);
    const shown = +(await p.locator('canvas.ng-canvas').getAttribute('data-nodes'));
    assert(shown >= 400, `only ${shown} nodes shown`);
    const fps = await dragFps(p);
    console.log(`MEASURE neighbor graph ${shown} nodes / ${edges.length} edges: render ${ms} ms, ${fps.toFixed(1)} frames/s while dragging`);
    assert(fps >= 30, `${fps.toFixed(1)} frames/s while dragging`);
    await p.screenshot({ path: path.join(SHOTS, 'analytics-dark-neighbor-graph-400.png') });
    noErrors(p, 'neighbor graph perf');
    await p.context().close();
  });
}

if (TAB_CHECKS.rf) {
  await check('analytics: the window select refetches with window= and redraws from that answer', async () => {
    dark.errors = [];
    await openTab(dark, 'rf');
    const rf24 = await api('/analytics/rf?window=24h');
    const req = dark.waitForRequest((r) => r.url().includes('/api/analytics/rf?window=24h'));
    await dark.selectOption('#an-window', '24h');
    await req;
    await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'rf' && !document.querySelector('#an-content .loading'));
    assert(dark.url().includes('window=24h'), `URL lacks the window: ${dark.url()}`);
    await eqMarks(dark, 'snr-histogram', bins(rf24.snrValues), 'SNR histogram (24 h)');
    await eqMarks(dark, 'packet-sizes', bins(rf24.packetSizes), 'packet sizes (24 h)');
    await dark.reload();
    await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'rf', null, { timeout: 20000 });
    assert(await dark.locator('#an-window').inputValue() === '24h', 'window not restored after reload');
    noErrors(dark, 'window select');
  });
}

await check('analytics: every tab is listed and the tab strip is a keyboard tablist', async () => {
  dark.errors = [];
  await openTab(dark, 'roles');
  const tabs = await dark.locator('.analytics-page [role=tab]').allTextContents();
  assert(tabs.length === 15, `expected 15 tabs, got ${tabs.length}: ${tabs.join(', ')}`);
  await dark.locator('#an-tab-roles').focus();
  await dark.keyboard.press('ArrowRight');
  const sel = await dark.locator('.analytics-page [role=tab][aria-selected=true]').getAttribute('data-value');
  assert(sel === 'scopes', `ArrowRight from Roles selected ${sel}`);
  assert(dark.url().includes('tab=scopes'), `URL did not follow the tab: ${dark.url()}`);
  // Let that tab finish (its route may not be on main yet) so its requests do not leak into the next check.
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'scopes' || document.querySelector('#an-content .error-box'), null, { timeout: 20000 });
  await dark.waitForTimeout(300);
});

await check('analytics: URL state survives reload and back/forward', async () => {
  dark.errors = [];
  await openTab(dark, 'nodes');
  await dark.locator('#an-tab-roles').click();
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'roles');
  assert(dark.url().includes('tab=roles'), `URL after clicking Roles: ${dark.url()}`);
  await dark.reload();
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'roles', null, { timeout: 20000 });
  await dark.goBack();
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'nodes', null, { timeout: 20000 });
  const sel = await dark.locator('.analytics-page [role=tab][aria-selected=true]').getAttribute('data-value');
  assert(sel === 'nodes', `back did not restore the Nodes tab (selected ${sel})`);
  await dark.goForward();
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'roles', null, { timeout: 20000 });
  noErrors(dark, 'history');
});

// ---- compare: overlap counts = an independent set computation over the same API data ----
await check('compare: set overlap of two observers matches the packets API', async () => {
  const obs = (await api('/observers')).observers;
  assert(obs.length >= 2, `need two observers, have ${obs.length}`);
  const [a, b] = obs;
  dark.errors = [];
  // Compute the expected overlap from the very answers the page received (live traffic between
  // two fetches could otherwise change the sets), with a plain set loop independent of the page.
  // The bodies are taken on the way through (route.fetch): large ones are not kept by the
  // browser's inspector cache, so response.json() afterwards is unreliable.
  const got = new Map();
  const pass = async (route) => {
    const res = await route.fetch();
    const body = await res.text();
    got.set(new URL(route.request().url()).searchParams.get('observer'), JSON.parse(body));
    await route.fulfill({ response: res, body });
  };
  await dark.route('**/api/packets?*', pass);
  await dark.goto(`${BASE}/#/compare?a=${encodeURIComponent(a.id)}&b=${encodeURIComponent(b.id)}`);
  await dark.waitForSelector('#compare-cards', { timeout: 20000 });
  await dark.unroute('**/api/packets?*', pass);
  assert(got.has(a.id) && got.has(b.id), `the page did not request both observers' packets (${[...got.keys()].join(', ')})`);
  const [pa, pb] = [got.get(a.id), got.get(b.id)];
  const A = new Set(pa.packets.map((x) => x.hash)); const B = new Set(pb.packets.map((x) => x.hash));
  let both = 0;
  for (const x of A) if (B.has(x)) both++;
  const ds = await dark.locator('#compare-cards').evaluate((el) => ({ ...el.dataset }));
  assert(+ds.both === both && +ds.onlyA === A.size - both && +ds.onlyB === B.size - both,
    `page both/onlyA/onlyB ${ds.both}/${ds.onlyA}/${ds.onlyB}, expected ${both}/${A.size - both}/${B.size - both}`);
  await dark.locator('[role=tab]', { hasText: 'Only A' }).click();
  const rows = await dark.locator('#compare-table tbody tr').count();
  assert(rows === Math.min(500, A.size - both), `Only A table has ${rows} rows, expected ${Math.min(500, A.size - both)}`);
  await dark.screenshot({ path: path.join(SHOTS, 'analytics-dark-compare.png'), fullPage: true });
  noErrors(dark, 'compare');
});

// ---- node analytics: stat cards, Chart.js datasets = API, window buttons, theme redraw ----
/** chartInfo returns, per canvas in the section, the dataset lengths and the painted pixel count. */
async function chartInfo(p, sel) {
  return p.locator(`${sel} canvas`).evaluate((c) => {
    const ch = window.Chart && window.Chart.getChart(c);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) painted++;
    return { lens: ch ? ch.data.datasets.map((x) => x.data.length) : null, painted, grid: ch && ch.options.scales && ch.options.scales.x ? String(ch.options.scales.x.grid.color) : '' };
  });
}
async function expectChart(p, sel, n, what) {
  if (!n) {
    const txt = await p.locator(`${sel} .an-empty`).count();
    assert(txt === 1, `${what}: API has no data but the page shows no empty-state message`);
    return;
  }
  const ci = await chartInfo(p, sel);
  assert(ci.lens && ci.lens[0] === n, `${what}: chart has ${ci.lens} points, API ${n}`);
  assert(ci.painted > 500, `${what}: canvas has only ${ci.painted} painted pixels`);
}

const nodeList = (await api('/nodes?limit=5000')).nodes;
const busy = nodeList.slice().sort((a, b) => (b.advert_count || 0) - (a.advert_count || 0))[0];
if (await required(`/nodes/${busy.public_key}/analytics`)) {
  await check('node analytics: six stat cards and every chart match the API; window buttons refetch', async () => {
    const pk = busy.public_key;
    const [a, bat] = await Promise.all([api(`/nodes/${pk}/analytics?days=7`), api(`/nodes/${pk}/battery?days=7`)]);
    dark.errors = [];
    await dark.goto(`${BASE}/#/nodes/${pk}/analytics`);
    await dark.waitForSelector('#na-subtitle', { timeout: 20000 });
    assert(await dark.locator('.na-stat').count() === 6, 'expected six stat cards');
    const sub = await dark.locator('#na-subtitle').textContent();
    assert(sub.includes(`${a.computedStats.totalPackets.toLocaleString()} packets in 7d window`), `subtitle "${sub}"`);
    await expectChart(dark, '#na-activity', a.activityTimeline.length, 'activity timeline');
    await expectChart(dark, '#na-types', a.packetTypeBreakdown.length, 'packet types');
    await expectChart(dark, '#na-coverage', a.observerCoverage.length, 'observer coverage');
    await expectChart(dark, '#na-hops', a.hopDistribution.length, 'hop distribution');
    await expectChart(dark, '#na-battery', bat.samples.length, 'battery');
    if (!bat.samples.length) assert((await dark.locator('#na-battery').textContent()).includes('No battery telemetry'), 'battery empty state');
    const cells = await dark.locator('#na-heatmap .c.mark').count();
    assert(cells === a.uptimeHeatmap.filter((c) => c.count > 0).length, `heatmap ${cells} filled cells, API ${a.uptimeHeatmap.filter((c) => c.count > 0).length}`);
    // Theme switch rebuilds the charts in the new colours.
    const before = (await chartInfo(dark, '#na-activity')).grid;
    await dark.locator('#theme-toggle').click();
    await dark.waitForTimeout(300);
    const after = (await chartInfo(dark, '#na-activity')).grid;
    assert(before && after && before !== after, `grid colour did not change with the theme (${before} → ${after})`);
    await dark.screenshot({ path: path.join(SHOTS, 'analytics-light-node-analytics.png'), fullPage: true });
    await dark.locator('#theme-toggle').click();
    // 30d refetches with days=30 and redraws from that answer.
    const a30 = await api(`/nodes/${pk}/analytics?days=30`);
    const req = dark.waitForRequest((r) => r.url().includes(`/api/nodes/${pk}/analytics?days=30`));
    await dark.locator('.na-windows [data-days="30"]').click();
    await req;
    await dark.waitForFunction(() => (document.querySelector('#na-subtitle') || {}).textContent?.includes('30d window'), null, { timeout: 10000 });
    await expectChart(dark, '#na-activity', a30.activityTimeline.length, 'activity timeline (30d)');
    assert(dark.url().includes('days=30'), `URL did not keep the window: ${dark.url()}`);
    await dark.screenshot({ path: path.join(SHOTS, 'analytics-dark-node-analytics.png'), fullPage: true });
    noErrors(dark, 'node analytics');
  });
}

await check('links: node page → its analytics; legacy #/roles → the Roles tab', async () => {
  dark.errors = [];
  await dark.goto(`${BASE}/#/nodes/${busy.public_key}`);
  const link = dark.locator(`a[href="#/nodes/${busy.public_key}/analytics"]`);
  await link.waitFor({ timeout: 15000 });
  await link.click();
  await dark.waitForSelector('#na-subtitle', { timeout: 20000 });
  await dark.goto(`${BASE}/#/roles`);
  await dark.waitForFunction(() => document.querySelector('#an-content')?.dataset.ready === 'roles', null, { timeout: 20000 });
  assert(dark.url().includes('#/analytics?tab=roles'), `#/roles went to ${dark.url()}`);
  noErrors(dark, 'links');
});

// ---- observer page charts + clock offset; observers list columns ----
const obsList = (await api('/observers')).observers;
const obsBusy = obsList.slice().sort((a, b) => (b.packet_count || 0) - (a.packet_count || 0))[0];
if (obsBusy && await required(`/observers/${encodeURIComponent(obsBusy.id)}/analytics`)) {
  await check('observer page: four charts match /analytics, range select refetches, clock offset shown', async () => {
    const id = obsBusy.id;
    const [a, skew] = await Promise.all([api(`/observers/${encodeURIComponent(id)}/analytics?days=7`), api('/observers/clock-skew')]);
    dark.errors = [];
    await dark.goto(`${BASE}/#/observers/${encodeURIComponent(id)}`);
    await dark.waitForSelector('#obs-chart-packets', { timeout: 20000 });
    await expectChart(dark, '#obs-chart-packets', a.timeline.length, 'packets over time');
    await expectChart(dark, '#obs-chart-types', Object.keys(a.packetTypes).length, 'packet types');
    await expectChart(dark, '#obs-chart-nodes', a.nodesTimeline.length, 'unique nodes');
    await expectChart(dark, '#obs-chart-snr', a.snrDistribution.length, 'SNR distribution');
    const mine = skew.find((x) => x.observerID === id);
    await dark.waitForSelector('.clock-offset h2 + *:not(.loading)', { timeout: 10000 });
    assert((await dark.locator('#observer-clock-offset').count()) === (mine ? 1 : 0), `clock offset shown ${await dark.locator('#observer-clock-offset').count()}, API has ${mine ? 'an' : 'no'} entry`);
    const a1 = await api(`/observers/${encodeURIComponent(id)}/analytics?days=1`);
    const req = dark.waitForRequest((r) => r.url().includes('/analytics?days=1'));
    await dark.selectOption('#observer-range', '1');
    await req;
    await dark.waitForTimeout(500);
    await expectChart(dark, '#obs-chart-packets', a1.timeline.length, 'packets over time (24 h)');
    await dark.screenshot({ path: path.join(SHOTS, 'analytics-dark-observer.png'), fullPage: true });
    noErrors(dark, 'observer page');
  });
  await check('observers list: Packet Health and Clock Offset columns', async () => {
    const skew = await api('/observers/clock-skew');
    const ids = new Set(obsList.map((o) => o.id));
    const withOffset = skew.filter((x) => ids.has(x.observerID)).length;
    dark.errors = [];
    await dark.goto(`${BASE}/#/observers`);
    await dark.waitForSelector('#observers-table', { timeout: 20000 });
    const heads = await dark.locator('#observers-table th').allTextContents();
    assert(heads.includes('Packet Health') && heads.includes('Clock Offset'), `headers: ${heads.join(', ')}`);
    const shown = await dark.locator('#observers-table td.clock-offset .sev:not(.sev-warning[title])').count();
    assert(shown === withOffset, `${shown} clock offsets shown, API has ${withOffset}`);
    noErrors(dark, 'observers list');
  });
}

// ---- light theme and 390×844: every landed tab renders without errors and fits the width ----
for (const [label, opts] of [['light', { theme: 'light' }], ['mobile 390×844', { theme: 'dark', viewport: { width: 390, height: 844 } }]]) {
  const p = await newPage(opts);
  for (const id of Object.keys(TAB_CHECKS)) {
    await check(`analytics tab ${id} (${label}): renders, no errors, no horizontal page overflow`, async () => {
      p.errors = [];
      const data = await Promise.all(TAB_CHECKS[id].apis.map((a) => api(a)));
      await openTab(p, id);
      await TAB_CHECKS[id].verify(p, data);
      await noOverflow(p);
      await p.screenshot({ path: path.join(SHOTS, `analytics-${label.split(' ')[0]}-${id}.png`), fullPage: true });
      noErrors(p, `${id} ${label}`);
    });
  }
}

/** noOverflow fails when the page is wider than the viewport, naming the element responsible. */
async function noOverflow(p) {
  const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (over > 1) {
    // Name the culprit: the outermost element sticking out that no scroll container clips.
    const who = await p.evaluate(() => {
      const clipped = (el) => { for (let e = el.parentElement; e; e = e.parentElement) { const o = getComputedStyle(e).overflowX; if (o !== 'visible') return true; } return false; };
      const el = [...document.querySelectorAll('#app *')].find((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(e));
      return el ? `${el.tagName.toLowerCase()}#${el.id}.${typeof el.className === 'string' ? el.className : ''} "${(el.textContent || '').slice(0, 40)}"` : '?';
    });
    throw new Error(`page is ${over}px wider than the viewport (${who})`);
  }
}

await check('390×844: node analytics, observer page and compare fit the phone width', async () => {
  const m = await newPage({ theme: 'dark', viewport: { width: 390, height: 844 } });
  const routes = [`/nodes/${busy.public_key}/analytics`, obsBusy ? `/observers/${encodeURIComponent(obsBusy.id)}` : null, '/compare'].filter(Boolean);
  for (const r of routes) {
    await m.goto(`${BASE}/#${r}`);
    await m.waitForFunction(() => !document.querySelector('#app .loading') && document.querySelector('#app h1'), null, { timeout: 20000 });
    await m.waitForTimeout(500);
    await noOverflow(m);
    await m.screenshot({ path: path.join(SHOTS, `analytics-mobile-${r.split('/')[1]}${r.includes('analytics') ? '-analytics' : ''}.png`), fullPage: true });
  }
  noErrors(m, 'mobile pages');
  await m.context().close();
});

await finish();
