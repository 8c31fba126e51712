// Neighbor Graph tab (/api/analytics/neighbor-graph?min_count=1&min_score=0): a force-directed
// graph on <canvas>. Drag a node to move it, drag the background to pan, wheel to zoom;
// keyboard: arrows pan, +/- zoom, 0 resets. Filters (role, minimum score, confidence) only
// change what is drawn — positions are kept, so the picture does not jump. The simulation is a
// plain O(n²) repulsion + spring model: with ≈400 nodes one tick costs ~1 ms, and it stops
// (alpha decays) once the layout settles; drawing happens only when something changed.
import { h, clear } from '../../dom.js';
import { get, card, empty, num } from './common.js';
import { roleColor } from '../../mapbase.js';
import { ROLE_LABELS } from '../../format.js';

const ROLES = ['repeater', 'room', 'companion', 'sensor', 'observer', 'unknown'];
const CONF = [['all', 'Show all'], ['high', 'High only'], ['hide-ambiguous', 'Hide ambiguous']];

/** visibleEdges applies the filters; returns {edges, nodes (Set of keys)}. */
export function filterGraph(g, f) {
  const role = new Map(g.nodes.map((n) => [n.pubkey, n.role || 'unknown']));
  const edges = [];
  const keep = new Set();
  for (const e of g.edges) {
    if ((e.score || 0) < f.minScore) continue;
    if (f.conf === 'hide-ambiguous' && e.ambiguous) continue;
    const unresolved = String(e.target).startsWith('prefix:') || String(e.source).startsWith('prefix:');
    if (f.conf === 'high' && (e.ambiguous || unresolved || (e.score || 0) < 0.5)) continue;
    const rs = role.get(e.source) || 'unknown'; const rt = role.get(e.target) || 'unknown';
    if (!f.roles.has(rs) && !f.roles.has(rt)) continue;
    edges.push(e);
    keep.add(e.source); keep.add(e.target);
  }
  return { edges, nodes: keep };
}

export async function render(ctx) {
  let g;
  try { g = await get('/analytics/neighbor-graph', { min_count: 1, min_score: 0, region: ctx.q.region }); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'The neighbor graph')); return; }
  g.nodes = g.nodes || []; g.edges = g.edges || [];
  if (!g.nodes.length) { ctx.el.appendChild(card('🕸️ Neighbor Graph', '', empty('No neighbor data yet: the graph is built from repeated relays between nodes.'))); return; }

  // ---- model ----
  const byKey = new Map();
  const R = Math.sqrt(g.nodes.length) * 28;
  const addNode = (key, n) => {
    const a = Math.random() * Math.PI * 2; const r = R * Math.sqrt(Math.random());
    const o = { key, name: n ? n.name || key.slice(0, 8) : key.replace('prefix:', '?'), role: n ? n.role || 'unknown' : 'unknown', deg: n ? n.neighbor_count || 0 : 0, x: Math.cos(a) * r, y: Math.sin(a) * r, vx: 0, vy: 0, fixed: false, ghost: !n };
    byKey.set(key, o);
    return o;
  };
  for (const n of g.nodes) addNode(n.pubkey, n);
  for (const e of g.edges) for (const k of [e.source, e.target]) if (!byKey.has(k)) addNode(k, null);
  const presentRoles = new Set([...byKey.values()].map((n) => n.role));

  const f = { roles: new Set(ROLES), minScore: 0.7, conf: 'all' };
  let vis = { edges: [], nodes: [] }; // nodes: array of model objects
  let links = []; // [a, b, e]
  const view = { x: 0, y: 0, k: 1 };
  let alpha = 1; let raf = 0; let dirty = true; let dead = false; let frames = 0; let touched = false;

  // ---- DOM ----
  const canvas = h('canvas', { class: 'ng-canvas', tabindex: '0', role: 'img' });
  const info = h('p', { class: 'ng-info', 'aria-live': 'polite', id: 'ng-stats' });
  const hover = h('p', { class: 'ng-info', id: 'ng-hover', 'aria-live': 'off' }, 'Hover or tap a node to see its name.');
  const roleBoxes = ROLES.filter((r) => presentRoles.has(r)).map((r) => {
    const cb = h('input', { type: 'checkbox', checked: true, value: r, dataset: { role: r } });
    cb.addEventListener('change', () => { if (cb.checked) f.roles.add(r); else f.roles.delete(r); refilter(); });
    return h('label', null, cb, h('span', { class: 'sw', style: { background: roleColor(r) } }), ROLE_LABELS[r] || 'Unknown');
  });
  const slider = h('input', { type: 'range', min: '0', max: '100', step: '5', value: '70', id: 'ng-min-score', 'aria-label': 'Minimum edge score (percent)' });
  const sliderVal = h('output', { for: 'ng-min-score' }, '0.70');
  slider.addEventListener('input', () => { f.minScore = +slider.value / 100; sliderVal.textContent = f.minScore.toFixed(2); refilter(); });
  const conf = h('select', { id: 'ng-conf', 'aria-label': 'Confidence' }, ...CONF.map(([v, l]) => h('option', { value: v }, l)));
  conf.addEventListener('change', () => { f.conf = conf.value; refilter(); });
  const reset = h('button', { type: 'button', class: 'btn', onclick: () => { fit(); } }, 'Reset view');

  function refilter() {
    const r = filterGraph(g, f);
    vis = { edges: r.edges, nodes: [...r.nodes].map((k) => byKey.get(k)).filter(Boolean) };
    links = r.edges.map((e) => [byKey.get(e.source), byKey.get(e.target), e]).filter((l) => l[0] && l[1]);
    const amb = r.edges.filter((e) => e.ambiguous).length;
    const unres = r.edges.filter((e) => String(e.target).startsWith('prefix:') || String(e.source).startsWith('prefix:')).length;
    const pct = r.edges.length ? Math.round(((r.edges.length - unres) / r.edges.length) * 100) : 100;
    const label = `Neighbor graph: ${vis.nodes.length} nodes and ${r.edges.length} edges shown (${pct}% resolved, ${amb} ambiguous) of ${g.nodes.length} nodes and ${g.edges.length} edges.`;
    canvas.setAttribute('aria-label', label + ' Arrow keys pan, plus and minus zoom, 0 resets.');
    canvas.dataset.nodes = String(vis.nodes.length);
    canvas.dataset.edges = String(r.edges.length);
    const st = g.stats || {};
    info.textContent = `${num(vis.nodes.length)} nodes · ${num(r.edges.length)} edges shown · ${pct}% resolved · ${amb} ambiguous — server totals: ${num(st.total_nodes ?? g.nodes.length)} nodes, ${num(st.total_edges ?? g.edges.length)} edges, avg cluster ${(+st.avg_cluster_size || 0).toFixed(1)}, ${num(st.rejected_edges_geo_far || 0)} rejected as too far.`;
    emptyNote.hidden = r.edges.length > 0;
    alpha = Math.max(alpha, 0.3);
    kick();
  }
  const emptyNote = h('p', { class: 'an-empty', hidden: true }, 'No edge passes the filters: lower the minimum score or enable more roles.');

  // ---- simulation ----
  function tick() {
    const ns = vis.nodes; const n = ns.length;
    const rep = 900 * alpha;
    for (let i = 0; i < n; i++) {
      const a = ns[i];
      for (let j = i + 1; j < n; j++) {
        const b = ns[j];
        let dx = a.x - b.x; let dy = a.y - b.y;
        let d2 = dx * dx + dy * dy;
        if (d2 > 90000) continue; // beyond 300 px repulsion is negligible
        if (d2 < 1) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 1; }
        const fr = rep / d2;
        a.vx += dx * fr; a.vy += dy * fr; b.vx -= dx * fr; b.vy -= dy * fr;
      }
    }
    for (const [a, b] of links) {
      const dx = b.x - a.x; const dy = b.y - a.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const fs = ((d - 50) / d) * 0.05 * alpha;
      a.vx += dx * fs; a.vy += dy * fs; b.vx -= dx * fs; b.vy -= dy * fs;
    }
    for (const a of ns) {
      a.vx -= a.x * 0.002 * alpha; a.vy -= a.y * 0.002 * alpha;
      if (a.fixed) { a.vx = 0; a.vy = 0; continue; }
      a.vx *= 0.6; a.vy *= 0.6;
      a.x += Math.max(-30, Math.min(30, a.vx)); a.y += Math.max(-30, Math.min(30, a.vy));
    }
    alpha *= 0.985;
  }

  // ---- drawing ----
  const ctx2 = canvas.getContext('2d');
  let W = 0; let H = 0; let dpr = 1;
  function size() {
    dpr = window.devicePixelRatio || 1;
    W = canvas.clientWidth; H = canvas.clientHeight;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    dirty = true;
  }
  function css(name, def) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || def; }
  function draw() {
    const c = ctx2;
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, W, H);
    c.translate(W / 2 + view.x, H / 2 + view.y);
    c.scale(view.k, view.k);
    const txt = css('--text', '#e6e9f2');
    // Edges in two batched paths (resolved / ambiguous-or-unresolved): one stroke each.
    c.lineWidth = 1 / view.k;
    c.strokeStyle = css('--text-muted', '#8f97b3');
    c.globalAlpha = 0.45;
    c.beginPath();
    for (const [a, b, e] of links) if (!e.ambiguous) { c.moveTo(a.x, a.y); c.lineTo(b.x, b.y); }
    c.stroke();
    c.setLineDash([4 / view.k, 4 / view.k]);
    c.strokeStyle = css('--warn', '#d29922');
    c.beginPath();
    for (const [a, b, e] of links) if (e.ambiguous) { c.moveTo(a.x, a.y); c.lineTo(b.x, b.y); }
    c.stroke();
    c.setLineDash([]);
    c.globalAlpha = 1;
    const byRole = new Map();
    for (const n of vis.nodes) { const k = n.ghost ? 'ghost' : n.role; if (!byRole.has(k)) byRole.set(k, []); byRole.get(k).push(n); }
    for (const [role, ns] of byRole) {
      c.fillStyle = role === 'ghost' ? css('--surface3', '#444') : roleColor(role);
      c.beginPath();
      // Constant on-screen size (divide by zoom), a little bigger for well-connected nodes.
      for (const n of ns) { const r = (3.5 + Math.min(5, Math.sqrt(n.deg))) / view.k; c.moveTo(n.x + r, n.y); c.arc(n.x, n.y, r, 0, Math.PI * 2); }
      c.fill();
    }
    if (view.k > 1.6 || vis.nodes.length < 60) {
      c.fillStyle = txt;
      c.font = `${11 / view.k}px system-ui, sans-serif`;
      for (const n of vis.nodes) c.fillText(n.name, n.x + 8 / view.k, n.y + 3 / view.k);
    }
    if (hot) {
      c.strokeStyle = txt; c.lineWidth = 2 / view.k;
      c.beginPath(); c.arc(hot.x, hot.y, 10 / view.k, 0, Math.PI * 2); c.stroke();
    }
    frames++;
    canvas.dataset.frames = String(frames);
  }
  function loop() {
    raf = 0;
    if (dead) return;
    if (alpha > 0.01) {
      tick(); dirty = true;
      // Re-fit once when the layout has settled, unless the user already moved the view.
      if (alpha <= 0.01 && !touched) fit();
    }
    if (dirty) { draw(); dirty = false; }
    if (alpha > 0.01 || drag) raf = requestAnimationFrame(loop);
  }
  function kick() { dirty = true; if (!raf && !dead) raf = requestAnimationFrame(loop); }
  function fit() {
    if (!vis.nodes.length) { view.x = 0; view.y = 0; view.k = 1; kick(); return; }
    let x0 = Infinity; let x1 = -Infinity; let y0 = Infinity; let y1 = -Infinity;
    for (const n of vis.nodes) { x0 = Math.min(x0, n.x); x1 = Math.max(x1, n.x); y0 = Math.min(y0, n.y); y1 = Math.max(y1, n.y); }
    view.k = Math.max(0.1, Math.min(3, 0.9 * Math.min(W / ((x1 - x0) || 1), H / ((y1 - y0) || 1))));
    view.x = -((x0 + x1) / 2) * view.k; view.y = -((y0 + y1) / 2) * view.k;
    kick();
  }

  // ---- interaction ----
  const toWorld = (px, py) => ({ x: (px - W / 2 - view.x) / view.k, y: (py - H / 2 - view.y) / view.k });
  let drag = null; let hot = null;
  function pick(px, py) {
    const p = toWorld(px, py);
    let best = null; let bd = (12 / view.k) ** 2;
    for (const n of vis.nodes) { const d = (n.x - p.x) ** 2 + (n.y - p.y) ** 2; if (d < bd) { bd = d; best = n; } }
    return best;
  }
  const pos = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener('pointerdown', (e) => {
    touched = true;
    const [px, py] = pos(e);
    const n = pick(px, py);
    canvas.setPointerCapture(e.pointerId);
    canvas.classList.add('dragging');
    drag = n ? { node: n, id: e.pointerId } : { pan: true, sx: px - view.x, sy: py - view.y, id: e.pointerId };
    // While dragging only the dragged node moves (no simulation ticks: each frame stays a cheap
    // redraw); the layout relaxes around its new place on release.
    if (n) { n.fixed = true; alpha = Math.min(alpha, 0.009); hot = n; showHover(n); }
    kick();
  });
  canvas.addEventListener('pointermove', (e) => {
    const [px, py] = pos(e);
    if (!drag) {
      const n = pick(px, py);
      if (n !== hot) { hot = n; if (n) showHover(n); kick(); }
      return;
    }
    if (drag.node) { const p = toWorld(px, py); drag.node.x = p.x; drag.node.y = p.y; } else { view.x = px - drag.sx; view.y = py - drag.sy; }
    kick();
  });
  const end = () => {
    if (drag && drag.node) { drag.node.fixed = false; alpha = Math.max(alpha, 0.08); }
    drag = null; canvas.classList.remove('dragging'); kick();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('dblclick', (e) => { const [px, py] = pos(e); const n = pick(px, py); if (n && !n.ghost) location.hash = `#/nodes/${encodeURIComponent(n.key)}`; });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const [px, py] = pos(e);
    zoomAt(px, py, e.deltaY < 0 ? 1.15 : 1 / 1.15);
  }, { passive: false });
  function zoomAt(px, py, fz) {
    touched = true;
    const k = Math.max(0.05, Math.min(8, view.k * fz));
    const w = toWorld(px, py);
    view.k = k;
    view.x = px - W / 2 - w.x * k; view.y = py - H / 2 - w.y * k;
    kick();
  }
  canvas.addEventListener('keydown', (e) => {
    const step = 40;
    const k = e.key;
    if (k === 'ArrowLeft') view.x += step; else if (k === 'ArrowRight') view.x -= step;
    else if (k === 'ArrowUp') view.y += step; else if (k === 'ArrowDown') view.y -= step;
    else if (k === '+' || k === '=') zoomAt(W / 2, H / 2, 1.2);
    else if (k === '-' || k === '_') zoomAt(W / 2, H / 2, 1 / 1.2);
    else if (k === '0') fit();
    else return;
    e.preventDefault();
    kick();
  });
  function showHover(n) {
    hover.textContent = `${n.ghost ? 'Unresolved prefix' : ROLE_LABELS[n.role] || n.role}: ${n.name} — ${n.deg} neighbours${n.ghost ? '' : ' (double-click to open the node)'}`;
  }
  const onTheme = () => kick();
  window.addEventListener('theme-changed', onTheme);
  const ro = new ResizeObserver(() => { size(); kick(); });

  ctx.el.appendChild(card('🕸️ Neighbor Graph', 'Nodes (coloured by role) linked when they were seen as adjacent hops; dashed amber = ambiguous prefix. Drag nodes, drag the background to pan, scroll to zoom; keyboard: arrows, + / −, 0.',
    [h('div', { class: 'ng-controls' },
      h('fieldset', null, h('legend', null, 'Roles'), ...roleBoxes),
      h('label', null, 'Min score ', slider, sliderVal),
      h('label', null, 'Confidence ', conf), reset),
    h('div', { class: 'ng-wrap' }, canvas), emptyNote, info, hover], { id: 'ng-card', full: true }));
  // Layout needs the canvas in the page: run after the shell has inserted the tab body.
  requestAnimationFrame(() => {
    if (dead) return;
    size();
    ro.observe(canvas);
    refilter();
    // Pre-settle so the first frames already look like a graph, then fit it into view.
    for (let i = 0; i < 120 && alpha > 0.05; i++) tick();
    fit();
  });
  return () => {
    dead = true;
    if (raf) cancelAnimationFrame(raf);
    ro.disconnect();
    window.removeEventListener('theme-changed', onTheme);
    clear(ctx.el);
  };
}
