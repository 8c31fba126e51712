// Overview tab: headline numbers from /api/analytics/rf, /topology and /channels (same filters),
// packets per hour, payload type mix and hop count distribution.
import { h } from '../../dom.js';
import { get, card, stat, stats, grid, empty, hourLabel, num, fixed } from './common.js';
import { bars, hbars, sparkline } from './charts.js';

const TYPE_COLORS = ['#e5534b', '#f0a020', '#46c25a', '#4a8eff', '#9b5de5', '#e0529c', '#3fb9a5', '#8a8f98'];

export async function render(ctx) {
  let rf; let topo; let ch;
  try {
    [rf, topo, ch] = await Promise.all([get('/analytics/rf', ctx.q), get('/analytics/topology', ctx.q), get('/analytics/channels', ctx.q)]);
  } catch (e) {
    ctx.el.appendChild(ctx.failure(e, 'Mesh overview data'));
    return;
  }
  const pph = rf.packetsPerHour || [];
  const sn = rf.snr || {}; const rs = rf.rssi || {};
  ctx.el.appendChild(stats(
    stat('Total Transmissions', num(rf.totalTransmissions), `${num(rf.totalAllPackets)} observations`,
      sparkline(pph.map((p) => p.count), { label: 'Transmissions per hour trend' })),
    stat('Observations with Signal', num(rf.totalPackets), 'SNR recorded'),
    stat('Unique Nodes', num(topo.uniqueNodes), 'active in the last 7 days'),
    stat('Avg SNR', rf.totalPackets ? `${fixed(sn.avg)} dB` : '—', rf.totalPackets ? `${fixed(sn.min)} to ${fixed(sn.max)} dB` : 'no signal data'),
    stat('Avg RSSI', rf.totalPackets ? `${fixed(rs.avg, 0)} dBm` : '—', rf.totalPackets ? `${fixed(rs.min, 0)} to ${fixed(rs.max, 0)} dBm` : 'no signal data'),
    stat('Avg Hops', fixed(topo.avgHops), `max ${num(topo.maxHops)}`),
    stat('Active Channels', num(ch.activeChannels), `${num(ch.decryptable)} decryptable`),
    stat('Avg Packet Size', rf.avgPacketSize ? `${num(rf.avgPacketSize)} B` : '—', rf.maxPacketSize ? `${num(rf.minPacketSize)}–${num(rf.maxPacketSize)} B` : ''),
    stat('Data Span', `${fixed(rf.timeSpanHours)} h`, 'first to last packet')));
  const W = ctx.width('full'); const W2 = ctx.width('half');
  ctx.el.appendChild(card('📈 Packets / Hour', 'Transmissions heard per hour (UTC) — shows daily rhythm and outages.',
    pph.length ? bars({
      data: pph.map((p) => ({ label: hourLabel(p.hour), value: p.count, tip: `${p.hour}:00 UTC: ${p.count} packets` })),
      width: W, height: 240, xLabel: 'Hour (UTC, day hour)', yLabel: 'Packets', label: `Packets per hour, ${pph.length} hours`,
    }) : empty('No packets in this window.'), { id: 'overview-pph', chart: 'packets-per-hour' }));
  const types = rf.payloadTypes || [];
  const hops = topo.hopDistribution || [];
  ctx.el.appendChild(grid(
    card('📦 Payload Type Mix', 'Share of transmissions by payload type.',
      types.length ? hbars(types.map((t, i) => ({ label: t.name, value: t.count, color: TYPE_COLORS[i % TYPE_COLORS.length] })), { label: 'Payload type mix' })
        : empty('No packets in this window.'), { id: 'overview-types', chart: 'payload-types' }),
    card('🔗 Hop Count Distribution', 'How many repeater hops packets took to reach an observer.',
      hops.length ? bars({
        data: hops.map((d) => ({ label: String(d.hops), value: d.count, tip: `${d.hops} hops: ${d.count} packets` })),
        width: W2, xLabel: 'Hops', yLabel: 'Packets', label: `Hop count distribution, ${hops.length} bars`,
      }) : empty('No relayed packets in this window.'), { id: 'overview-hops', chart: 'hop-distribution' })));
  ctx.el.appendChild(h('p', { class: 'an-note' }, 'Data is recomputed by the server every few minutes; filters (region, area, window) apply to every number on this tab.'));
}
