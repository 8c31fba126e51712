// Shared helpers for the browser specs (*.spec.mjs). internal/webtest (go test) starts ONE stack
// — real Mosquitto, ingestor, server fed with a meshsim workload — and runs every spec against it
// as a subtest, with these environment variables:
//   BASE_URL          server under test, e.g. http://127.0.0.1:41234
//   PUBLISH_URL       POST → the Go side publishes one fresh transmission, answers {"hash"};
//                     POST ?kind=K runs a publish kind registered in Go (publishKinds)
//   SCREENSHOT_DIR    where page screenshots go (gitignored)
//   XSS_NAME/XSS_KEY  the hostile node name and its public key
//   EXPECTED_PACKETS  distinct transmissions in the workload
// Drives Debian's chromium through playwright-core (never downloads a browser). A spec prints one
// line per check and calls finish(), which prints "ALL PASSED" or exits non-zero.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const BASE = process.env.BASE_URL;
export const PUBLISH = process.env.PUBLISH_URL;
export const SHOTS = process.env.SCREENSHOT_DIR || path.resolve('screenshots');
export const XSS_NAME = process.env.XSS_NAME || '<img src=x onerror=alert(1)>';
export const XSS_KEY = process.env.XSS_KEY || '';
export const EXPECTED = +(process.env.EXPECTED_PACKETS || 0);
if (!BASE) { console.error('BASE_URL is required'); process.exit(2); }
fs.mkdirSync(SHOTS, { recursive: true });

const failures = [];
const pass = (name) => console.log(`PASS ${name}`);
const fail = (name, why) => { failures.push(name); console.log(`FAIL ${name}: ${why}`); };

/** check runs one named check; a thrown error fails it (the spec goes on with the next). */
export async function check(name, fn) {
  try { await fn(); pass(name); } catch (e) { fail(name, e && e.message ? e.message.split('\n')[0] : String(e)); }
}
export const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

export const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/**
 * isOurError filters console errors. Map tiles are the one external resource and this machine
 * has no internet, so failed tile loads ("Failed to load resource" for a URL that is not our
 * server) are deliberately ignored; everything else counts, CSP violations included.
 */
function isOurError(msg) {
  const text = msg.text();
  const url = (msg.location() && msg.location().url) || '';
  if (/Failed to load resource/.test(text) && url && !url.startsWith(BASE)) return false;
  if (/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(text) && !url.startsWith(BASE)) return false;
  return true;
}

/**
 * newPage opens a page in a fresh context. page.errors collects console errors, page errors,
 * dialogs (alert() from injected script), failed requests to our server, HTTP ≥ 400 from /api/
 * and Content-Security-Policy violations.
 */
export async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1400, height: 900 }, colorScheme: opts.theme || 'dark' });
  if (opts.theme) await ctx.addInitScript((t) => { if (localStorage.getItem('meshcore-theme') === null) localStorage.setItem('meshcore-theme', t); }, opts.theme);
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && isOurError(m)) page.errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { page.errors.push(`dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('requestfailed', (r) => { if (r.url().startsWith(BASE) && !r.url().includes('/ws')) page.errors.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`); });
  page.on('response', (r) => {
    if (!r.url().startsWith(BASE + '/api/') || r.status() < 400) return;
    page.errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return page;
}

/** settle waits until the view has rendered: no loading placeholders, a heading exists. */
export async function settle(page) {
  await page.waitForFunction(() => {
    const app = document.getElementById('app');
    return app && app.querySelector('h1, h2') && !app.querySelector('.loading');
  }, null, { timeout: 15000 });
  await page.waitForTimeout(400);
}

/** wsOpen waits until the page's WebSocket is connected (live checks publish only then). */
export async function wsOpen(p) {
  await p.waitForFunction(() => document.querySelector('#ws-state')?.dataset.state === 'open', null, { timeout: 10000 });
}

/** api GETs /api<p> from the test process (not the page) and returns the JSON. */
export async function api(p) {
  const r = await fetch(BASE + '/api' + p);
  if (!r.ok) throw new Error(`GET /api${p}: HTTP ${r.status}`);
  return r.json();
}

/** publish asks the Go side to publish: kind '' = one fresh transmission ({hash}); others as registered. */
export async function publish(kind = '') {
  const r = await fetch(PUBLISH + (kind ? `?kind=${encodeURIComponent(kind)}` : ''), { method: 'POST' });
  if (!r.ok) throw new Error(`publish ${kind || 'live'}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** publishLive publishes one fresh transmission and returns its hash. */
export async function publishLive() { return (await publish()).hash; }

/**
 * publishOdd makes the Go side publish packets of unusual shapes (TRACE, zero-hop direct,
 * CONTROL, RAW_CUSTOM, reserved type, payload decode errors) reported by an observer no page
 * has seen yet, plus one fresh packet. Answers {hashes, fresh}.
 */
export async function publishOdd() { return publish('odd'); }
export const ODD_OBSERVER = '0DD0BE5E2F00000000000000000000000000000000000000000000000000CAFE';

/** waitFor polls fn (async, truthy = done) every 250 ms until the deadline. */
export async function waitFor(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** finish closes the browser and reports: "ALL PASSED", or the failures and exit code 1. */
export async function finish() {
  await browser.close();
  if (failures.length) {
    console.log(`${failures.length} FAILED: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('ALL PASSED');
}
