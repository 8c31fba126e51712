package analytics

import (
	"database/sql"
	"math"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// TestNodeClockSkewKnownClocks: every node's skew is the clock offset it
// was built with, the slow observer calibrated away.
func TestNodeClockSkewKnownClocks(t *testing.T) {
	m := newHandMesh(t)
	st := m.run(t)
	d := m.sqlDB(t)
	obs := observerByIdx(t, st, d)
	_, offsets := ComputeObserverSkews(st.Transmissions(), obs)
	nodes := map[string]*store.Node{}
	for i, pk := range m.nodes {
		nodes[pk] = &store.Node{PublicKey: pk, Name: "n", Role: "repeater"}
		_ = i
	}
	var adverts []*store.Transmission
	for _, tx := range st.Transmissions() {
		if tx.PayloadType == 4 {
			adverts = append(adverts, tx)
		}
	}
	tbl := ComputeNodeClockSkews(adverts, offsets, func(pk string) *store.Node { return nodes[pk] }, nil, obs)
	if len(tbl.Fleet()) != len(m.nodes) {
		t.Fatalf("fleet = %d entries", len(tbl.Fleet()))
	}
	wantSev := []string{"ok", "ok", "critical", "absurd"}
	var perNode int
	if err := d.QueryRow(`SELECT COUNT(*) FROM transmissions WHERE from_pubkey = ?`, m.nodes[0]).Scan(&perNode); err != nil {
		t.Fatal(err)
	}
	for i, pk := range m.nodes {
		full := tbl.Node(pk)
		if full == nil {
			t.Fatalf("node %d missing", i)
		}
		s := float64(m.skews[i])
		if full.MedianSkewSec != s || full.MeanSkewSec != s || full.RecentMedianSkewSec != s || full.LastSkewSec != s {
			t.Errorf("node %d: skew %+v, want %v", i, full, s)
		}
		if full.Severity != wantSev[i] || !full.Calibrated || full.DriftPerDaySec != 0 {
			t.Errorf("node %d: severity %s calibrated %v drift %v", i, full.Severity, full.Calibrated, full.DriftPerDaySec)
		}
		if full.SampleCount != perNode || len(full.Samples) != perNode || full.CalibrationSummary.TotalSamples != 3*perNode {
			t.Errorf("node %d: %d samples, SQL %d adverts", i, full.SampleCount, perNode)
		}
		ev := full.RecentHashEvidence[0]
		if len(ev.Observers) != 3 || ev.MedianCorrectedSkewSec != s {
			t.Errorf("node %d evidence %+v", i, ev)
		}
		for _, e := range ev.Observers {
			if e.CorrectedSkewSec != s || (e.ObserverID == m.obs[1]) != (e.RawSkewSec == s-lateSec) {
				t.Errorf("node %d evidence observer %+v", i, e)
			}
		}
		if f := tbl.Fleet()[i]; f.Samples != nil || f.RecentHashEvidence != nil || f.CalibrationSummary != nil {
			t.Errorf("fleet entry carries the full form: %+v", f)
		}
	}
}

// TestNodeAnalyticsMatchesSQL: availability, packet counts, hop distribution
// and peers agree with SQL over the file.
func TestNodeAnalyticsMatchesSQL(t *testing.T) {
	m := newHandMesh(t)
	st := m.run(t)
	d := m.sqlDB(t)
	obs := observerByIdx(t, st, d)
	for _, days := range []int{1, 7} {
		from := m.now.Add(-time.Duration(days) * 24 * time.Hour)
		for _, i := range []int{0, 2} {
			pk := m.nodes[i]
			got := ComputeNodeAnalytics(NodeAnalyticsInput{
				Node: store.NodeJSON{PublicKey: pk}, Txs: st.NodeTransmissions(pk), Observer: obs,
				PeerName: func(p string) *string { return nil }, Now: m.now, Days: days,
			})
			// node 0 is only an advertiser; node 2 also relays the messages.
			q := `SELECT COUNT(*), COUNT(DISTINCT strftime('%Y-%m-%dT%H', first_seen)) FROM transmissions
				WHERE first_seen >= ? AND first_seen <= ? AND (from_pubkey = ? OR id IN (SELECT transmission_id FROM observations WHERE resolved_path LIKE '%' || ? || '%'))`
			var total, hours int
			if err := d.QueryRow(q, from.Format(time.RFC3339), m.now.Format(time.RFC3339), pk, pk).Scan(&total, &hours); err != nil {
				t.Fatal(err)
			}
			cs := got.ComputedStats
			if cs.TotalPackets != total || total == 0 {
				t.Errorf("node %d days %d: %d packets, SQL %d", i, days, cs.TotalPackets, total)
			}
			if want := math.Round(math.Min(100, float64(hours)*100/float64(days*24))*10) / 10; cs.AvailabilityPct != want {
				t.Errorf("node %d days %d: availability %v, SQL %v", i, days, cs.AvailabilityPct, want)
			}
			if cs.LongestSilenceMs != int64((time.Duration(20+map[int]int{0: 0, 2: -19}[i])*time.Minute).Milliseconds()) && i == 0 {
				t.Errorf("node 0 longest silence %d ms, want 20 min", cs.LongestSilenceMs)
			}
			relayed := 0
			for _, h := range got.HopDistribution {
				if h.Hops != "0" {
					relayed += h.Count
				}
			}
			wantRelayed := map[int]int{0: 0, 2: total / 2}[i]
			if relayed != wantRelayed {
				t.Errorf("node %d days %d: %d relayed (%+v), want %d", i, days, relayed, got.HopDistribution, wantRelayed)
			}
			if i == 0 && (cs.UniqueObservers != 3 || len(got.NodeObserverCoverage) != 3 || got.NodeObserverCoverage[0].PacketCount != total) {
				t.Errorf("node 0 coverage %+v", got.NodeObserverCoverage)
			}
			if i == 2 && (len(got.PeerInteractions) != 0) {
				t.Errorf("node 2 is neither end of the messages: peers %+v", got.PeerInteractions)
			}
		}
	}
}

// TestBatteryMatchesSQL: a node that is also an observer gets its
// observer_metrics battery readings, and the status follows the thresholds.
func TestBatteryMatchesSQL(t *testing.T) {
	m := newHandMesh(t)
	pk := m.nodes[0]
	var b db.Batch
	for k := 0; k < 40; k++ {
		mv := 3400 - 20*k
		b.Metrics = append(b.Metrics, db.Metrics{ObserverID: pk, At: m.now.Add(-time.Duration(k) * 3 * time.Hour), BatteryMv: &mv})
	}
	b.Observers = append(b.Observers, db.ObserverUpsert{ID: pk, Name: "node-0 as observer", Seen: m.now})
	m.write(t, b)
	st := m.run(t)
	d := m.sqlDB(t)
	th := NodeBatteryThresholds{LowMV: 3300, CriticalMV: 3000}
	for _, days := range []int{1, 7} {
		got := ComputeBattery(pk, st.Metrics().Samples(pk), th, days, m.now)
		rows, err := d.Query(`SELECT timestamp, battery_mv FROM observer_metrics WHERE observer_id = ? AND timestamp >= ? ORDER BY timestamp`,
			pk, m.now.Add(-time.Duration(days)*24*time.Hour).Format(time.RFC3339))
		if err != nil {
			t.Fatal(err)
		}
		var want []NodeBatterySample
		for rows.Next() {
			var s NodeBatterySample
			var mv sql.NullInt64
			if err := rows.Scan(&s.Timestamp, &mv); err != nil {
				t.Fatal(err)
			}
			s.BatteryMV = mv.Int64
			want = append(want, s)
		}
		rows.Close()
		if len(got.Samples) != len(want) || len(want) == 0 {
			t.Fatalf("days %d: %d samples, SQL %d", days, len(got.Samples), len(want))
		}
		for k := range want {
			if got.Samples[k] != want[k] {
				t.Fatalf("days %d sample %d = %+v, SQL %+v", days, k, got.Samples[k], want[k])
			}
		}
		if *got.LatestMV != 3400 || got.Status != "ok" || *got.LatestTS != want[len(want)-1].Timestamp {
			t.Errorf("latest %v %s %v", *got.LatestMV, got.Status, *got.LatestTS)
		}
	}
	// Four days back the battery read 3400-20*32 = 2760: critical then.
	old := ComputeBattery(pk, st.Metrics().Samples(pk), th, 1, m.now.Add(-4*24*time.Hour))
	if old.Status != "critical" || old.LatestMV == nil || *old.LatestMV != 2760 {
		t.Errorf("4 days ago: %+v", old)
	}
	if none := ComputeBattery(m.nodes[1], st.Metrics().Samples(m.nodes[1]), th, 7, m.now); none.Status != "unknown" || none.LatestMV != nil || len(none.Samples) != 0 {
		t.Errorf("node without metrics: %+v", none)
	}
}
