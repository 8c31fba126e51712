// Path inspector (#/tools/path-inspector?prefixes=2c,a1, UI.md §11): a list of 1–3 byte hop
// prefixes → scored candidate chains of repeaters from POST /api/paths/inspect, with the
// per-hop alternatives under each candidate and "Show on Map" drawing the chosen chain on an
// inline Leaflet map (the map page has no route view for an arbitrary chain).
import { h, clear } from '../dom.js';
import { api, ApiError } from '../api.js';
import { setQuery } from '../router.js';
import { card, empty, failure } from './analytics/common.js';
import { loadNodes, nodeByKey } from '../hops.js';
import { fixed, hasGPS, roleKey } from '../format.js';
import { createMap, bindTip, roleIcon, roleColor } from '../mapbase.js';

let S = null;

/**
 * parsePrefixes validates the input as UI.md / API.md §5.9 want it: 1–64 items separated by
 * commas or spaces, each 2, 4 or 6 hex digits, all the same length. Returns {prefixes} or {error}.
 */
export function parsePrefixes(text) {
  const items = String(text || '').trim().split(/[\s,]+/).filter(Boolean);
  if (!items.length) return { error: 'Enter at least one hop prefix, e.g. 2C,A1,F4.' };
  if (items.length > 64) return { error: `Too many prefixes (${items.length}); at most 64.` };
  for (const [i, p] of items.entries()) {
    if (!/^[0-9a-fA-F]+$/.test(p)) return { error: `Prefix ${i + 1} “${p}” is not hexadecimal (0-9, A-F).` };
    if (p.length % 2) return { error: `Prefix ${i + 1} “${p}” has an odd number of digits: a prefix is whole bytes (2, 4 or 6 digits).` };
    if (p.length > 6) return { error: `Prefix ${i + 1} “${p}” is longer than 3 bytes (6 digits).` };
  }
  if (new Set(items.map((p) => p.length)).size > 1) return { error: 'All prefixes must have the same length (a path uses one hash size).' };
  return { prefixes: items.map((p) => p.toLowerCase()) };
}

function nodeOf(pk, name) {
  const n = nodeByKey(pk);
  return { pk, name: (n && n.name) || name || String(pk).slice(0, 8), node: n };
}

/** showOnMap draws the candidate's chain (nodes with GPS) on the inline map. */
function showOnMap(c, idx) {
  const L = window.L;
  const pts = c.path.map((pk, i) => nodeOf(pk, c.names[i])).filter((x) => x.node && hasGPS(x.node));
  S.mapNote.textContent = pts.length < c.path.length
    ? `Candidate #${idx + 1}: ${pts.length} of ${c.path.length} hops have a known position; hops without GPS are skipped.`
    : `Candidate #${idx + 1}: ${c.path.length} hops.`;
  S.mapBox.hidden = false;
  if (!S.map) S.map = createMap(S.mapEl, { zoom: 9 });
  if (S.layer) S.layer.remove();
  S.layer = L.layerGroup().addTo(S.map.map);
  S.mapBox.dataset.candidate = String(idx + 1);
  S.mapBox.dataset.points = String(pts.length);
  const ll = pts.map((x) => [x.node.lat, x.node.lon]);
  if (ll.length > 1) L.polyline(ll, { color: roleColor('repeater'), weight: 3, opacity: 0.8, dashArray: c.speculative ? '6 6' : null }).addTo(S.layer);
  pts.forEach((x, i) => {
    const m = L.marker([x.node.lat, x.node.lon], { icon: roleIcon(roleKey(x.node.role)) }).addTo(S.layer);
    bindTip(m, `${i + 1}. ${x.name}`);
  });
  S.map.map.invalidateSize();
  if (ll.length) S.map.map.fitBounds(L.latLngBounds(ll).pad(0.3), { maxZoom: 13 });
  S.mapBox.scrollIntoView({ block: 'nearest' });
}

function pathCell(c) {
  return h('span', { class: 'pi-path' }, c.path.map((pk, i) => {
    const x = nodeOf(pk, c.names[i]);
    return [i ? h('span', { class: 'hop-sep', 'aria-hidden': 'true' }, '→') : null,
      h('a', { class: 'hop', href: `#/nodes/${encodeURIComponent(pk)}`, title: pk }, x.name)];
  }));
}

function alternatives(c) {
  const per = (c.evidence && c.evidence.perHop) || [];
  const withAlt = per.filter((e) => e.alternatives && e.alternatives.length);
  if (!withAlt.length) return h('p', { class: 'muted pi-alt' }, 'No alternatives: every hop had a single plausible candidate.');
  return h('details', { class: 'pi-alt' }, h('summary', null, `Alternatives for ${withAlt.length} hop(s)`),
    h('ul', null, withAlt.map((e) => h('li', null,
      h('span', { class: 'mono' }, e.prefix.toUpperCase()), ` (${e.candidatesConsidered} candidates): `,
      e.alternatives.map((a, i) => [i ? ', ' : '', h('a', { href: `#/nodes/${encodeURIComponent(a.publicKey)}` }, a.name || a.publicKey.slice(0, 8)), ` ${fixed(a.score, 3)}`])))));
}

function results(r) {
  const list = r.candidates || [];
  if (!list.length) return empty('No candidate path: no known repeater or room matches these prefixes as a connected chain.');
  const tbody = h('tbody');
  list.forEach((c, i) => {
    tbody.append(
      h('tr', { class: 'pi-row' + (c.speculative ? ' pi-spec' : '') },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', { class: 'num' }, fixed(c.score, 3), c.speculative ? h('span', { class: 'muted', title: 'score below 0.7' }, ' ⚠ speculative') : null),
        h('td', null, pathCell(c)),
        h('td', null, h('button', { type: 'button', class: 'btn pi-show', onclick: () => showOnMap(c, i) }, 'Show on Map'))),
      h('tr', { class: 'pi-alt-row' }, h('td'), h('td', { colspan: '3' }, alternatives(c))));
  });
  return h('div', null,
    h('p', { class: 'muted' }, `${list.length} candidate(s) for ${r.input ? r.input.hops : '?'} hop(s); beam width ${r.stats ? r.stats.beamWidth : '?'}, ${r.stats ? fixed(r.stats.elapsedMs, 1) : '?'} ms.`,
      r.stale ? ' The neighbour graph is being rebuilt: scores may change shortly.' : ''),
    h('div', { class: 'scroll-x' }, h('table', { class: 'tbl', id: 'pi-table' },
      h('caption', { class: 'sr-only' }, 'Candidate paths, best first'),
      h('thead', null, h('tr', null, ...['#', 'Score', 'Path', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)));
}

async function inspect() {
  const v = parsePrefixes(S.input.value);
  S.input.setAttribute('aria-invalid', v.error ? 'true' : 'false');
  if (v.error) { S.msg.textContent = v.error; S.input.focus(); return; }
  S.msg.textContent = '';
  setQuery({ prefixes: v.prefixes.join(',') });
  clear(S.out).appendChild(h('p', { class: 'loading' }, 'Inspecting…'));
  let r = null;
  try {
    await loadNodes().catch(() => null);
    for (let i = 0; ; i++) {
      try { r = await api('/paths/inspect', { method: 'POST', body: { prefixes: v.prefixes } }); break; } catch (e) {
        // 503 = the server is building its neighbour graph (cold start): wait and retry.
        if (!(e instanceof ApiError) || e.status !== 503 || i >= 5) throw e;
        if (S) S.msg.textContent = 'The server is building its neighbour graph; retrying…';
        await new Promise((res) => setTimeout(res, 2000));
      }
    }
  } catch (e) { if (S) clear(S.out).appendChild(failure(e, 'The path inspection', inspect)); return; }
  if (!S) return;
  S.msg.textContent = '';
  clear(S.out).appendChild(card('Candidates', 'Score = geometric mean of per-hop scores (neighbour evidence, distance, recency, prefix uniqueness); ⚠ below 0.7 is speculative.', results(r), { id: 'pi-results' }));
}

export async function mount(el, p) {
  S = { map: null, layer: null };
  S.input = h('input', { type: 'text', id: 'pi-input', placeholder: '2C,A1,F4 or 2C A1 F4', 'aria-label': 'Hop prefixes', 'aria-describedby': 'pi-msg', value: (p.query.get('prefixes') || '').toUpperCase(), spellcheck: 'false', autocomplete: 'off' });
  S.msg = h('p', { class: 'perf-msg', id: 'pi-msg', role: 'status' });
  S.out = h('div', { 'aria-live': 'polite', id: 'pi-out' }, empty('Enter the hop prefixes of a packet path (1–3 bytes each, as shown in a packet\'s path) to see which repeaters most likely relayed it.'));
  S.mapEl = h('div', { class: 'mini-map pi-map', id: 'pi-map' });
  S.mapNote = h('p', { class: 'muted', id: 'pi-map-note' });
  S.mapBox = h('section', { class: 'an-card', id: 'pi-map-box', hidden: true }, h('h3', null, 'Candidate on the map'), S.mapNote, S.mapEl);
  el.appendChild(h('section', { class: 'page tools-page' },
    h('p', null, h('a', { href: '#/tools' }, '← Tools')),
    h('h1', null, '🔍 Path Inspector'),
    h('form', { class: 'tools-form', onsubmit: (e) => { e.preventDefault(); inspect(); } }, S.input, h('button', { type: 'submit', class: 'btn', id: 'pi-go' }, 'Inspect')),
    S.msg, S.out, S.mapBox));
  if (S.input.value) await inspect();
}

export function unmount() {
  if (S && S.map) S.map.destroy();
  S = null;
}
