// demo_check.mjs — drives Debian's Chromium through playwright-core against a
// running `./manage.sh demo` and checks what a newcomer should see: packets in
// the packet list, nodes in the node list and on the map, decrypted channel
// chat, the live view.
//
// Usage: node demo_check.mjs BASE_URL SCREENSHOT_DIR
// env: PLAYWRIGHT_CORE (path to node_modules/playwright-core), CHROMIUM (binary).
// Prints one JSON line with what it found; exits non-zero on a failed check,
// including any uncaught page error, console error or failed /api/ call from
// our own code on any page.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node demo_check.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}
const pw = await import(pathToFileURL(path.join(process.env.PLAYWRIGHT_CORE, 'index.mjs')).href);
const browser = await pw.chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { errors: [] };
let failed = false;
function fail(msg) {
  failed = true;
  result.errors.push(msg);
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => fail('page error at ' + page.url() + ': ' + (e.stack || e.message)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    // Map tiles are the one external resource and the test machine has no
    // internet: a failed tile load (a resource error whose URL is not our
    // server) is expected and filtered out. Everything else counts.
    if (url && !url.startsWith(base) && /Failed to load resource|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(m.text())) return;
    fail('console error at ' + page.url() + ': ' + m.text() + (url ? ' (' + url + ')' : ''));
  });
  page.on('response', (r) => {
    if (r.url().startsWith(base + '/api/') && r.status() >= 400) fail('HTTP ' + r.status() + ' ' + r.url() + ' on ' + page.url());
  });

  // Names of nodes the server knows; the node list must show one of them.
  const api = await (await fetch(base + '/api/nodes?limit=200')).json();
  const names = (api.nodes || []).map((n) => n.name).filter((n) => n && n.length > 3);
  result.apiNodes = names.length;
  if (names.length === 0) fail('API returned no named nodes');

  await page.goto(base + '/#/packets', { waitUntil: 'domcontentloaded' });
  try {
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length >= 3, null, { timeout: 30000 });
  } catch {
    fail('packets page shows fewer than 3 rows after 30 s');
  }
  result.packetRows = await page.evaluate(() => document.querySelectorAll('tbody tr').length);
  await page.screenshot({ path: path.join(shots, 'demo-packets.png') });

  await page.goto(base + '/#/nodes', { waitUntil: 'domcontentloaded' });
  try {
    await page.waitForFunction((ns) => ns.some((n) => document.body.innerText.includes(n)), names, { timeout: 30000 });
    result.nodeNameShown = true;
  } catch {
    fail('nodes page shows none of the API node names after 30 s');
  }
  await page.screenshot({ path: path.join(shots, 'demo-nodes.png') });

  await page.goto(base + '/#/map', { waitUntil: 'domcontentloaded' });
  try {
    await page.waitForFunction(
      () => document.querySelectorAll('.leaflet-marker-icon, .leaflet-interactive, .marker-cluster').length > 0,
      null, { timeout: 30000 });
  } catch {
    fail('map shows no node markers after 30 s');
  }
  result.mapMarkers = await page.evaluate(
    () => document.querySelectorAll('.leaflet-marker-icon, .leaflet-interactive, .marker-cluster').length);
  await page.screenshot({ path: path.join(shots, 'demo-map.png') });

  // Decrypted channel chat: a plaintext line the API returns must be on the page.
  const ch = await (await fetch(base + '/api/channels')).json();
  const lines = (ch.channels || []).map((c) => c.lastMessage).filter((m) => m && m.length > 3);
  result.apiChannelLines = lines.length;
  if (lines.length === 0) fail('API returned no decrypted channel messages');
  await page.goto(base + '/#/channels', { waitUntil: 'domcontentloaded' });
  try {
    await page.waitForFunction((ls) => ls.some((l) => document.body.innerText.includes(l.slice(0, 20))), lines, { timeout: 30000 });
    result.channelChatShown = true;
  } catch {
    fail('channels page shows none of the decrypted messages after 30 s');
  }
  await page.screenshot({ path: path.join(shots, 'demo-channels.png') });

  await page.goto(base + '/#/live', { waitUntil: 'domcontentloaded' });
  try {
    await page.waitForSelector('.leaflet-container', { timeout: 30000 });
  } catch {
    fail('live view has no map after 30 s');
  }
  // Live traffic must reach the feed and be animated on the map; keep
  // watching for a while so errors in the animation path surface here.
  try {
    await page.waitForFunction(() => document.querySelectorAll('#live-feed-list .feed-item').length > 0 &&
      +(document.getElementById('live-map')?.dataset.animated || 0) > 0, null, { timeout: 30000 });
    result.liveAnimated = true;
  } catch {
    fail('live view shows no animated packet after 30 s of demo traffic');
  }
  await page.waitForTimeout(10000);
  result.liveAnimations = await page.evaluate(() => +(document.getElementById('live-map')?.dataset.animated || 0));
  await page.screenshot({ path: path.join(shots, 'demo-live.png') });
} catch (e) {
  fail('browser check crashed: ' + (e && e.stack ? e.stack : e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(failed ? 1 : 0);
