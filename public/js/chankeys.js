// Browser-held channel keys (UI.md §6): a channel added by #hashtag name or by 32-hex PSK is
// kept in localStorage only and its GRP_TXT messages are decrypted here with Web Crypto; the
// key never leaves the browser. Derivation and cipher follow internal/channel: secret =
// SHA-256("#name")[0:16], channel hash = SHA-256(secret)[0], MAC = HMAC-SHA256(secret, ct)[0:2],
// AES-128-ECB without padding removal, plaintext = u32 LE time, flags, "sender: text" NUL-padded.
import { store } from './dom.js';
import * as purejs from './chankeys-purejs.js';

const KEYS = 'corescope_channel_keys'; // {name: hex}
const LABELS = 'corescope_channel_labels'; // {name: label}

const enc = new TextEncoder();
// Web Crypto exists only in secure contexts (HTTPS, localhost); elsewhere the pure-JS code runs.
const subtle = () => (globalThis.crypto && crypto.subtle) || null;
async function sha(bytes) {
  const s = subtle();
  return s ? new Uint8Array(await s.digest('SHA-256', bytes)) : purejs.sha256(bytes);
}

export function hexToBytes(hex) {
  const s = String(hex || '').trim();
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hex');
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16);
  return b;
}
export const bytesToHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** hashtagName normalises a hashtag channel name: trimmed, lower-case kept as typed, '#' added. */
export function hashtagName(name) {
  const n = String(name || '').trim();
  return n.startsWith('#') ? n : '#' + n;
}

/** hashtagKeyHex derives a hashtag channel's secret: first 16 bytes of SHA-256("#name"). */
export async function hashtagKeyHex(name) {
  return bytesToHex((await sha(enc.encode(hashtagName(name)))).slice(0, 16));
}

/** channelHash is the 1-byte channel id on the air: first byte of SHA-256(secret). */
export async function channelHash(keyHex) {
  return (await sha(hexToBytes(keyHex)))[0];
}

// ---- storage ----
export function list() {
  const keys = store.getJSON(KEYS, {}) || {};
  const labels = store.getJSON(LABELS, {}) || {};
  return Object.entries(keys).filter(([, k]) => /^[0-9a-f]{32}$/i.test(k))
    .map(([name, keyHex]) => ({ name, keyHex: keyHex.toLowerCase(), label: labels[name] || name }));
}

/** add stores a channel: {hashtag} derives the key, {keyHex, label} stores a PSK. Returns it. */
export async function add({ hashtag, keyHex, label }) {
  let name, k;
  if (hashtag) {
    name = hashtagName(hashtag);
    if (name.length < 2 || /\s/.test(name)) throw new Error('channel name must be one word, e.g. #mychannel');
    k = await hashtagKeyHex(name);
  } else {
    k = String(keyHex || '').trim().toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(k)) throw new Error('key must be 32 hex characters (16 bytes)');
    name = (label && String(label).trim()) || 'psk:' + k.slice(0, 8);
  }
  const keys = store.getJSON(KEYS, {}) || {};
  keys[name] = k;
  store.setJSON(KEYS, keys);
  if (label) { const l = store.getJSON(LABELS, {}) || {}; l[name] = String(label); store.setJSON(LABELS, l); }
  return { name, keyHex: k, label: label || name };
}

export function remove(name) {
  const keys = store.getJSON(KEYS, {}) || {};
  delete keys[name];
  store.setJSON(KEYS, keys);
}

// ---- cipher ----
const imported = new Map(); // keyHex → {aes, hmac, hash}

async function material(keyHex) {
  let m = imported.get(keyHex);
  if (m) return m;
  const raw = hexToBytes(keyHex);
  const s = subtle();
  if (s) {
    const aes = await s.importKey('raw', raw, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
    const hmac = await s.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    m = { decrypt: (ct) => ecbDecrypt(aes, ct), mac: async (ct) => new Uint8Array(await s.sign('HMAC', hmac, ct)) };
  } else {
    m = { decrypt: async (ct) => purejs.aesDecryptBlocks(raw, ct), mac: async (ct) => purejs.hmacSha256(raw, ct) };
  }
  m.hash = await channelHash(keyHex);
  imported.set(keyHex, m);
  return m;
}

/**
 * ecbDecrypt decrypts whole AES blocks independently with Web Crypto, which has no ECB: a CBC
 * decryption with IV = 0 gives P_i = D(C_i) XOR C_{i-1}, so XOR-ing C_{i-1} back yields D(C_i).
 * For CBC's PKCS#7 check we append one block X = E(pad XOR C_n) (the first block of a CBC
 * encryption of a full padding block with IV = C_n), which decrypts to exactly that padding.
 */
export async function ecbDecrypt(aes, ct) {
  const s = crypto.subtle;
  const last = ct.slice(ct.length - 16);
  const pad = new Uint8Array(16).fill(16);
  const x = new Uint8Array(await s.encrypt({ name: 'AES-CBC', iv: last }, aes, pad)).slice(0, 16);
  const buf = new Uint8Array(ct.length + 16);
  buf.set(ct); buf.set(x, ct.length);
  const p = new Uint8Array(await s.decrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, aes, buf));
  for (let i = 16; i < ct.length; i++) p[i] ^= ct[i - 16];
  return p.slice(0, ct.length);
}

/** parseText applies internal/channel.ParseText's rules; null when the plaintext is rejected. */
export function parseText(plain) {
  if (plain.length < 5) return null;
  let body = plain.slice(5);
  const z = body.indexOf(0);
  if (z >= 0) body = body.slice(0, z);
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(body); } catch { return null; }
  let ctrl = 0;
  for (const ch of text) { const c = ch.codePointAt(0); if ((c < 0x20 && c !== 10 && c !== 9) || c === 0xfffd) ctrl++; }
  if (ctrl > 2) return null;
  const ts = plain[0] | (plain[1] << 8) | (plain[2] << 16) | (plain[3] * 16777216);
  let sender = '', message = text;
  const i = text.indexOf(': ');
  if (i > 0 && i < 50 && !/[:[\]]/.test(text.slice(0, i))) { sender = text.slice(0, i); message = text.slice(i + 2); }
  return { timestamp: ts >>> 0, txtType: plain[4] >> 2, sender, text: message };
}

/**
 * open checks the MAC and decrypts one GRP_TXT payload with keyHex; null when the channel hash
 * or MAC does not match or the plaintext is not text. channelHashByte may be null (unknown).
 */
export async function open(keyHex, channelHashByte, macHex, ctHex) {
  const m = await material(keyHex);
  if (channelHashByte !== null && channelHashByte !== undefined && channelHashByte !== m.hash) return null;
  let ct, mac;
  try { ct = hexToBytes(ctHex); mac = hexToBytes(macHex); } catch { return null; }
  if (!ct.length || ct.length % 16 || mac.length !== 2) return null;
  const sig = await m.mac(ct);
  if (sig[0] !== mac[0] || sig[1] !== mac[1]) return null;
  return parseText(await m.decrypt(ct));
}

/**
 * decryptPackets decrypts the GRP_TXT packets (from /api/packets?type=5) that belong to keyHex
 * and returns channel messages in the shape of /api/channels/{hash}/messages, oldest first.
 */
export async function decryptPackets(keyHex, packets) {
  const out = [];
  for (const p of packets) {
    let d;
    try { d = typeof p.decoded_json === 'string' ? JSON.parse(p.decoded_json) : (p.decoded_json || {}); } catch { continue; }
    if (!d || !d.encryptedData || !d.mac) continue;
    const hb = d.channelHashHex ? parseInt(d.channelHashHex, 16) : (typeof d.channelHash === 'number' ? d.channelHash : null);
    const t = await open(keyHex, hb, d.mac, d.encryptedData);
    if (!t) continue;
    out.push({ sender: t.sender, text: t.text, timestamp: p.first_seen || p.timestamp, sentAt: t.timestamp,
      repeats: p.observation_count || 1, snr: p.snr ?? null, packetHash: p.hash });
  }
  out.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  return out;
}
