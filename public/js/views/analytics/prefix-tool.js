// Prefix Tool tab: hash prefix planning over the repeater list (/api/nodes, role repeater/room)
// and the hash-size statistics. Network overview per 1/2/3-byte size, "check a prefix" and
// "generate an available prefix" (never a reserved one: 00 and FF).
import { h, clear, replace } from '../../dom.js';
import { get, card, empty, sortTable, nodeLink, num } from './common.js';
import { roleKey } from '../../format.js';

const RESERVED = new Set(['00', 'FF']);

/** overview counts, per size, distinct prefixes and repeaters that share theirs with another. */
export function prefixStats(keys, size) {
  const m = new Map();
  for (const k of keys) { const p = k.slice(0, size * 2).toUpperCase(); m.set(p, (m.get(p) || 0) + 1); }
  let coll = 0;
  for (const n of m.values()) if (n > 1) coll += n;
  return { distinct: m.size, colliding: coll, space: 256 ** size };
}

export async function render(ctx) {
  let list; let hs;
  try {
    [list, hs] = await Promise.all([get('/nodes', { limit: 10000, region: ctx.q.region }), get('/analytics/hash-sizes', { region: ctx.q.region }).catch(() => null)]);
  } catch (e) { ctx.el.appendChild(ctx.failure(e, 'The node list')); return; }
  const reps = (list.nodes || []).filter((n) => ['repeater', 'room'].includes(roleKey(n.role)) && /^[0-9a-f]{6,}$/i.test(n.public_key || ''));
  const keys = reps.map((n) => n.public_key);
  const used = (hs && hs.distributionByRepeaters) || {};
  ctx.el.appendChild(card('🌐 Network Overview', `${num(reps.length)} repeaters and room servers${ctx.q.region ? ` heard in ${ctx.q.region}` : ''}. "Would collide" = repeaters whose prefix of that size is shared with another repeater if everyone used that size.`,
    sortTable([
      { key: 'size', label: 'Hash size', fmt: (r) => `${r.size}-byte` },
      { key: 'using', label: 'Using it now', num: true },
      { key: 'distinct', label: 'Distinct prefixes', num: true },
      { key: 'space', label: 'Prefix space', num: true },
      { key: 'colliding', label: 'Would collide', num: true },
    ], [1, 2, 3].map((size) => ({ size, using: used[String(size)] ?? null, ...prefixStats(keys, size) })), { caption: 'Prefix usage by hash size', sort: 'size', dir: 'asc', id: 'prefix-overview' }),
    { id: 'prefix-overview-card' }));

  const input = h('input', { type: 'text', id: 'prefix-input', placeholder: 'e.g. A1, A1B2, A1B2C3 or a full public key', 'aria-label': 'Prefix or public key', autocomplete: 'off', spellcheck: 'false' });
  const out = h('div', { 'aria-live': 'polite', id: 'prefix-result' });
  const check = () => {
    const v = input.value.trim().toUpperCase();
    if (!/^[0-9A-F]+$/.test(v) || (v.length < 64 && ![2, 4, 6].includes(v.length))) {
      clear(out).appendChild(h('p', { class: 'an-empty' }, 'Enter 2, 4 or 6 hex characters, or a full 64-character public key.'));
      return;
    }
    const sizes = v.length >= 64 ? [1, 2, 3] : [v.length / 2];
    clear(out);
    for (const size of sizes) {
      const p = v.slice(0, size * 2);
      const hits = reps.filter((n) => n.public_key.toUpperCase().startsWith(p) && n.public_key.toUpperCase() !== v);
      out.appendChild(h('h4', null, `${size}-byte prefix ${p}: ${hits.length ? `${hits.length} repeater${hits.length > 1 ? 's' : ''} already use it` : 'free'}`));
      if (RESERVED.has(p)) out.appendChild(h('p', { class: 'an-note' }, `${p} is reserved: do not use it.`));
      if (hits.length) out.appendChild(sortTable([{ key: 'name', label: 'Repeater', fmt: (r) => nodeLink(r.name, r.public_key) }, { key: 'public_key', label: 'Key', fmt: (r) => h('span', { class: 'mono' }, r.public_key.slice(0, 16)) }], hits, { caption: `Repeaters with prefix ${p}` }));
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') check(); });
  ctx.el.appendChild(card('🔎 Check a Prefix', 'Which repeaters already use a prefix (or the prefixes of a key you are about to flash).',
    [h('div', { class: 'an-toolbar' }, input, h('button', { type: 'button', class: 'btn', onclick: check }, 'Check')), out], { id: 'prefix-check' }));

  const gsize = h('select', { 'aria-label': 'Prefix size' }, ...[1, 2, 3].map((s) => h('option', { value: String(s) }, `${s}-byte`)));
  const gout = h('p', { 'aria-live': 'polite', id: 'prefix-generated' });
  const gen = () => {
    const size = +gsize.value;
    const taken = new Set(keys.map((k) => k.slice(0, size * 2).toUpperCase()));
    const space = 256 ** size;
    // Random probing: the space is large for 2/3 bytes and mostly free; 1 byte is scanned in full.
    const free = [];
    if (size === 1) { for (let i = 0; i < 256; i++) { const p = i.toString(16).padStart(2, '0').toUpperCase(); if (!taken.has(p) && !RESERVED.has(p)) free.push(p); } } else {
      for (let i = 0; i < 200 && free.length < 1; i++) { const p = Math.floor(Math.random() * space).toString(16).padStart(size * 2, '0').toUpperCase(); if (!taken.has(p) && !RESERVED.has(p.slice(0, 2))) free.push(p); }
    }
    if (!free.length) { gout.textContent = `No free ${size}-byte prefix: every value is in use.`; return; }
    const pick = free[Math.floor(Math.random() * free.length)];
    replace(gout, 'Suggested prefix: ', h('strong', { class: 'mono' }, pick), size === 1 ? ` (${free.length} of 254 usable 1-byte prefixes are free)` : ' (no repeater uses it)');
  };
  ctx.el.appendChild(card('🎲 Generate Available Prefix', 'Suggests a prefix no known repeater uses (reserved 00 and FF excluded). Generate keys until the public key starts with it.',
    [h('div', { class: 'an-toolbar' }, gsize, h('button', { type: 'button', class: 'btn', onclick: gen }, 'Generate')), gout], { id: 'prefix-generate' }));
  if (ctx.q.region) ctx.el.appendChild(h('p', { class: 'an-note' }, `Only repeaters heard in ${ctx.q.region} are considered. Select "All" in the region bar to check against every repeater.`));
  if (!reps.length) ctx.el.appendChild(empty('No repeaters known yet, so every prefix is free.'));
}
