// Audio Lab (#/audio-lab, UI.md §11): turn sample packets (GET /api/audio-lab/buckets) into
// short melodies with Web Audio. No AudioContext exists until the user presses ▶ Play (or a
// per-note ▶): browsers require a gesture, and a page should never make sound on its own.
import { h, clear } from '../dom.js';
import { api } from '../api.js';
import { empty, failure } from './analytics/common.js';
import { parseJSON, typeName, ago, num } from '../format.js';

const MAX_NOTES = 64;
// C major pentatonic over three octaves (semitones above C3 = MIDI 48).
const SCALE = [0, 2, 4, 7, 9, 12, 14, 16, 19, 21, 24, 26, 28, 31, 33];
const NOTE_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
const DURS = [0.5, 1, 1, 2]; // beats, from bits 4–5 of the byte
let S = null;

/** notesOf maps each raw byte to a note: pitch from byte % 15 on the scale, length from bits 4–5, loudness from bits 6–7. */
export function notesOf(rawHex) {
  const bytes = (String(rawHex || '').match(/../g) || []).slice(0, MAX_NOTES).map((x) => parseInt(x, 16));
  return bytes.map((b, i) => {
    const midi = 48 + SCALE[b % SCALE.length];
    return { i, byte: b, midi, name: NOTE_NAMES[midi % 12] + (Math.floor(midi / 12) - 1), freq: 440 * 2 ** ((midi - 69) / 12), beats: DURS[(b >> 4) & 3], vel: 0.45 + ((b >> 6) & 3) * 0.18 };
  });
}

function ctx() {
  if (!S.ac) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) throw new Error('this browser has no Web Audio');
    S.ac = new AC();
    S.master = S.ac.createGain();
    S.master.connect(S.ac.destination);
  }
  if (S.ac.state === 'suspended') S.ac.resume();
  S.master.gain.value = S.vol.value / 100;
  return S.ac;
}

/** tone schedules one note at time t (seconds, AudioContext clock) for len seconds. */
function tone(ac, n, t, len) {
  const o = ac.createOscillator();
  const g = ac.createGain();
  o.type = S.voice.value;
  o.frequency.setValueAtTime(n.freq, t);
  g.gain.setValueAtTime(0.0001, t);
  g.gain.exponentialRampToValueAtTime(n.vel * 0.3, t + 0.01);
  g.gain.exponentialRampToValueAtTime(0.0001, t + Math.max(0.05, len * 0.9));
  o.connect(g).connect(S.master);
  o.start(t);
  o.stop(t + len);
  S.voices.push(o);
  o.onended = () => { S && (S.voices = S.voices.filter((x) => x !== o)); };
}

const beatSec = () => 60 / Number(S.bpm.value) / Number(S.speed.value);

function stop() {
  if (!S) return;
  clearTimeout(S.loopTimer);
  for (const t of S.hlTimers) clearTimeout(t);
  S.hlTimers = [];
  for (const o of S.voices) { try { o.stop(); } catch { /* already stopped */ } }
  S.voices = [];
  S.playing = false;
  S.play.textContent = '▶ Play';
  S.play.setAttribute('aria-pressed', 'false');
  highlight(-1);
}

function play() {
  if (!S.sample) return;
  if (S.playing) { stop(); return; }
  let ac;
  try { ac = ctx(); } catch (e) { S.msg.textContent = `Cannot play: ${e.message}.`; return; }
  S.playing = true;
  S.play.textContent = '⏹ Stop';
  S.play.setAttribute('aria-pressed', 'true');
  const run = () => {
    const b = beatSec();
    let t = ac.currentTime + 0.05; const t0 = t;
    for (const n of S.notes) {
      tone(ac, n, t, n.beats * b);
      S.hlTimers.push(setTimeout(() => highlight(n.i), (t - t0) * 1000));
      t += n.beats * b;
    }
    S.plays++;
    S.out.dataset.plays = String(S.plays);
    S.loopTimer = setTimeout(() => { if (S && S.playing) { if (S.loop.getAttribute('aria-pressed') === 'true') run(); else stop(); } }, (t - t0) * 1000 + 60);
  };
  run();
}

function playOne(n) {
  let ac;
  try { ac = ctx(); } catch (e) { S.msg.textContent = `Cannot play: ${e.message}.`; return; }
  tone(ac, n, ac.currentTime + 0.02, n.beats * beatSec());
  highlight(n.i);
}

function highlight(i) {
  if (!S) return;
  for (const el of S.out.querySelectorAll('.al-cur')) el.classList.remove('al-cur');
  if (i < 0) return;
  for (const el of S.out.querySelectorAll(`[data-note="${i}"]`)) el.classList.add('al-cur');
}

function byteViz(notes) {
  const W = Math.max(notes.length * 10, 100); const H = 90;
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H + 14}`, class: 'al-viz', role: 'img', 'aria-label': `Byte values 0–255 of ${notes.length} bytes, one bar per note` });
  svg.appendChild(h('svg:title', null, 'Byte visualizer: bar height = byte value (0–255); the bar of the note playing is highlighted'));
  notes.forEach((n) => {
    const bh = Math.max(1, (n.byte / 255) * H);
    svg.appendChild(h('svg:rect', { class: 'al-bar', x: n.i * 10 + 1, y: H - bh, width: 8, height: bh, dataset: { note: String(n.i) } },
      h('svg:title', null, `byte ${n.i}: 0x${n.byte.toString(16).padStart(2, '0')} = ${n.byte} → ${n.name}`)));
  });
  svg.appendChild(h('svg:text', { class: 'al-axis', x: 0, y: H + 12 }, 'byte 0'));
  svg.appendChild(h('svg:text', { class: 'al-axis', x: W, y: H + 12, 'text-anchor': 'end' }, `byte ${notes.length - 1}`));
  return h('div', { class: 'scroll-x' }, svg);
}

function panel(title, id, ...kids) {
  return h('section', { class: 'an-card', id }, h('h3', null, title), ...kids);
}

function select(s, btn) {
  stop();
  S.sample = s;
  S.notes = notesOf(s.raw_hex);
  for (const b of S.list.querySelectorAll('button[aria-pressed]')) b.setAttribute('aria-pressed', 'false');
  btn.setAttribute('aria-pressed', 'true');
  S.play.disabled = !S.notes.length;
  const dec = parseJSON(s.decoded_json, {}) || {};
  const path = parseJSON(s.path_json, []) || [];
  const noteRows = S.notes.map((n) => h('tr', { dataset: { note: String(n.i) } },
    h('td', { class: 'num' }, String(n.i)),
    h('td', { class: 'mono' }, '0x' + n.byte.toString(16).padStart(2, '0')),
    h('td', null, n.name),
    h('td', { class: 'num' }, `${n.freq.toFixed(1)}`),
    h('td', { class: 'num' }, String(n.beats)),
    h('td', null, h('button', { type: 'button', class: 'btn al-note', 'aria-label': `Play note ${n.i} (${n.name})`, onclick: () => playOne(n) }, '▶'))));
  clear(S.out).append(
    h('div', { class: 'an-grid' },
      panel('📦 Packet Data', 'al-data', h('dl', { class: 'kv' },
        h('dt', null, 'Hash'), h('dd', null, h('a', { class: 'mono', href: `#/packets/${encodeURIComponent(s.hash)}` }, s.hash)),
        h('dt', null, 'Type'), h('dd', null, dec.type || typeName(s.payload_type)),
        h('dt', null, 'Size'), h('dd', null, `${(s.raw_hex || '').length / 2} bytes`),
        h('dt', null, 'Observations'), h('dd', null, num(s.observation_count)),
        h('dt', null, 'Hops'), h('dd', null, String(Array.isArray(path) ? path.length : 0)),
        h('dt', null, 'Seen'), h('dd', null, ago(s.timestamp))),
      h('p', { class: 'mono al-hex' }, s.raw_hex || '')),
      panel('🎵 Sound Mapping', 'al-mapping', h('ul', { class: 'al-map-list' },
        h('li', null, `Each byte of the raw packet is one note (first ${MAX_NOTES} bytes).`),
        h('li', null, 'Pitch: byte value modulo 15 picks a step of the C major pentatonic scale over three octaves (C3–A5).'),
        h('li', null, 'Length: bits 4–5 of the byte give ½, 1, 1 or 2 beats; one beat = 60 / BPM ÷ speed seconds.'),
        h('li', null, 'Loudness: bits 6–7 of the byte (four levels), scaled by the Volume slider.'),
        h('li', null, 'Voice: the oscillator waveform chosen above.')))),
    panel('🎹 Note Sequence', 'al-notes', h('div', { class: 'scroll-x al-notes-scroll' }, h('table', { class: 'tbl', id: 'al-note-table' },
      h('caption', { class: 'sr-only' }, 'Notes of this packet'),
      h('thead', null, h('tr', null, ...['#', 'Byte', 'Note', 'Hz', 'Beats', 'Play'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, noteRows)))),
    panel('📊 Byte Visualizer', 'al-viz', byteViz(S.notes)));
  S.out.dataset.notes = String(S.notes.length);
  S.out.dataset.plays = String(S.plays);
}

function sidebar(buckets) {
  const names = Object.keys(buckets).sort();
  if (!names.length) return empty('No packets in memory yet: samples appear once the server has received traffic.');
  let first = null;
  const groups = names.map((name) => h('div', { class: 'al-group' },
    h('h3', null, name, h('span', { class: 'muted' }, ` (${buckets[name].length})`)),
    h('ul', null, buckets[name].map((s) => {
      const b = h('button', { type: 'button', class: 'al-sample', 'aria-pressed': 'false', dataset: { hash: s.hash } },
        h('span', { class: 'mono' }, String(s.hash).slice(0, 8)), ` ${(s.raw_hex || '').length / 2} B`);
      b.addEventListener('click', () => select(s, b));
      if (!first) first = () => select(s, b);
      return h('li', null, b);
    }))));
  S.selectFirst = first;
  return h('div', null, ...groups);
}

export async function mount(el) {
  S = { ac: null, master: null, voices: [], hlTimers: [], playing: false, plays: 0, sample: null, notes: [] };
  S.play = h('button', { type: 'button', class: 'btn', id: 'al-play', 'aria-pressed': 'false', disabled: true, onclick: () => play() }, '▶ Play');
  S.loop = h('button', { type: 'button', class: 'btn', id: 'al-loop', 'aria-pressed': 'false' }, '🔁 Loop');
  S.loop.addEventListener('click', () => S.loop.setAttribute('aria-pressed', S.loop.getAttribute('aria-pressed') === 'true' ? 'false' : 'true'));
  S.speed = h('select', { id: 'al-speed', 'aria-label': 'Speed' }, ['0.25', '1', '2', '4'].map((v) => h('option', { value: v, selected: v === '1' }, `${v}x`)));
  S.bpm = h('input', { type: 'range', id: 'al-bpm', min: '30', max: '300', step: '1', value: '120', 'aria-label': 'Tempo (BPM)' });
  S.bpmOut = h('output', { for: 'al-bpm', id: 'al-bpm-out' }, '120 BPM');
  S.bpm.addEventListener('input', () => { S.bpmOut.textContent = `${S.bpm.value} BPM`; });
  S.vol = h('input', { type: 'range', id: 'al-vol', min: '0', max: '100', step: '1', value: '60', 'aria-label': 'Volume (%)' });
  S.vol.addEventListener('input', () => { if (S.master) S.master.gain.value = S.vol.value / 100; });
  S.voice = h('select', { id: 'al-voice', 'aria-label': 'Voice' }, [['sine', 'Sine'], ['triangle', 'Triangle'], ['square', 'Square'], ['sawtooth', 'Sawtooth']].map(([v, l]) => h('option', { value: v }, l)));
  S.msg = h('p', { class: 'perf-msg', role: 'status', id: 'al-msg' });
  S.list = h('nav', { class: 'al-side', 'aria-label': 'Sample packets' }, h('p', { class: 'loading' }, 'Loading sample packets…'));
  S.out = h('div', { class: 'al-main', id: 'al-out', 'aria-live': 'polite' }, empty('Pick a sample packet on the left, then press ▶ Play. Nothing plays until you do.'));
  el.appendChild(h('section', { class: 'page tools-page audio-lab' },
    h('h1', null, '🎵 Audio Lab'),
    h('div', { class: 'al-controls', role: 'group', 'aria-label': 'Playback' },
      S.play, S.loop,
      h('label', { class: 'an-filter' }, 'Speed ', S.speed),
      h('label', { class: 'an-filter' }, 'BPM ', S.bpm, S.bpmOut),
      h('label', { class: 'an-filter' }, 'Volume ', S.vol),
      h('label', { class: 'an-filter' }, 'Voice ', S.voice)),
    S.msg,
    h('div', { class: 'al-layout' }, S.list, S.out)));
  let r;
  try { r = await api('/audio-lab/buckets'); } catch (e) { if (S) clear(S.list).appendChild(failure(e, 'The sample packets', () => { unmount(); clear(el); mount(el); })); return; }
  if (!S) return;
  clear(S.list).appendChild(sidebar((r && r.buckets) || {}));
  if (S.selectFirst) S.selectFirst();
}

export function unmount() {
  if (!S) return;
  stop();
  if (S.ac) S.ac.close().catch(() => {});
  S = null;
}
