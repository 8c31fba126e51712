// Browser checks for the customizer (UI.md §12) and browser-held channel keys (UI.md §6, issue
// 14) on the shared meshsim-fed stack. Run alone with
//   go test -count=1 ./internal/webtest -run 'TestBrowser/customizer' -v
import path from 'node:path';
import { BASE, SHOTS, check, assert, newPage, api, publish, waitFor, wsOpen, finish } from './lib.mjs';

function noErrors(p, allow = []) {
  const errs = p.errors.filter((e) => !allow.some((re) => re.test(e)));
  assert(!errs.length, errs.slice(0, 3).join(' | '));
}

/** spy records every request and WebSocket frame the page sends (to prove a secret stays home). */
function spy(p) {
  const sent = [];
  p.on('request', (r) => sent.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() || ''}`));
  p.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(`WS ${String(f.payload)}`)));
  return sent;
}

// ---- channels: a key the server lacks, added in the browser by name ----
await check('channels: a private #hashtag added by name decrypts in the browser; the key never leaves it', async () => {
  const p = await newPage();
  const sent = spy(p);
  await p.goto(`${BASE}/#/channels`);
  await p.waitForSelector('#channel-list .ch-item', { timeout: 15000 });
  await wsOpen(p);
  const pub = await publish('private-channel');
  // The server has the packets but cannot read them (its keyring lacks the channel).
  await waitFor('the private packets on the server', async () => {
    const r = await api('/packets?type=5&limit=1000');
    return pub.hashes.every((hh) => r.packets.some((x) => x.hash === hh));
  });
  const r = await api('/packets?type=5&limit=1000');
  for (const x of r.packets.filter((x) => pub.hashes.includes(x.hash))) {
    const d = JSON.parse(x.decoded_json);
    assert(!d.text && d.decryptionStatus !== 'decrypted', `server decrypted ${x.hash}: ${x.decoded_json}`);
  }
  const chans = await api('/channels');
  assert(!JSON.stringify(chans).includes(pub.channel), 'server lists the private channel by name');

  await p.click('#ch-add-btn');
  await p.fill('#ch-add-name', pub.channel.slice(1));
  await p.click('#ch-add-submit');
  await p.waitForFunction((texts) => {
    const m = document.getElementById('channel-messages');
    return m && texts.every((t) => m.textContent.includes(t));
  }, pub.texts, { timeout: 15000 });
  const sender = await p.locator('#channel-messages .msg .sender').first().textContent();
  assert(sender === 'Ghost', `sender ${sender}, want Ghost`);
  // The derivation matches internal/channel (the Go side computed keyHex).
  const stored = await p.evaluate(() => JSON.parse(localStorage.getItem('corescope_channel_keys')));
  assert(stored[pub.channel] === pub.keyHex, `stored key ${JSON.stringify(stored)}, Go derived ${pub.keyHex}`);
  assert(await p.locator('#channel-list .ch-item', { hasText: pub.channel }).count() === 1, 'no My Channels row');

  // Live: new messages on the open browser channel are decrypted from the WebSocket.
  const more = await publish('private-channel');
  await p.waitForFunction((texts) => texts.every((t) => document.getElementById('channel-messages').textContent.includes(t)), more.texts, { timeout: 15000 });

  // Survives a reload (kept in this browser), still decrypted.
  await p.reload();
  await p.waitForFunction((t) => document.getElementById('channel-messages')?.textContent.includes(t), more.texts[0], { timeout: 15000 });
  await p.screenshot({ path: path.join(SHOTS, 'channels-browser-key.png') });

  // Share shows the key and a QR; Remove drops the channel; the same key added as hex decrypts too.
  await p.click('#ch-share-btn');
  assert((await p.locator('#ch-share .ch-share-key').textContent()) === pub.keyHex, 'share box shows another key');
  assert(await p.locator('#ch-share .qr svg path').count() === 1, 'no QR in the share box');
  await p.click('#ch-remove-btn');
  await p.waitForFunction((n) => ![...document.querySelectorAll('#channel-list .ch-item')].some((e) => e.textContent.includes(n)), pub.channel);
  await p.click('#ch-add-btn');
  await p.fill('#ch-add-key', pub.keyHex.toUpperCase());
  await p.fill('#ch-add-label', 'My PSK');
  await p.click('#ch-add-submit');
  await p.waitForFunction((t) => document.getElementById('channel-messages')?.textContent.includes(t), more.texts[2], { timeout: 15000 });
  assert((await p.locator('.ch-msgs-head h2').textContent()) === 'My PSK', 'PSK channel title');

  const leaks = sent.filter((s) => s.toLowerCase().includes(pub.keyHex));
  assert(!leaks.length, `the key went to the server: ${leaks[0]}`);
  const bad = await p.evaluate(async () => {
    const fill = (id, v) => { const e = document.getElementById(id); e.value = v; };
    document.getElementById('ch-add-btn').click();
    fill('ch-add-name', ''); fill('ch-add-key', 'nothex');
    document.getElementById('ch-add-submit').click();
    await new Promise((r) => setTimeout(r, 300));
    return document.querySelector('.ch-add-err').textContent;
  });
  assert(/32 hex/.test(bad), `bad key error: ${bad}`);
  noErrors(p);
});


await check('channels: without Web Crypto (plain HTTP) the pure-JS fallback derives the key and decrypts', async () => {
  const p = await newPage();
  await p.context().addInitScript(() => { Object.defineProperty(Crypto.prototype, 'subtle', { configurable: true, get() { return undefined; } }); });
  await p.goto(`${BASE}/#/channels`);
  await p.waitForSelector('#channel-list .ch-item', { timeout: 15000 });
  assert(await p.evaluate(() => crypto.subtle === undefined), 'crypto.subtle still present');
  const pub = await publish('private-channel');
  await waitFor('the private packets on the server', async () => {
    const r = await api('/packets?type=5&limit=1000');
    return pub.hashes.every((hh) => r.packets.some((x) => x.hash === hh));
  });
  await p.click('#ch-add-btn');
  await p.fill('#ch-add-name', pub.channel);
  await p.click('#ch-add-submit');
  await p.waitForFunction((texts) => texts.every((t) => document.getElementById('channel-messages')?.textContent.includes(t)), pub.texts, { timeout: 15000 });
  const stored = await p.evaluate(() => JSON.parse(localStorage.getItem('corescope_channel_keys')));
  assert(stored[pub.channel] === pub.keyHex, `pure-JS derived ${JSON.stringify(stored)}, Go ${pub.keyHex}`);
  noErrors(p);
});

// ---- customizer ----
const VARS = ['--accent', '--bg', '--mc-role-repeater', '--t-chan', '--t-advert'];
const look = (p) => p.evaluate((vars) => {
  const cs = getComputedStyle(document.documentElement);
  return { vars: Object.fromEntries(vars.map((v) => [v, cs.getPropertyValue(v).trim().toLowerCase()])),
    dot: getComputedStyle(document.querySelector('.brand-dot')).fill, title: document.querySelector('.brand-text').textContent };
}, VARS);

async function openTab(p, name) {
  if (!(await p.locator('.cz-panel').isVisible())) await p.click('#customize-btn');
  await p.click(`.cz-panel [role="tab"]:has-text("${name}")`);
}

for (const theme of ['dark', 'light']) {
  await check(`customizer (${theme}): colour edit → CSS variable; export, reset all, import reproduces the look`, async () => {
    const p = await newPage({ theme });
    await p.goto(`${BASE}/#/packets`);
    await p.waitForSelector('#customize-btn');
    const base = await look(p);
    await openTab(p, 'Theme');
    await p.locator('#cz-theme' + (theme === 'dark' ? 'Dark' : '') + '-accent').fill('#ff0000');
    let now = await look(p);
    assert(now.vars['--accent'] === '#ff0000', `--accent is ${now.vars['--accent']} after picking #ff0000`);
    assert(now.dot === 'rgb(255, 0, 0)', `brand dot fill ${now.dot}`);
    // Per-field reset: the ● next to the field brings back the stylesheet value.
    const dotBtn = p.locator('#cz-theme' + (theme === 'dark' ? 'Dark' : '') + '-accent ~ .cz-dot');
    assert(await dotBtn.isVisible(), 'no ● marker on the overridden field');
    await dotBtn.click();
    now = await look(p);
    assert(now.vars['--accent'] === base.vars['--accent'], `per-field reset left --accent ${now.vars['--accent']}, default ${base.vars['--accent']}`);
    // A look made of a colour, a colour-blind preset and a site name.
    await p.locator('#cz-theme' + (theme === 'dark' ? 'Dark' : '') + '-background').fill('#123456');
    await openTab(p, 'Colors');
    await p.click('.cz-panel [data-cb="Tritanopia-tuned"]');
    await openTab(p, 'Branding');
    await p.fill('#cz-branding-siteName', 'Test Mesh');
    await p.press('#cz-branding-siteName', 'Tab');
    const styled = await look(p);
    assert(styled.vars['--bg'] === '#123456' && styled.vars['--mc-role-repeater'] === '#cc3311' && styled.vars['--t-chan'] === '#cc3311',
      `look after edits: ${JSON.stringify(styled.vars)}`);
    assert(styled.title === 'Test Mesh', `brand text ${styled.title}`);
    // Export: the delta holds the user's changes only.
    await openTab(p, 'Export');
    const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#cz-download')]);
    assert(dl.suggestedFilename() === 'corescope-theme.json', `download name ${dl.suggestedFilename()}`);
    const file = path.join(SHOTS, `customizer-export-${theme}.json`);
    await dl.saveAs(file);
    const exported = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
    const set = theme === 'dark' ? 'themeDark' : 'theme';
    assert(JSON.stringify(Object.keys(exported).sort()) === JSON.stringify(['branding', 'nodeColors', set, 'typeColors'].sort()), `exported sections ${Object.keys(exported)}`);
    assert(JSON.stringify(exported[set]) === '{"background":"#123456"}', `exported ${set} ${JSON.stringify(exported[set])}`);
    // Reset all → the stylesheet look; import → the same look again, also after a reload.
    await p.click('#cz-reset-all');
    const reset = await look(p);
    assert(JSON.stringify(reset.vars) === JSON.stringify(base.vars), `after reset ${JSON.stringify(reset.vars)} ≠ base ${JSON.stringify(base.vars)}`);
    await openTab(p, 'Export');
    await p.setInputFiles('#cz-import-file', file);
    await p.waitForFunction(() => document.querySelector('.brand-text').textContent === 'Test Mesh');
    const again = await look(p);
    assert(JSON.stringify(again) === JSON.stringify(styled), `imported look ${JSON.stringify(again)} ≠ exported ${JSON.stringify(styled)}`);
    await p.reload();
    await p.waitForSelector('#customize-btn');
    const reloaded = await look(p);
    assert(JSON.stringify(reloaded.vars) === JSON.stringify(styled.vars), `after reload ${JSON.stringify(reloaded.vars)}`);
    await p.screenshot({ path: path.join(SHOTS, `customizer-${theme}.png`) });
    // Every tab renders without errors.
    for (const t of ['Branding', 'Theme', 'Colors', 'Home', 'Display', 'GeoFilter', 'Export']) {
      await openTab(p, t);
      await p.waitForTimeout(100);
    }
    noErrors(p);
  });
}

await check('customizer GeoFilter: no key sends nothing; a wrong key sends X-API-Key + polygon and shows the server error', async () => {
  const p = await newPage();
  const puts = [];
  p.on('request', (r) => { if (r.method() === 'PUT') puts.push(r); });
  await p.goto(`${BASE}/#/home`);
  await openTab(p, 'GeoFilter');
  await p.waitForSelector('#cz-geo-map .leaflet-container, #cz-geo-map.leaflet-container');
  const poly = [[37.1, -122.1], [37.6, -122.1], [37.6, -121.5]];
  await p.fill('#cz-geo-polygon', JSON.stringify(poly));
  await p.click('#cz-geo-save');
  await p.waitForFunction(() => /API key/.test(document.getElementById('cz-geo-status').textContent));
  assert(puts.length === 0, 'a request went out without a key');
  await p.fill('#cz-geo-key', 'wrong-key');
  await p.click('#cz-geo-save');
  await waitFor('the PUT', async () => puts.length === 1);
  const r = puts[0];
  assert(r.url() === `${BASE}/api/config/geo-filter`, `PUT to ${r.url()}`);
  assert(r.headers()['x-api-key'] === 'wrong-key', `X-API-Key ${r.headers()['x-api-key']}`);
  assert(JSON.stringify(JSON.parse(r.postData()).polygon) === JSON.stringify(poly), `body ${r.postData()}`);
  // The server's own answer for that key (asked independently) is what the page shows.
  const srv = await fetch(`${BASE}/api/config/geo-filter`, { method: 'PUT', headers: { 'X-API-Key': 'wrong-key', 'Content-Type': 'application/json' }, body: r.postData() });
  const err = (await srv.json()).error;
  assert(srv.status >= 400 && err, `server accepted a wrong key: ${srv.status}`);
  await p.waitForFunction((e) => document.getElementById('cz-geo-status').textContent.includes(e), err, { timeout: 5000 });
  const g = await api('/config/geo-filter');
  assert(!g.polygon || !g.polygon.length, `the polygon was saved: ${JSON.stringify(g)}`);
  noErrors(p, [/HTTP 40[13] .*\/api\/config\/geo-filter/, /status of 40[13]/]);
});

await finish();
