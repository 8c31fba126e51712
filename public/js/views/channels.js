// Channels (#/channels, #/channels/{hash}): channel list and messages from the server, live
// updates from decrypted GRP_TXT packets on the WebSocket, "View packet" links.
import { h, clear, activateOnKey } from '../dom.js';
import { api, qs, errorBox } from '../api.js';
import * as live from '../live.js';
import { setQuery } from '../router.js';
import { region } from '../region.js';
import { timeAgo, absTime, parseJSON, hops, fixed, hashColor, inkFor } from '../format.js';
import * as chankeys from '../chankeys.js';
import { addForm, mineRows, mineActions } from './channels-mine.js';

let S = null;

function initials(name) {
  const s = String(name || '?').replace(/^#/, '').trim();
  return (s.slice(0, 2) || '?').toUpperCase();
}

function avatar(name) {
  const bg = hashColor(Array.from(String(name)).map((c) => c.charCodeAt(0).toString(16)).join('').slice(0, 8));
  return h('span', { class: 'avatar', 'aria-hidden': 'true', style: { background: bg, color: inkFor(bg) } }, initials(name));
}

function drawList() {
  clear(S.list);
  const mine = mineRows();
  if (mine.length) S.list.appendChild(h('div', { class: 'ch-section', role: 'presentation' }, 'My Channels 🖥️ (this browser)'));
  for (const c of mine) S.list.appendChild(row(c));
  if (mine.length) S.list.appendChild(h('div', { class: 'ch-section', role: 'presentation' }, 'Network'));
  if (!S.channels.length) { S.list.appendChild(h('p', { class: 'empty' }, 'No channel messages yet.')); return; }
  for (const c of S.channels) S.list.appendChild(row(c));
  if (!S.selected && S.list.querySelector('.ch-item')) S.list.querySelector('.ch-item').tabIndex = 0;
}

function row(c) {
  const sel = c.hash === S.selected;
  const unread = S.unread.get(c.hash) || 0;
  const item = h('div', { class: 'ch-item', role: 'option', tabindex: sel ? '0' : '-1', 'aria-selected': sel ? 'true' : 'false', dataset: { hash: c.hash } },
    avatar(c.name || c.hash),
    h('div', { class: 'ch-meta' },
      h('div', { class: 'name' }, h('span', null, String(c.name || c.hash), c.user ? h('span', { class: 'ch-key-badge', title: 'Key held in this browser' }, ' 🔑') : null), h('span', { class: 'muted' }, timeAgo(c.lastActivity))),
      h('div', { class: 'prev' }, c.lastMessage ? `${c.lastSender ? c.lastSender + ': ' : ''}${c.lastMessage}` : `${c.messageCount || 0} messages`)),
    unread ? h('span', { class: 'unread', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : String(unread)) : null);
  const pick = () => select(c.hash);
  item.addEventListener('click', pick);
  activateOnKey(item, pick);
  item.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const sib = e.key === 'ArrowDown' ? item.nextElementSibling : item.previousElementSibling;
    if (sib) sib.focus();
  });
  return item;
}

function msgEl(m) {
  const meta = [absTime(m.timestamp), `${m.repeats ?? 1}× heard`];
  if (m.hops !== undefined && m.hops !== null) meta.push(`${m.hops} hops`);
  if (m.snr !== null && m.snr !== undefined) meta.push(`SNR ${fixed(m.snr)}`);
  return h('div', { class: 'msg', dataset: { hash: m.packetHash || '' } },
    avatar(m.sender || '?'),
    h('div', { class: 'bubble' },
      h('div', { class: 'sender' }, String(m.sender || 'unknown')),
      h('div', { class: 'text' }, String(m.text || '')),
      h('div', { class: 'meta' }, meta.join(' · '), ' · ',
        m.packetHash ? h('a', { href: `#/packets/${encodeURIComponent(m.packetHash)}` }, 'View packet →') : null)));
}

function atBottom() { return S.msgs.scrollHeight - S.msgs.scrollTop - S.msgs.clientHeight < 60; }

async function select(hash) {
  S.selected = hash;
  S.unread.delete(hash);
  S.page.classList.toggle('has-sel', !!hash);
  setQuery({}, hash ? `#/channels/${encodeURIComponent(hash)}` : '#/channels');
  drawList();
  const c = S.channels.find((x) => x.hash === hash) || mineRows().find((x) => x.hash === hash);
  S.title.textContent = c ? `${c.name || c.hash}` : String(hash || 'Select a channel');
  S.actions.replaceChildren(...(c && c.user ? [mineActions(c, () => { drawList(); select(null); })] : []));
  clear(S.msgs);
  if (!hash) { S.msgs.appendChild(h('p', { class: 'empty' }, 'Select a channel to read its messages.')); return; }
  S.msgs.appendChild(h('p', { class: 'loading' }, 'Loading messages…'));
  const gen = ++S.gen;
  try {
    const r = c && c.user ? await mineMessages(c.user)
      : await api(`/channels/${encodeURIComponent(hash)}/messages` + qs({ limit: 200, region: region() }));
    if (!S || gen !== S.gen) return;
    const msgs = (r && r.messages) || [];
    S.seen = new Set(msgs.map((m) => m.packetHash));
    clear(S.msgs);
    S.sub.textContent = `— ${(r && r.total) ?? msgs.length} messages`;
    if (!msgs.length) S.msgs.appendChild(h('p', { class: 'empty' }, 'No messages in this channel.'));
    for (const m of msgs) S.msgs.appendChild(msgEl(m));
    S.msgs.scrollTop = S.msgs.scrollHeight;
  } catch (e) {
    if (!S || gen !== S.gen) return;
    clear(S.msgs).appendChild(errorBox(e, () => select(hash)));
  }
}

// mineMessages decrypts a browser-held channel's messages from the GRP_TXT packets; only the
// packet query goes to the server, never the key.
async function mineMessages(k) {
  const r = await api('/packets' + qs({ type: 5, limit: 1000, region: region() }));
  const messages = await chankeys.decryptPackets(k.keyHex, (r && r.packets) || []);
  return { messages, total: messages.length };
}

async function onLiveMine(p, d) {
  const c = S && mineRows().find((x) => x.hash === S.selected);
  if (!c || S.seen.has(p.hash)) return;
  const [m] = await chankeys.decryptPackets(c.user.keyHex, [{ ...p, decoded_json: d }]);
  if (!m || !S || S.selected !== c.hash || S.seen.has(p.hash)) return;
  S.seen.add(p.hash);
  const stick = atBottom();
  const empty = S.msgs.querySelector('.empty');
  if (empty) empty.remove();
  S.msgs.appendChild(msgEl({ ...m, timestamp: new Date().toISOString(), hops: hops(p).length }));
  if (stick) S.msgs.scrollTop = S.msgs.scrollHeight;
  S.announce.textContent = `New message from ${m.sender || 'unknown'} in ${c.name}`;
}

async function loadList() {
  try {
    const r = await api('/channels' + qs({ region: region() }));
    if (!S) return;
    S.channels = (r && r.channels) || [];
    drawList();
    if (S.selected) select(S.selected);
  } catch (e) {
    if (!S) return;
    clear(S.list).appendChild(errorBox(e, loadList));
  }
}

function onBatch(batch) {
  let listChanged = false;
  for (const p of batch) {
    if (p.payload_type !== 5 && p._type !== 'message') continue;
    const d = parseJSON(p.decoded_json, {}) || {};
    if (!d.channel && d.encryptedData && String(S.selected).startsWith('user:')) { onLiveMine(p, d).catch(() => {}); continue; }
    if (!d.channel || (!d.text && !d.sender)) continue; // undecryptable: channel unknown, dropped
    let text = String(d.text || '');
    const sender = d.sender || (text.includes(': ') ? text.slice(0, text.indexOf(': ')) : '');
    if (sender && text.startsWith(sender + ': ')) text = text.slice(sender.length + 2);
    let c = S.channels.find((x) => x.hash === d.channel || x.name === d.channel);
    if (!c) { c = { hash: d.channel, name: d.channel, messageCount: 0 }; S.channels.unshift(c); }
    const dup = S.seen.has(p.hash);
    if (!dup) {
      c.messageCount = (c.messageCount || 0) + 1;
      c.lastMessage = text; c.lastSender = sender; c.lastActivity = new Date().toISOString();
      S.channels.sort((a, b) => String(b.lastActivity || '').localeCompare(String(a.lastActivity || '')));
      listChanged = true;
    }
    if (c.hash === S.selected) {
      if (dup) continue;
      S.seen.add(p.hash);
      const stick = atBottom();
      const empty = S.msgs.querySelector('.empty');
      if (empty) empty.remove();
      S.msgs.appendChild(msgEl({ sender, text, timestamp: new Date().toISOString(), repeats: p.observation_count || 1, hops: hops(p).length, snr: p.snr, packetHash: p.hash }));
      if (stick) S.msgs.scrollTop = S.msgs.scrollHeight;
      S.announce.textContent = `New message from ${sender || 'unknown'} in ${c.name}`;
    } else if (!dup) {
      S.seen.add(p.hash);
      S.unread.set(c.hash, (S.unread.get(c.hash) || 0) + 1);
    }
  }
  if (listChanged) drawList();
}

export function mount(el, p) {
  S = { channels: [], selected: p.param || null, unread: new Map(), seen: new Set(), gen: 0 };
  S.list = h('div', { role: 'listbox', 'aria-label': 'Channels', id: 'channel-list' });
  S.title = h('h2', null, 'Select a channel');
  S.sub = h('span', { class: 'muted' });
  S.actions = h('span', { class: 'ch-head-actions' });
  S.msgs = h('div', { class: 'msgs', 'aria-live': 'off', id: 'channel-messages' });
  S.announce = h('div', { class: 'sr-only', 'aria-live': 'polite' });
  const back = h('button', { type: 'button', class: 'btn back-btn', 'aria-label': 'Back to channel list', onclick: () => select(null) }, '‹');
  S.page = h('div', { class: 'channels-page' + (S.selected ? ' has-sel' : '') },
    h('section', { class: 'ch-list' }, h('div', { class: 'ch-list-head' }, h('h1', null, '💬 Channels'),
      addForm((c) => { drawList(); select(c.hash); })), S.list),
    h('section', { class: 'ch-msgs', 'aria-label': 'Messages' }, h('div', { class: 'ch-msgs-head' }, back, S.title, S.sub, S.actions), S.msgs, S.announce));
  el.appendChild(S.page);
  S.unsub = live.subscribe((b) => S && onBatch(b));
  S.onRegion = () => loadList();
  window.addEventListener('region-changed', S.onRegion);
  if (!S.selected) clear(S.msgs).appendChild(h('p', { class: 'empty' }, 'Select a channel to read its messages.'));
  return loadList();
}

export function unmount() {
  if (!S) return;
  S.unsub();
  window.removeEventListener('region-changed', S.onRegion);
  S = null;
}
