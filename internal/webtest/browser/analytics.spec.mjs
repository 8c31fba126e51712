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
    assert(ms < 1000, `tab ${id} took ${ms} ms to render after its data arrived`);
    await dark.screenshot({ path: path.join(SHOTS, `analytics-dark-${id}.png`), fullPage: true });
    noErrors(dark, `tab ${id}`);
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
  await dark.goto(`${BASE}/#/compare?a=${encodeURIComponent(a.id)}&b=${encodeURIComponent(b.id)}`);
  await dark.waitForSelector('#compare-cards', { timeout: 20000 });
  const since = new Date(Date.now() - 24 * 3600e3).toISOString();
  const [pa, pb] = await Promise.all([a, b].map((o) => api(`/packets?observer=${encodeURIComponent(o.id)}&since=${encodeURIComponent(since)}&limit=20000`)));
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

// ---- light theme and 390×844: every landed tab renders without errors and fits the width ----
for (const [label, opts] of [['light', { theme: 'light' }], ['mobile 390×844', { theme: 'dark', viewport: { width: 390, height: 844 } }]]) {
  const p = await newPage(opts);
  for (const id of Object.keys(TAB_CHECKS)) {
    await check(`analytics tab ${id} (${label}): renders, no errors, no horizontal page overflow`, async () => {
      p.errors = [];
      const data = await Promise.all(TAB_CHECKS[id].apis.map((a) => api(a)));
      await openTab(p, id);
      await TAB_CHECKS[id].verify(p, data);
      const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(over <= 1, `page is ${over}px wider than the viewport`);
      await p.screenshot({ path: path.join(SHOTS, `analytics-${label.split(' ')[0]}-${id}.png`), fullPage: true });
      noErrors(p, `${id} ${label}`);
    });
  }
}

await finish();
