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

await finish();
