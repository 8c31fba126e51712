// Core pages (issue 15): one check per defect, named "D<n> …". Each failed on the code before its
// fix. Layout checks run at 1440×900, 900×800 and 390×844; every page is opened in both themes
// and must log no console error (CSP violations included, see lib.mjs).
import {
  BASE, XSS_KEY, check, assert, newPage, settle, wsOpen, api, publish, waitFor, finish,
} from './lib.mjs';

const SIZES = { desktop: { width: 1440, height: 900 }, tablet: { width: 900, height: 800 }, phone: { width: 390, height: 844 } };
const nodes = (await api('/nodes?limit=5000')).nodes;
const grouped = (await api('/packets?groupByHash=true&limit=2000')).packets;

/** apiOr is api() that answers null instead of throwing (a packet not stored yet is a 404). */
async function apiOr(p) { try { return await api(p); } catch { return null; } }

async function open(route, opts = {}) {
  const page = await newPage({ viewport: opts.viewport || SIZES.desktop, theme: opts.theme || 'dark' });
  await page.goto(`${BASE}/#${route}`);
  await settle(page);
  return page;
}
async function done(page) {
  const errs = page.errors.slice();
  await page.context().close();
  assert(!errs.length, errs.join(' | '));
}

// ---- D1: full-height pages fit the window (region bar and bottom nav included) ----
for (const [size, vp] of Object.entries(SIZES)) {
  for (const theme of ['dark', 'light']) {
    await check(`D1 full-height pages fit the window at ${size} (${theme})`, async () => {
      const page = await newPage({ viewport: vp, theme });
      for (const r of ['/packets', '/nodes', '/map', '/live', '/channels']) {
        await page.goto(`${BASE}/#${r}`);
        await settle(page);
        const m = await page.evaluate(() => {
          const nav = document.querySelector('.bottom-nav');
          const navTop = nav && getComputedStyle(nav).display !== 'none' ? nav.getBoundingClientRect().top : innerHeight;
          const app = document.getElementById('app').getBoundingClientRect();
          const vcr = document.querySelector('.vcr');
          return { scroll: document.scrollingElement.scrollHeight, inner: innerHeight, navTop, appBottom: app.bottom, vcr: vcr ? vcr.getBoundingClientRect().bottom : null };
        });
        assert(m.scroll <= m.inner + 1, `${r}: document is ${m.scroll}px tall in a ${m.inner}px window`);
        assert(m.appBottom <= m.navTop + 1, `${r}: page ends at ${m.appBottom}px, below the bottom edge/nav at ${m.navTop}px`);
        if (m.vcr !== null) assert(m.vcr <= m.navTop + 1, `${r}: playback bar ends at ${m.vcr}px, cut off at ${m.navTop}px`);
      }
      await done(page);
    });
  }
}

// ---- D2: every top-nav page is reachable at every desktop width (priority+ "More ▾") ----
for (const width of [780, 900, 1000, 1090, 1440]) {
  await check(`D2 every nav page is reachable at ${width} px`, async () => {
    const page = await open('/home', { viewport: { width, height: 800 } });
    const routes = await page.$$eval('.nav-links > a[data-route]', (as) => as.map((a) => a.dataset.route));
    const visible = await page.evaluate(() => {
      const box = document.querySelector('.nav-links').getBoundingClientRect();
      return [...document.querySelectorAll('.nav-links > a[data-route]')].filter((a) => {
        const r = a.getBoundingClientRect();
        return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.right <= innerWidth;
      }).map((a) => a.dataset.route);
    });
    let inMore = [];
    if (await page.isVisible('#nav-more-btn')) {
      await page.click('#nav-more-btn');
      inMore = await page.$$eval('#nav-more-menu a', (as) => as.map((a) => a.dataset.route));
      await page.keyboard.press('Escape');
    }
    const missing = routes.filter((r) => !visible.includes(r) && !inMore.includes(r));
    assert(!missing.length, `unreachable at ${width}px: ${missing.join(', ')} (visible ${visible}, More ${inMore})`);
    // Follow one menu item (a core page: the analytics pages belong to another spec).
    const target = inMore.find((r) => ['observers', 'channels', 'nodes', 'live', 'map', 'packets'].includes(r));
    if (target) {
      await page.click('#nav-more-btn');
      await page.click(`#nav-more-menu a[data-route="${target}"]`);
      await page.waitForFunction((t) => location.hash.startsWith('#/' + t), target);
      await settle(page);
      assert(await page.isHidden('#nav-more-menu'), 'More menu still open after navigating');
    }
    await done(page);
  });
}

// ---- D3: the detail pane shows the chosen observation's path ----
await check('D3 packet detail shows the selected observation\'s path, not the first one', async () => {
  let found = null;
  for (const g of grouped.filter((p) => p.count > 1).slice(0, 60)) {
    const d = await api(`/packets/${g.hash}`);
    const first = JSON.parse(d.packet.path_json || '[]').length;
    const o = (d.observations || []).find((x) => JSON.parse(x.path_json || '[]').length !== first);
    if (o) { found = { hash: g.hash, obs: o, n: JSON.parse(o.path_json || '[]').length }; break; }
  }
  assert(found, 'no packet whose observations have different path lengths');
  const page = await open(`/packets/${found.hash}?obs=${found.obs.id}`);
  await page.waitForSelector('.detail-pane .kv');
  const hopsText = await page.$eval('.detail-pane .kv dd:nth-of-type(3) .badge', (e) => e.textContent);
  assert(hopsText === `${found.n} hops`, `pane says "${hopsText}", observation ${found.obs.id} has ${found.n} hops`);
  await done(page);
});

// ---- D4 / D9: live group counts and an open packet that is still being heard ----
await check('D9 an open packet refreshes while it is still being heard', async () => {
  const page = await open('/packets');
  await wsOpen(page);
  const prep = await publish('cp-prepare');
  await publish('cp-first');
  await page.waitForSelector(`.vt tbody tr[data-hash="${prep.hash}"]`, { timeout: 20000 });
  await page.click(`.vt tbody tr[data-hash="${prep.hash}"]`);
  await page.waitForSelector('.detail-pane .detail-hash');
  const before = await page.$eval('.detail-pane .detail-hash', (e) => e.textContent);
  await publish('cp-rest');
  const full = await waitFor('all observations in the API', async () => {
    const d = await apiOr(`/packets/${prep.hash}`);
    return d && d.observation_count >= prep.observations ? d : null;
  });
  await waitFor(`the pane to show ${full.observation_count} observations (it said "${before}")`, async () =>
    (await page.$eval('.detail-pane .detail-hash', (e) => e.textContent)).includes(`of ${full.observation_count}`), 15000);
  await done(page);
});

await check('D4 a live group counts each observation once', async () => {
  const page = await open('/packets');
  await wsOpen(page);
  const prep = await publish('cp-prepare');
  await publish('cp-all');
  await page.waitForSelector(`.vt tbody tr[data-hash="${prep.hash}"]`, { timeout: 20000 });
  const want = await waitFor('the API count', async () => {
    const d = await apiOr(`/packets/${prep.hash}`);
    return d && d.observation_count >= prep.observations ? d.observation_count : null;
  });
  await page.waitForTimeout(2500); // let every WebSocket message of the burst arrive
  const cell = await page.$eval(`.vt tbody tr[data-hash="${prep.hash}"] td[data-col="rpt"]`, (e) => e.textContent.trim());
  assert(cell === `👁 ${want}`, `row says "${cell}", the server holds ${want} observations`);
  await done(page);
});

// ---- D5: adverts column counts adverts, not observations ----
await check('D5 nodes list Adverts column grows by one per advert', async () => {
  const page = await open('/nodes');
  await wsOpen(page);
  const prep = await publish('cp-prepare');
  const row = `.vt tbody tr[data-key="${prep.from}"]`;
  await page.fill('input[aria-label="Search nodes"]', prep.from.slice(0, 12));
  await page.waitForSelector(row);
  await publish('cp-all');
  const want = await waitFor('the advert in the API', async () => {
    const d = await apiOr(`/packets/${prep.hash}`);
    if (!d || d.observation_count < prep.observations) return null;
    return (await api(`/nodes/${prep.from}`)).node.advert_count;
  });
  await page.waitForTimeout(2500);
  const shown = await page.$eval(`${row} td:nth-child(5)`, (e) => e.textContent.trim());
  assert(shown === want.toLocaleString('en-US'), `row says ${shown}, API advert_count ${want}`);
  await done(page);
});

// ---- D6: a short node link loads the node's health ----
await check('D6 #/nodes/<8 hex> shows packets and Heard By', async () => {
  const n = nodes.find((x) => x.public_key !== XSS_KEY && (x.advert_count || 0) > 0);
  const page = await open(`/nodes/${n.public_key.slice(0, 8)}`);
  await page.waitForSelector('.node-page h3');
  const heard = await page.$eval('.node-page', (e) => (e.textContent.match(/Heard By \((\d+)\)/) || [])[1]);
  assert(+heard > 0, `Heard By (${heard})`);
  const total = await page.$eval('.node-page .kv', (dl) => [...dl.querySelectorAll('dt')].find((d) => d.textContent === 'Total Packets').nextElementSibling.textContent);
  assert(/\d/.test(total), `Total Packets "${total}"`);
  await done(page);
});

// ---- D7: BYOP prints no "null" ----
await check('D7 BYOP decoder output has no literal "null"', async () => {
  const page = await open('/packets');
  const raw = (await api(`/packets/${grouped[0].hash}`)).packet.raw_hex;
  await page.click('text=📦 BYOP');
  await page.fill('.byop-input', raw);
  await page.click('.byop-box button:has-text("Decode")');
  await page.waitForSelector('.byop-out .bk-table');
  const text = await page.$eval('.byop-out', (e) => e.textContent);
  assert(!/\bnull\b/.test(text.replace(/"[^"]*"/g, '')), `decoder output contains "null": ${text.slice(0, 200)}`);
  await done(page);
});

// ---- D8: relative times keep ticking ----
await check('D8 relative times tick on a paused table and in the detail pane', async () => {
  const page = await open('/packets?timeWindow=0');
  await page.click('button[aria-label="Pause live updates"]');
  const cell = '.vt tbody tr[data-hash] td[data-col="time"]';
  const t0 = await page.$eval(cell, (e) => e.textContent);
  await page.click('.vt tbody tr[data-hash]');
  await page.waitForSelector('.detail-pane .kv time');
  const p0 = await page.$eval('.detail-pane .kv time', (e) => e.textContent);
  await page.waitForTimeout(3200);
  const t1 = await page.$eval(cell, (e) => e.textContent);
  const p1 = await page.$eval('.detail-pane .kv time', (e) => e.textContent);
  // Times older than a minute move by minutes; make sure a seconds-old one is shown.
  assert(t0 !== t1 || !/s ago/.test(t0), `row still says "${t1}" after 3 s`);
  assert(p0 !== p1 || !/s ago/.test(p0), `pane still says "${p1}" after 3 s`);
  const fresh = await page.evaluate(() => [...document.querySelectorAll('time[data-ago]')].every((t) => t.textContent.trim().length > 0));
  assert(fresh, 'an empty relative time');
  await done(page);
});

// ---- D10: no region bar where it does nothing ----
await check('D10 the region bar is hidden on Home and node/observer detail, shown on lists', async () => {
  const page = await open('/home');
  assert(await page.isHidden('#region-bar'), 'region bar shown on Home');
  await page.goto(`${BASE}/#/packets`);
  await settle(page);
  const regions = await api('/config/regions');
  if (Object.keys(regions).length) assert(await page.isVisible('#region-bar'), 'region bar missing on Packets');
  await done(page);
});

// ---- D11: hash prefix search ----
await check('D11 the hash filter and Ctrl+K find a packet by the 8 characters the table shows', async () => {
  const hash = grouped[3].hash;
  const page = await open('/packets?timeWindow=0');
  await page.fill('input[aria-label="Filter by packet hash"]', hash.slice(0, 8));
  await waitFor('the filtered table', async () => (await page.$$(`.vt tbody tr[data-hash="${hash}"]`)).length === 1 && (await page.$$('.vt tbody tr[data-hash]')).length >= 1);
  await page.keyboard.press('Control+k');
  await page.fill('.search-box input', hash.slice(0, 8));
  await page.waitForSelector(`.search-opt[data-href="#/packets/${hash}"]`, { timeout: 10000 });
  await done(page);
});

// ---- D12: typed node text is resolved to a node, not sent as a key ----
await check('D12 typing a node name into the packets node filter filters by that node', async () => {
  const names = new Map();
  for (const n of nodes) if (n.name) names.set(n.name, (names.get(n.name) || 0) + 1);
  const n = nodes.find((x) => x.name && names.get(x.name) === 1 && x.public_key !== XSS_KEY && (x.advert_count || 0) > 0 && /^[\w ]+$/.test(x.name));
  assert(n, 'no uniquely named node');
  const page = await open('/packets?timeWindow=0');
  await page.fill('input[aria-label="Filter by node"]', n.name);
  await page.waitForFunction((pk) => location.hash.includes(`node=${pk}`), n.public_key, { timeout: 10000 });
  await page.waitForSelector('#packet-count[data-count]');
  const want = (await api(`/packets?groupByHash=true&limit=50000&node=${n.public_key}`)).total;
  await waitFor(`${want} rows`, async () => +(await page.getAttribute('#packet-count', 'data-count')) === want && want > 0);
  await done(page);
});

// ---- D13: with the detail pane open the last columns stay in view ----
await check('D13 Rpt and Details stay visible beside the detail pane at 1440 px', async () => {
  const page = await open('/packets?timeWindow=0');
  await page.click('.vt tbody tr[data-hash]');
  await page.waitForSelector('.detail-pane .kv');
  await page.waitForTimeout(300);
  const m = await page.evaluate(() => {
    const pane = document.querySelector('.detail-pane').getBoundingClientRect();
    const th = [...document.querySelectorAll('.vt thead th')];
    const right = (label) => th.find((t) => t.textContent.trim() === label).getBoundingClientRect().right;
    return { pane: pane.left, rpt: right('Rpt'), details: right('Details') };
  });
  assert(m.rpt <= m.pane + 1 && m.details <= m.pane + 1, `Rpt ends at ${m.rpt}px, Details at ${m.details}px, the pane starts at ${m.pane}px`);
  await done(page);
});

// ---- D18: the map's status filter applies to observers ----
await check('D18 the map "Stale" filter hides observers that are online', async () => {
  const obs = (await api('/observers')).observers.filter((o) => typeof o.lat === 'number' && !(o.lat === 0 && o.lon === 0));
  const staleObs = obs.filter((o) => Date.now() - Math.max(Date.parse(o.last_seen || 0) || 0, Date.parse(o.last_packet_at || 0) || 0) >= 10 * 60e3);
  assert(obs.length > staleObs.length, `fixture: ${obs.length} observers with a position, ${staleObs.length} stale`);
  const page = await open('/map');
  // Only the observer layer: untick every node role.
  for (const cb of await page.$$('.map-controls fieldset:first-of-type input[type=checkbox]')) {
    const label = await cb.evaluate((e) => e.parentElement.textContent);
    if (/Observer/.test(label) !== (await cb.isChecked())) await cb.click();
  }
  await page.click('.map-controls input[name="map-status"][value="stale"]');
  await page.waitForTimeout(300);
  const shown = +(await page.getAttribute('#map-count', 'data-count'));
  assert(shown === staleObs.length, `Stale shows ${shown} markers, ${staleObs.length} observers are stale`);
  await done(page);
});

// ---- D20: Back from a node page returns to the filtered list ----
await check('D20 Back from a node page opened from a filtered nodes list returns to that list', async () => {
  const n = nodes.find((x) => x.public_key !== XSS_KEY && x.name && /^[\w ]+$/.test(x.name));
  const page = await open(`/nodes?search=${encodeURIComponent(n.name)}`);
  await page.click(`.vt tbody tr[data-key="${n.public_key}"]`);
  await page.waitForSelector('.node-panel a:has-text("Details")');
  await page.click('.node-panel a:has-text("Details")');
  await page.waitForSelector('.node-page h1');
  await page.goBack();
  await page.waitForSelector('.nodes-page .vt tbody tr[data-key]');
  const url = page.url();
  assert(url.includes(`#/nodes/${n.public_key}?`) && url.includes('search='), `Back landed on ${url}`);
  assert(await page.isVisible('.nodes-page .node-panel'), 'the list with the node\'s panel is not shown again');
  await done(page);
});

// ---- D16 + P0: observers list follows live packets; sortable columns ----
await check('D16 the observers list updates from live packets and sorts by column', async () => {
  const page = await open('/observers');
  await wsOpen(page);
  const col = (label) => page.$$eval('#observers-table thead th', (ths, l) => ths.findIndex((t) => t.textContent.trim() === l), label);
  const lp = await col('Last Packet');
  const lastPkt = () => page.$$eval('#observers-table tbody tr', (trs, i) => Object.fromEntries(trs.map((tr) => [tr.dataset.id, +(tr.children[i].querySelector('time') || {}).dataset?.ago || 0])), lp);
  const before = await lastPkt();
  const hash = (await publish()).hash;
  const d = await waitFor('the packet in the API', () => apiOr(`/packets/${hash}`));
  const heardBy = new Set((d.observations || []).map((o) => o.observer_id));
  await waitFor('a row to show the new packet (no reload: the poll is 30 s)', async () => {
    const now = await lastPkt();
    return [...heardBy].some((id) => now[id] > (before[id] || 0));
  }, 8000);
  await page.click('#observers-table th[data-sort-key="packets"]');
  const tp = await col('Total Packets');
  const counts = await page.$$eval('#observers-table tbody tr', (trs, i) => trs.map((tr) => +tr.children[i].textContent.replace(/\D/g, '')), tp);
  for (let i = 1; i < counts.length; i++) assert(counts[i] <= counts[i - 1], `Total Packets not descending: ${counts}`);
  assert((await page.getAttribute('#observers-table th[data-sort-key="packets"]', 'aria-sort')) === 'descending', 'aria-sort not set');
  assert(page.url().includes('sort=packets'), `sort not in the URL: ${page.url()}`);
  await done(page);
});

// ---- D22 + P0 live: phone layout, clock, "you missed N packets" ----
await check('D22 on a phone the live stats pill, zoom buttons, feed and playback bar do not overlap', async () => {
  for (const theme of ['dark', 'light']) {
    const page = await open('/live', { viewport: SIZES.phone, theme });
    await page.waitForSelector('.leaflet-control-zoom');
    const r = await page.evaluate(() => Object.fromEntries(['.leaflet-control-zoom', '.live-head', '.live-feed', '.vcr', '.bottom-nav'].map((s) => {
      const b = document.querySelector(s).getBoundingClientRect();
      return [s, { l: b.left, t: b.top, r: b.right, b: b.bottom }];
    })));
    const hit = (a, b) => a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
    assert(!hit(r['.leaflet-control-zoom'], r['.live-head']), `stats pill covers the zoom buttons (${theme})`);
    assert(!hit(r['.live-feed'], r['.vcr']), `feed covers the playback bar (${theme})`);
    assert(r['.vcr'].b <= r['.bottom-nav'].t + 1, `playback bar under the bottom nav (${theme})`);
    assert(r['.vcr'].b - r['.vcr'].t <= 60, `playback bar is ${r['.vcr'].b - r['.vcr'].t}px tall, not compact (${theme})`);
    await done(page);
  }
});

await check('P0 live shows a clock and, after a pause, offers to replay the missed packets', async () => {
  const page = await open('/live');
  await wsOpen(page);
  const c0 = await page.textContent('.vcr-clock');
  assert(/^\d\d:\d\d:\d\d$/.test(c0), `clock shows "${c0}"`);
  await page.click('.vcr button[aria-label="Pause"]');
  await publish();
  await waitFor('a missed packet', async () => /PAUSED \+\d/.test(await page.textContent('.vcr .mode')));
  await page.click('.vcr button[aria-label="Resume"]');
  await page.waitForSelector('[role="alertdialog"].live-missed');
  const text = await page.textContent('.live-missed p');
  assert(/You missed \d+ packets?\./.test(text), `prompt says "${text}"`);
  await page.click('.live-missed button:has-text("Skip to live")');
  await page.waitForFunction(() => document.querySelector('.vcr .mode').textContent === 'LIVE');
  await done(page);
});

// ---- D14: live counters count packets ----
await check('D14 the live "pkts" counter counts transmissions, not observations', async () => {
  const page = await open('/live');
  await wsOpen(page);
  const prep = await publish('cp-prepare');
  const n0 = +(await page.textContent('#live-pkts'));
  const sent = await publish('cp-all');
  await waitFor('the burst', async () => ((await apiOr(`/packets/${prep.hash}`)) || {}).observation_count >= prep.observations);
  await page.waitForTimeout(2500);
  const n1 = +(await page.textContent('#live-pkts'));
  assert(n1 - n0 === sent.transmissions, `pkts went ${n0} → ${n1} for ${sent.transmissions} transmissions (${sent.published} messages)`);
  await done(page);
});

// ---- D15: observer's recent packets newest first ----
await check('D15 observer detail lists recent packets newest first', async () => {
  const obs = (await api('/observers')).observers;
  const o = obs.reduce((a, b) => ((b.packet_count || 0) > (a.packet_count || 0) ? b : a));
  const page = await open(`/observers/${encodeURIComponent(o.id)}`);
  await page.waitForSelector('#observer-packets tbody tr');
  const ts = await page.$$eval('#observer-packets tbody tr td:first-child time', (els) => els.map((e) => +e.dataset.ago));
  assert(ts.length > 3, `${ts.length} rows`);
  for (let i = 1; i < ts.length; i++) assert(ts[i] <= ts[i - 1], `row ${i} (${new Date(ts[i]).toISOString()}) is newer than row ${i - 1} (${new Date(ts[i - 1]).toISOString()})`);
  await done(page);
});

// ---- D19: numbers that add up ----
await check('D19 Home labels observation counts; Heard By never exceeds the node total', async () => {
  const page = await open('/home');
  const labels = await page.$$eval('.stat .k', (els) => els.map((e) => e.textContent));
  assert(labels.some((l) => /observations.*last hour/i.test(l)) && !labels.includes('Last hour'), `tiles: ${labels.join(', ')}`);
  const busy = nodes.filter((n) => n.public_key !== XSS_KEY).slice(0, 40);
  for (const n of busy) {
    const hl = await api(`/nodes/${n.public_key}/health`);
    for (const o of hl.observers) assert(o.packetCount <= hl.stats.totalTransmissions, `${n.public_key}: observer ${o.observer_id} ${o.packetCount} > total ${hl.stats.totalTransmissions}`);
  }
  await done(page);
});

// ---- D21: tapping outside the phone More sheet only closes it ----
await check('D21 tapping outside the More sheet closes it without activating what is underneath', async () => {
  const page = await open('/home', { viewport: SIZES.phone });
  await page.click('#more-btn');
  await page.waitForSelector('#more-sheet:not([hidden])');
  // A home card sits under the tap point.
  const card = await page.$('a.card[href="#/packets"]');
  const box = await card.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(400);
  assert(await page.isHidden('#more-sheet'), 'sheet still open');
  assert(page.url().endsWith('#/home'), `the tap navigated to ${page.url()}`);
  await done(page);
});

// ---- D23: legacy links, error wording, standalone packet page ----
await check('D23 legacy links redirect, errors name no API path, the packet page does not link to itself', async () => {
  const page = await open('/home');
  await page.goto(`${BASE}/#/traces/${grouped[0].hash}`);
  await page.waitForFunction(() => location.hash.startsWith('#/tools/trace/'));
  await page.goto(`${BASE}/#/roles`);
  await page.waitForFunction(() => location.hash === '#/analytics?tab=roles');
  await page.goto(`${BASE}/#/packet/${grouped[0].hash}`);
  await settle(page);
  assert(!(await page.$(`a[href^="#/packet/"]`)), 'standalone packet page links to itself');
  page.errors = [];
  await page.goto(`${BASE}/#/packet/ffffffffffffffff`);
  await page.waitForSelector('.error-box');
  const msg = await page.textContent('.error-box');
  assert(!/\/(api|packets)\//.test(msg), `error shows a raw path: ${msg}`);
  // The 404 is the point of this step (the browser logs it as a failed resource).
  page.errors = page.errors.filter((e) => !e.includes('/api/packets/ffffffffffffffff') && !/Failed to load resource.*404/.test(e));
  await done(page);
});

// ---- D17: WCAG AA contrast of badges, pills, avatars and table text; forced-colours styles ----
/** lowContrast returns the elements matching sel whose text contrast is below 4.5:1. */
function lowContrast(sel) {
  const parse = (c) => {
    let m = /rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)(?:,?\s*\/?\s*([\d.]+))?/.exec(c);
    if (m) return [+m[1] / 255, +m[2] / 255, +m[3] / 255, m[4] === undefined ? 1 : +m[4]];
    m = /color\(srgb\s+([\d.e-]+)\s+([\d.e-]+)\s+([\d.e-]+)(?:\s*\/\s*([\d.]+))?/.exec(c);
    if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
    return null;
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const bgOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let out = [1, 1, 1, 1];
    if (layers.length && layers[layers.length - 1][3] >= 1) out = layers.pop();
    for (let i = layers.length - 1; i >= 0; i--) out = over(layers[i], out);
    return out;
  };
  const lum = (c) => { const f = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4); return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const bad = [];
  let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    if (!el.getClientRects().length || !el.textContent.trim()) continue;
    const fg = parse(getComputedStyle(el).color);
    const bg = bgOf(el);
    if (!fg) continue;
    n++;
    const a = lum(over(fg, bg)), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(`${el.className || el.tagName} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}:1`);
  }
  return { n, bad: [...new Set(bad)].slice(0, 8) };
}
const CONTRAST_SEL = '.badge, .role-badge, .pill, .avatar, .hop, .unread, .tab, .btn.on, .btn[aria-pressed="true"], .tbl td, .tbl th, .status, .muted';
for (const theme of ['dark', 'light']) {
  await check(`D17 text contrast ≥ 4.5:1 on badges, pills, avatars and tables (${theme})`, async () => {
    const page = await newPage({ viewport: SIZES.desktop, theme });
    const ch = (await api('/channels')).channels[0];
    let total = 0;
    for (const r of ['/packets?timeWindow=0', '/nodes', '/observers', ch ? `/channels/${encodeURIComponent(ch.hash)}` : '/channels', `/packets/${grouped[0].hash}`]) {
      await page.goto(`${BASE}/#${r}`);
      await settle(page);
      await page.waitForTimeout(300);
      const { n, bad } = await page.evaluate(lowContrast, CONTRAST_SEL);
      total += n;
      assert(!bad.length, `${r}: ${bad.join('; ')}`);
    }
    assert(total > 100, `only ${total} elements checked`);
    await done(page);
  });
}
await check('D17 forced colours: badges and pills keep a visible border', async () => {
  const page = await newPage({ viewport: SIZES.desktop, theme: 'dark' });
  await page.emulateMedia({ forcedColors: 'active' });
  await page.goto(`${BASE}/#/packets?timeWindow=0`);
  await settle(page);
  const widths = await page.$$eval('.vt .badge, #region-bar .pill', (els) => els.filter((e) => e.getClientRects().length).map((e) => parseFloat(getComputedStyle(e).borderTopWidth)));
  assert(widths.length > 0 && widths.every((w) => w >= 1), `border widths ${[...new Set(widths)]}`);
  await done(page);
});

// ---- P0: packet detail rows and actions, map route view, replay on the live map ----
await check('P0 packet detail has Scope/Transport, Hash Size, Propagation and View route / Trace / Replay', async () => {
  const tr = (await api('/packets?groupByHash=true&limit=2000&route=0,3')).packets[0];
  const g = tr || grouped.find((p) => p.count > 1) || grouped[0];
  const page = await open(`/packets/${g.hash}`);
  await page.waitForSelector('.detail-pane .kv');
  const kv = await page.$$eval('.detail-pane .kv dt', (dts) => Object.fromEntries(dts.map((d) => [d.textContent, d.nextElementSibling.textContent])));
  assert(/\d+ bytes? per hop/.test(kv['Hash Size'] || ''), `Hash Size "${kv['Hash Size']}"`);
  assert(/observer/.test(kv.Propagation || ''), `Propagation "${kv.Propagation}"`);
  if (tr) assert(kv.Scope && /Code1 [0-9A-F]{4}/.test(kv['Transport Codes'] || ''), `transport packet: Scope "${kv.Scope}", codes "${kv['Transport Codes']}"`);
  assert(await page.getAttribute('.detail-pane a:has-text("Trace")', 'href') === `#/tools/trace/${g.hash}`, 'Trace link');
  const href = await page.getAttribute('.detail-pane a:has-text("View route")', 'href');
  const obsId = new URLSearchParams(href.split('?')[1]).get('obs');
  await page.click('.detail-pane a:has-text("View route")');
  await page.waitForSelector('.route-panel[data-stops]');
  const d = await api(`/packets/${g.hash}`);
  const o = (d.observations || []).find((x) => String(x.id) === obsId);
  const stops = +(await page.getAttribute('.route-panel', 'data-stops'));
  const want = JSON.parse((o && o.path_json) || '[]').length + 1 + (d.packet.payload_type === 4 ? 1 : 0);
  assert(stops === want, `route lists ${stops} stops, want ${want}`);
  await page.goBack();
  await page.waitForSelector('.detail-pane button:has-text("Replay")');
  await page.click('.detail-pane button:has-text("Replay")');
  await page.waitForFunction((hh) => document.querySelector('#live-map') && document.querySelector('#live-map').dataset.replayed === hh, g.hash, { timeout: 15000 });
  await waitFor('the replayed packet in the feed', async () => !!(await page.$(`#live-feed-list .feed-item[data-hash="${g.hash}"]`)));
  await done(page);
});

// ---- P0: branding and home content from /api/config/theme ----
await check('P0 Home and the shell take branding and content from /api/config/theme', async () => {
  const theme = await api('/config/theme');
  const page = await open('/home');
  const h1 = await page.textContent('#app h1');
  assert(h1 === (theme.home.heroTitle || theme.branding.siteName), `hero "${h1}"`);
  assert((await page.title()) === theme.branding.siteName, `title "${await page.title()}"`);
  for (const st of theme.home.steps || []) assert(await page.$(`.home-steps h3:has-text("${st.title}")`), `step "${st.title}" missing`);
  const links = await page.$$eval('.home-footer a', (as) => as.map((a) => a.getAttribute('href')));
  for (const l of theme.home.footerLinks || []) assert(links.includes(l.url), `footer link ${l.url} missing (${links})`);
  assert(!(await page.$('.home-steps script, .home-steps img')), 'markdown produced elements beyond text');
  await done(page);
});

// ---- P0 mobile: 44 px targets, 1000-row cap ----
for (const theme of ['dark', 'light']) {
  await check(`P0 phone: touch targets ≥ 44 px and at most 1000 packets requested (${theme})`, async () => {
    const page = await newPage({ viewport: SIZES.phone, theme });
    const limits = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/packets' && u.searchParams.get('limit')) limits.push(+u.searchParams.get('limit')); });
    await page.goto(`${BASE}/#/packets`);
    await settle(page);
    await page.click('.filters-toggle');
    await page.click('details[data-filter="types"] > summary');
    // Checkboxes sit in full-row labels (.ms-item): the label is the touch target.
    const small = await page.$$eval('#packet-filters :is(button, select, input:not([type=checkbox]), summary, .ms-item), .page-head button, .bottom-nav :is(a, button)', (els) => els.filter((e) => e.getClientRects().length).map((e) => [e.getAttribute('aria-label') || e.textContent.trim().slice(0, 14), Math.round(e.getBoundingClientRect().height)]).filter(([, hgt]) => hgt < 44));
    assert(!small.length, `targets under 44 px: ${JSON.stringify(small)}`);
    assert(limits.length && Math.max(...limits) <= 1000, `packet list limits requested: ${limits}`);
    await done(page);
  });
}

// ---- P0 packets: channel / region filters in the URL, Columns menu, observation order, resizable pane ----
await check('P0 packets: channel and region filters (URL), Columns menu, observation order, resizable pane', async () => {
  const ch = (await api('/channels')).channels.find((c) => c.messageCount > 0);
  const page = await open(`/packets?timeWindow=0&channel=${encodeURIComponent(ch.hash)}`);
  await page.waitForSelector('#packet-count[data-count]');
  const want = (await api(`/packets?groupByHash=true&limit=50000&channel=${encodeURIComponent(ch.hash)}`)).total;
  await waitFor(`${want} channel rows`, async () => +(await page.getAttribute('#packet-count', 'data-count')) === want);
  assert(await page.$eval('select[aria-label="Channel"]', (e) => e.value) === ch.hash, 'channel select does not show the URL channel');
  const regions = Object.keys(await api('/config/regions'));
  if (regions.length) {
    const r = regions[0];
    await page.goto(`${BASE}/#/packets?timeWindow=0&region=${r}`);
    await settle(page);
    await page.waitForSelector('#packet-count[data-count]');
    const wantR = (await api(`/packets?groupByHash=true&limit=50000&region=${r}`)).total;
    await waitFor(`${wantR} rows in ${r}`, async () => +(await page.getAttribute('#packet-count', 'data-count')) === wantR);
    assert(await page.getAttribute(`#region-bar .pill[data-code="${r}"]`, 'aria-checked') === 'true', 'region pill not selected from the URL');
    await page.click('#region-bar .pill[data-code=""]'); // back to all regions for the other checks
  }
  await page.goto(`${BASE}/#/packets?timeWindow=0`);
  await settle(page);
  assert(await page.isHidden('.vt thead th[data-col="region"]'), 'Region column shown by default');
  await page.click('details[data-filter="columns"] > summary');
  await page.check('details[data-filter="columns"] input[value="region"]');
  assert(await page.isVisible('.vt thead th[data-col="region"]'), 'Region column not shown after ticking it');
  await page.reload();
  await settle(page);
  assert(await page.isVisible('.vt thead th[data-col="region"]'), 'column choice not kept over a reload');
  // Observation order inside an expanded group: Path ↓.
  await page.selectOption('select[aria-label="Observation order"]', 'path-desc');
  const btn = await page.$('.vt tbody tr[data-hash] button.expand');
  await btn.click();
  await page.waitForSelector('.vt tbody tr.child');
  const hopsN = await page.$$eval('.vt tbody tr.child td[data-col="path"]', (tds) => tds.map((td) => td.querySelectorAll('.hop').length));
  for (let i = 1; i < hopsN.length; i++) assert(hopsN[i] <= hopsN[i - 1], `children not by path length desc: ${hopsN}`);
  // Resizable detail pane (keyboard on the separator).
  await page.click('.vt tbody tr[data-hash]:not(.child)');
  await page.waitForSelector('.detail-pane .kv');
  const w0 = await page.$eval('.detail-pane', (e) => e.getBoundingClientRect().width);
  await page.focus('.pane-resizer');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const w1 = await page.$eval('.detail-pane', (e) => e.getBoundingClientRect().width);
  assert(Math.round(w1 - w0) === 48, `pane ${w0}px → ${w1}px after two ArrowLeft`);
  await done(page);
});

// ---- P0 shell: favourites ----
await check('P0 favourites: star a node, find it in the ⭐ menu, unstar it', async () => {
  const n = nodes.find((x) => x.public_key !== XSS_KEY && x.name);
  const page = await open(`/nodes/${n.public_key}`);
  await page.click('.node-page .star-btn');
  assert(await page.getAttribute('.node-page .star-btn', 'aria-pressed') === 'true', 'star not pressed');
  await page.click('#fav-btn');
  await page.waitForSelector(`#fav-menu a[href="#/nodes/${n.public_key}"]`);
  const text = await page.textContent('#fav-menu');
  assert(text.includes(n.name), `menu: ${text}`);
  await page.click('#fav-menu .fav-unstar');
  await page.waitForSelector('#fav-menu .fav-empty');
  assert(await page.getAttribute('.node-page .star-btn', 'aria-pressed') === 'false', 'page star still pressed after unstar');
  await done(page);
});

// ---- P0 shell: 🎨 customizer entry point (its timestamp setting drives every relative time) ----
await check('P0 🎨 customizer switches timestamps to absolute and back', async () => {
  const page = await open('/packets?timeWindow=0');
  await page.click('#customize-btn');
  await page.waitForSelector('#cz-title');
  const tab = await page.$('[role="tab"]:has-text("Display")');
  if (tab) await tab.click();
  await page.check('input[name="cz-mode"][value="absolute"]');
  await page.waitForTimeout(1200);
  const cell = '.vt tbody tr[data-hash] td[data-col="time"] time';
  const t = await page.$eval(cell, (e) => e.textContent);
  assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(t), `time cell "${t}" is not absolute`);
  await page.check('input[name="cz-mode"][value="ago"]');
  await page.waitForTimeout(1200);
  const t2 = await page.$eval(cell, (e) => e.textContent);
  assert(/ago$/.test(t2), `back to relative the time cell says "${t2}"`);
  await done(page);
});

// ---- P0 sweep: every new element present at 1440×900 and 390×844 in both themes, no errors ----
for (const size of ['desktop', 'phone']) {
  for (const theme of ['dark', 'light']) {
    await check(`P0 elements present at ${size} (${theme})`, async () => {
      const page = await newPage({ viewport: SIZES[size], theme });
      const g = grouped.find((p) => p.count > 1) || grouped[0];
      const want = {
        '/home': ['.home-steps', '.home-footer', '#fav-btn', '#customize-btn', size === 'phone' ? '#more-btn' : '.nav-links'],
        [`/packets/${g.hash}`]: ['select[aria-label="Channel"]', 'select[aria-label="Observation order"]', 'details[data-filter="columns"]',
          '.detail-pane a:has-text("View route")', '.detail-pane a:has-text("Trace")', '.detail-pane button:has-text("Replay")'],
        '/live': ['.vcr-clock', '.vcr button[aria-label="Pause"]'],
        '/observers': ['#observers-table th[data-sort-key="packets"]'],
        [`/map?packet=${g.hash}`]: ['.route-panel[data-stops]'],
      };
      for (const [r, sels] of Object.entries(want)) {
        await page.goto(`${BASE}/#${r}`);
        await settle(page);
        if (r.startsWith('/packets')) await page.waitForSelector('.detail-pane .kv');
        if (size === 'phone' && r.startsWith('/packets')) await page.click('.filters-toggle').catch(() => {});
        for (const sel of sels) {
          const el = await page.waitForSelector(sel, { state: 'attached', timeout: 8000 }).catch(() => null);
          assert(el, `${r}: ${sel} missing`);
        }
      }
      await done(page);
    });
  }
}

await finish();
