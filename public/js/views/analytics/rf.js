// RF / Signal tab (/api/analytics/rf): SNR and RSSI histograms, SNR vs RSSI scatter, SNR by
// payload type, signal quality over time (SNR line + packet volume) and packet sizes.
import { get, card, grid, empty, hourMs, fixed } from './common.js';
import { histogram, scatter, bars, line, legend } from './charts.js';

export async function render(ctx) {
  let rf;
  try { rf = await get('/analytics/rf', ctx.q); } catch (e) { ctx.el.appendChild(ctx.failure(e, 'RF statistics')); return; }
  const W2 = ctx.width('half'); const W = ctx.width('full');
  const none = 'No observations with signal data in this window.';
  const snrB = (rf.snrValues && rf.snrValues.bins) || [];
  const rssiB = (rf.rssiValues && rf.rssiValues.bins) || [];
  const sizeB = (rf.packetSizes && rf.packetSizes.bins) || [];
  const sc = rf.scatterData || [];
  const byType = rf.snrByType || [];
  const sot = rf.signalOverTime || [];
  ctx.el.appendChild(grid(
    card('📶 SNR Distribution', `Signal-to-noise ratio of ${rf.totalPackets || 0} observations (higher is better; below about −7 dB LoRa starts losing packets).`,
      snrB.length ? histogram(rf.snrValues, { width: W2, xLabel: 'SNR (dB)', yLabel: 'Observations', unit: 'dB', label: `SNR histogram, ${snrB.length} bins` }) : empty(none),
      { id: 'rf-snr', chart: 'snr-histogram' }),
    card('📡 RSSI Distribution', 'Received signal strength of the same observations.',
      rssiB.length ? histogram(rf.rssiValues, { width: W2, decimals: 0, xLabel: 'RSSI (dBm)', yLabel: 'Observations', unit: 'dBm', label: `RSSI histogram, ${rssiB.length} bins` }) : empty(none),
      { id: 'rf-rssi', chart: 'rssi-histogram' }),
    card('🔬 SNR vs RSSI', `Each dot is one observation (down-sampled to ${sc.length}); strong but noisy links sit bottom right.`,
      sc.length ? scatter({
        points: sc.map((p) => ({ x: p.rssi, y: p.snr, tip: `RSSI ${p.rssi} dBm, SNR ${p.snr} dB` })),
        width: W2, xLabel: 'RSSI (dBm)', yLabel: 'SNR (dB)', label: `SNR versus RSSI scatter, ${sc.length} points`,
      }) : empty(none), { id: 'rf-scatter', chart: 'snr-rssi-scatter' }),
    card('🧩 SNR by Payload Type', 'Average SNR per payload type (hover a bar for min, max and count).',
      byType.length ? bars({
        data: byType.map((t) => ({ label: t.name, value: +fixed(t.avg, 2), tip: `${t.name}: avg ${fixed(t.avg)} dB (min ${fixed(t.min)}, max ${fixed(t.max)}), ${t.count} observations` })),
        width: W2, xLabel: 'Payload type', yLabel: 'Avg SNR (dB)', label: `Average SNR by payload type, ${byType.length} types`,
      }) : empty(none), { id: 'rf-bytype', chart: 'snr-by-type' }),
    card('📈 Signal Quality Over Time', 'Hourly average SNR (line) with packet volume (grey bars, right scale).',
      sot.length ? [line({
        series: [{ name: 'Avg SNR (dB)', points: sot.map((p) => [hourMs(p.hour), p.avgSnr]) }],
        bars2: sot.map((p) => ({ x: hourMs(p.hour), value: p.count })), y2Label: 'Packets',
        width: W, time: true, xLabel: 'Time (UTC)', yLabel: 'Avg SNR (dB)', label: `Signal quality over time, ${sot.length} hours`,
      }), legend([{ name: 'Avg SNR (dB)' }, { name: 'Packets per hour', color: 'var(--text-muted)' }])] : empty(none),
      { id: 'rf-time', chart: 'signal-over-time', full: true }),
    card('📦 Packet Size Distribution', `Raw packet sizes (${rf.minPacketSize || 0}–${rf.maxPacketSize || 0} bytes, average ${rf.avgPacketSize || 0} B).`,
      sizeB.length ? histogram(rf.packetSizes, { width: W, decimals: 0, xLabel: 'Packet size (bytes)', yLabel: 'Transmissions', unit: 'B', label: `Packet size histogram, ${sizeB.length} bins` }) : empty('No packets in this window.'),
      { id: 'rf-sizes', chart: 'packet-sizes', full: true })));
}
