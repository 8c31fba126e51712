// Channels view: the "+ Add" control and the rows of browser-held channels (UI.md §6). Keys
// live in localStorage via chankeys.js and are never sent to the server.
import { h } from '../dom.js';
import * as chankeys from '../chankeys.js';
import { qrSVG } from '../qr.js';
import { showToast, showError } from '../api.js';

/** shareURL is the MeshCore app's channel link for a key. */
const shareURL = (k) => `meshcore://channel/add?name=${encodeURIComponent(k.label || k.name)}&secret=${k.keyHex}`;

function copy(text, what) {
  navigator.clipboard.writeText(text).then(() => showToast(`${what} copied`), (e) => showError(e, 'Copy'));
}

/** shareBox shows a channel's key as text and QR with copy buttons. */
function shareBox(k) {
  return h('div', { class: 'ch-share', id: 'ch-share' },
    qrSVG(shareURL(k), `QR code to add ${k.label || k.name}`),
    h('div', null, h('div', { class: 'muted' }, 'Key'), h('code', { class: 'ch-share-key' }, k.keyHex),
      h('div', { class: 'ch-add-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => copy(k.keyHex, 'Key') }, 'Copy Key'),
        h('button', { type: 'button', class: 'btn', onclick: () => copy(shareURL(k), 'Link') }, 'Copy Link'))));
}

/** mineActions are the Share / Remove buttons of an open browser channel. */
export function mineActions(row, onRemoved) {
  const k = row.user;
  let box = null;
  const share = h('button', { type: 'button', class: 'btn', id: 'ch-share-btn', 'aria-expanded': 'false' }, '📤 Share');
  const wrap = h('span', { class: 'ch-actions' }, share,
    h('button', { type: 'button', class: 'btn', id: 'ch-remove-btn', onclick: () => { chankeys.remove(k.name); onRemoved(); } }, '🗑️ Remove'));
  share.addEventListener('click', () => {
    if (box) { box.remove(); box = null; share.setAttribute('aria-expanded', 'false'); return; }
    box = shareBox(k);
    wrap.appendChild(box);
    share.setAttribute('aria-expanded', 'true');
  });
  return wrap;
}

/** mineRows lists the browser-held channels as sidebar rows (hash "user:<name>"). */
export function mineRows() {
  return chankeys.list().map((k) => ({ hash: 'user:' + k.name, name: k.label, user: k }));
}

/** addForm returns the "+ Add" button with its form; onAdded(row) runs after a channel is stored. */
export function addForm(onAdded) {
  const err = h('p', { class: 'ch-add-err', role: 'alert' });
  const tag = h('input', { type: 'text', id: 'ch-add-name', placeholder: 'mychannel', autocomplete: 'off', spellcheck: 'false' });
  const key = h('input', { type: 'text', id: 'ch-add-key', placeholder: '32 hex characters', autocomplete: 'off', spellcheck: 'false', maxlength: '32' });
  const label = h('input', { type: 'text', id: 'ch-add-label', placeholder: 'optional display name', autocomplete: 'off' });
  const genName = h('input', { type: 'text', id: 'ch-gen-name', placeholder: 'channel name', autocomplete: 'off' });
  const genOut = h('div', { id: 'ch-gen-out' });
  const gen = h('button', { type: 'button', class: 'btn', id: 'ch-gen-btn' }, 'Generate & Show QR');
  gen.addEventListener('click', async () => {
    err.textContent = '';
    try {
      const name = genName.value.trim();
      if (!name) throw new Error('give the new channel a name');
      const c = await chankeys.add({ keyHex: chankeys.bytesToHex(crypto.getRandomValues(new Uint8Array(16))), label: name });
      genOut.replaceChildren(shareBox(c));
      onAdded({ hash: 'user:' + c.name }, true);
    } catch (x) { err.textContent = x.message; }
  });
  const form = h('form', { class: 'ch-add-form', hidden: true, 'aria-label': 'Add a channel' },
    h('p', { class: 'muted' }, 'Keys stay in this browser and are never sent to the server.'),
    h('fieldset', null, h('legend', null, 'Generate PSK Channel'),
      h('label', { for: 'ch-gen-name' }, 'Name'), genName, gen, genOut),
    h('fieldset', null, h('legend', null, 'Monitor Hashtag Channel'),
      h('label', { for: 'ch-add-name' }, 'Name #'), tag),
    h('fieldset', null, h('legend', null, 'Add Private Channel (PSK)'),
      h('label', { for: 'ch-add-key' }, 'Key'), key, h('label', { for: 'ch-add-label' }, 'Label'), label),
    h('div', { class: 'ch-add-actions' }, h('button', { type: 'submit', class: 'btn', id: 'ch-add-submit' }, 'Add'),
      h('button', { type: 'button', class: 'btn', onclick: () => { form.hidden = true; btn.setAttribute('aria-expanded', 'false'); } }, 'Cancel')),
    err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const t = tag.value.trim();
      const c = t ? await chankeys.add({ hashtag: t }) : await chankeys.add({ keyHex: key.value, label: label.value });
      tag.value = key.value = label.value = '';
      form.hidden = true;
      btn.setAttribute('aria-expanded', 'false');
      onAdded({ hash: 'user:' + c.name });
    } catch (x) {
      err.textContent = x.message;
    }
  });
  const btn = h('button', { type: 'button', class: 'btn', id: 'ch-add-btn', 'aria-expanded': 'false', 'aria-label': 'Add channel' }, '+ Add');
  btn.addEventListener('click', () => {
    form.hidden = !form.hidden;
    btn.setAttribute('aria-expanded', form.hidden ? 'false' : 'true');
    if (!form.hidden) tag.focus();
  });
  return h('div', { class: 'ch-add' }, btn, form);
}
