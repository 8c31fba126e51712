// Browser checks for the Tools pages (UI.md §11, issue 14): #/perf, the trace viewer, the path
// inspector and the Audio Lab, on the shared meshsim-fed stack. Values shown are compared with
// the API responses this script fetches itself. Run alone with
//   go test -count=1 ./internal/webtest -run 'TestBrowser/tools' -v
import path from 'node:path';
import { BASE, SHOTS, check, assert, newPage, api, waitFor, finish } from './lib.mjs';

const num = (s) => +String(s).replace(/[^0-9.]/g, '');

/** noErrors fails with the collected console/page/HTTP errors (expected ones filtered first). */
function noErrors(p, allow = []) {
  const errs = p.errors.filter((e) => !allow.some((re) => re.test(e)));
  assert(!errs.length, errs.slice(0, 3).join(' | '));
}

/** fits checks the page has no horizontal overflow (390×844 layout). */
async function fits(p) {
  const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(over <= 1, `page is ${over}px wider than the viewport`);
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
  // Sorted by total time (descending): the first row has the largest count×avg of the API.
  const totals = Object.entries(perf.endpoints).map(([k, e]) => [k, e.count * e.avgMs]).sort((a, b) => b[1] - a[1]);
  const first = (await p.locator('#perf-endpoints-table tbody tr').first().locator('td').first().textContent()).replace(/^[✕▲] /, '');
  assert(totals.slice(0, 3).some(([k]) => k === first), `first row ${first}, API's top totals ${totals.slice(0, 3).map((x) => x[0]).join(', ')}`);
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

// ---- light theme and 390×844 for every tools page ----
const PAGES = [['perf', '#/perf', '#perf-endpoints-table']];
for (const [label, opts] of [['light', { theme: 'light' }], ['mobile 390×844', { theme: 'dark', viewport: { width: 390, height: 844 } }]]) {
  await check(`tools pages render in ${label} without errors`, async () => {
    const p = await newPage(opts);
    for (const [name, hash, sel] of PAGES) {
      await p.goto(`${BASE}/${hash}`);
      await p.waitForSelector(sel, { timeout: 15000 });
      await p.waitForTimeout(300);
      if (opts.viewport) await fits(p);
      await p.screenshot({ path: path.join(SHOTS, `tools-${name}-${label.split(' ')[0]}.png`), fullPage: true });
    }
    noErrors(p);
    await p.context().close();
  });
}

await finish();
