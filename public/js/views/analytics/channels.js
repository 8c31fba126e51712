// Channels tab (/api/analytics/channels): activity table, messages per hour by channel, top
// senders and message length distribution.
import { h } from '../../dom.js';
import { get, card, grid, empty, sortTable, hourMs, num } from './common.js';
import { line, legend, hbars, histogram, PALETTE } from './charts.js';
import { ago, absTime } from '../../format.js';

/** lengthHist bins message lengths (client side: the API sends one int per message). */
function lengthHist(lengths) {
  if (!lengths.length) return { bins: [] };
  const max = Math.max(...lengths);
  const w = Math.max(5, Math.ceil((max + 1) / 20 / 5) * 5);
  const bins = [];
  for (let x = 0; x <= max; x += w) bins.push({ x, w, count: 0 });
  for (const l of lengths) bins[Math.min(bins.length - 1, Math.floor(l / w))].count++;
  return { bins };
}

export async function render(ctx) {
  let c;
  try { c = await get('/analytics/channels', ctx.q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'Channel statistics')); return; }
  const chans = c.channels || [];
  ctx.el.appendChild(h('p', { class: 'an-note' }, `${num(c.activeChannels)} active channels, ${num(c.decryptable)} decryptable with the server's keys.`));
  ctx.el.appendChild(card('💬 Channel Activity', 'Group channels by message count; encrypted channels are those the server has no key for.',
    chans.length ? sortTable([
      { key: 'name', label: 'Name', fmt: (r) => (r.encrypted ? `🔒 ${r.name}` : h('a', { href: `#/channels/${encodeURIComponent(r.name)}` }, String(r.name))) },
      { key: 'hash', label: 'Hash', fmt: (r) => h('span', { class: 'mono' }, String(r.hash)) },
      { key: 'messages', label: 'Messages', num: true },
      { key: 'senders', label: 'Senders', num: true },
      { key: 'lastActivity', label: 'Last Activity', fmt: (r) => h('span', { title: absTime(r.lastActivity) }, ago(r.lastActivity)) },
      { key: 'encrypted', label: 'Encrypted', fmt: (r) => (r.encrypted ? 'yes' : 'no') },
    ], chans, { caption: 'Channel activity', sort: 'messages', id: 'channels-table' }) : empty('No channel messages in this window.'), { id: 'ch-activity' }));
  // Messages / hour: the 6 busiest channels as lines, one point per hour that channel was active.
  const top = chans.slice().sort((a, b) => b.messages - a.messages).slice(0, 6).map((x) => x.name);
  const bySeries = new Map(top.map((n) => [n, []]));
  for (const p of c.channelTimeline || []) if (bySeries.has(p.channel)) bySeries.get(p.channel).push([hourMs(p.hour), p.count]);
  const series = top.map((n, i) => ({ name: n, color: PALETTE[i], points: bySeries.get(n) })).filter((s) => s.points.length);
  const senders = c.topSenders || [];
  const lens = c.msgLengths || [];
  ctx.el.appendChild(grid(
    card('📈 Messages / Hour by Channel', `Hourly messages of the ${series.length} busiest channels (UTC).`,
      series.length ? [line({ series, width: ctx.width('full'), time: true, xLabel: 'Time (UTC)', yLabel: 'Messages / hour', label: `Messages per hour for ${series.length} channels` }),
        series.length > 1 ? legend(series) : null] : empty('No channel messages in this window.'), { id: 'ch-timeline', chart: 'channel-timeline', full: true }),
    card('🗣️ Top Senders', 'Most active senders in decrypted channel messages.',
      senders.length ? hbars(senders.map((s) => ({ label: s.name, value: s.count, text: num(s.count) })), { label: 'Top senders' })
        : empty('No decrypted messages with a sender in this window.'), { id: 'ch-senders', chart: 'top-senders' }),
    card('📏 Message Length Distribution', `Length of ${lens.length} decrypted messages, in characters.`,
      lens.length ? histogram(lengthHist(lens), { width: ctx.width('half'), decimals: 0, xLabel: 'Message length (characters)', yLabel: 'Messages', label: 'Message length histogram' })
        : empty('No decrypted messages in this window.'), { id: 'ch-lengths', chart: 'message-lengths' })));
}
