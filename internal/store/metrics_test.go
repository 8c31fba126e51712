package store

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// sqlMetrics reads an observer's samples straight from the SQLite file: the
// independent side of the comparisons below.
func sqlMetrics(t *testing.T, d *sql.DB, id string) map[int64][2]sql.NullInt64 {
	t.Helper()
	rows, err := d.Query(`SELECT timestamp, battery_mv, tx_air_secs FROM observer_metrics WHERE observer_id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][2]sql.NullInt64{}
	for rows.Next() {
		var ts string
		var b, tx sql.NullInt64
		if err := rows.Scan(&ts, &b, &tx); err != nil {
			t.Fatal(err)
		}
		out[parseTimeMs(ts)/1000] = [2]sql.NullInt64{b, tx}
	}
	return out
}

func metricsEqual(t *testing.T, s *Store, d *sql.DB, id string) bool {
	want := sqlMetrics(t, d, id)
	got := s.Metrics().Samples(id)
	if len(got) != len(want) {
		return false
	}
	for i, m := range got {
		if i > 0 && got[i-1].At >= m.At {
			t.Fatalf("samples not ascending at %d", i)
		}
		w, ok := want[m.At]
		if !ok || w[0].Valid != m.Value(MetricBatteryMV).Valid || w[0].Int64 != m.Value(MetricBatteryMV).V ||
			w[1].Valid != m.Value(MetricTxAirSecs).Valid || w[1].Int64 != m.Value(MetricTxAirSecs).V {
			return false
		}
	}
	return true
}

func metricsBatch(id string, at time.Time, n int, battery int) db.Batch {
	var b db.Batch
	for i := 0; i < n; i++ {
		bat := battery + i
		tx := int64(100 * i)
		nf := -110.0 + float64(i%5)
		b.Metrics = append(b.Metrics, db.Metrics{ObserverID: id, At: at.Add(time.Duration(i) * 5 * time.Minute),
			BatteryMv: &bat, TxAirSecs: &tx, NoiseFloor: &nf})
	}
	return b
}

// TestMetricsLoadAndSync: the store holds exactly the observer_metrics rows of
// the file, through the initial load, new buckets, a replaced current bucket
// (the ingestor's INSERT OR REPLACE) and retention deleting old rows.
func TestMetricsLoadAndSync(t *testing.T) {
	e := newTestEnv(t)
	id := testObservers[0].id
	e.write(metricsBatch(id, e.base, 12, 4000))
	s := e.start(Config{NodeReloadInterval: 50 * time.Millisecond})
	waitReady(t, s)
	eventually(t, "initial metrics", func() bool { return metricsEqual(t, s, e.w.DB(), id) })
	if got := len(s.Metrics().Samples("obsaaaa1")); got != 12 {
		t.Fatalf("case-insensitive lookup: %d samples", got)
	}
	if nf := s.Metrics().Samples(id)[3].NoiseFloor(); !nf.Valid || nf.V != -107 {
		t.Fatalf("noise floor = %+v", nf)
	}

	// New buckets plus a replaced newest bucket.
	gen := s.Generation()
	last := e.base.Add(11 * 5 * time.Minute)
	bat := 3000
	e.write(db.Batch{Metrics: []db.Metrics{{ObserverID: id, At: last, BatteryMv: &bat}}})
	e.write(metricsBatch(id, last.Add(5*time.Minute), 3, 3900))
	eventually(t, "synced metrics", func() bool { return metricsEqual(t, s, e.w.DB(), id) })
	if s.Generation() == gen {
		t.Fatal("generation did not move with new metrics")
	}
	if got := s.Metrics().Samples(id)[11].Value(MetricBatteryMV); got.V != 3000 || s.Metrics().Samples(id)[11].Value(MetricTxAirSecs).Valid {
		t.Fatalf("replaced bucket = %+v", s.Metrics().Samples(id)[11])
	}

	// Retention: the ingestor deletes old rows; the full reload drops them.
	if _, err := e.w.DB().Exec(`DELETE FROM observer_metrics WHERE timestamp < ?`, e.base.Add(20*time.Minute).Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pruned metrics", func() bool { return metricsEqual(t, s, e.w.DB(), id) })
}

// TestMetricsConcurrentReadsDuringSync: readers walk the published samples
// while the sync appends and replaces buckets (run with -race).
func TestMetricsConcurrentReadsDuringSync(t *testing.T) {
	e := newTestEnv(t)
	s := e.start(Config{})
	waitReady(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				set := s.Metrics()
				for _, id := range set.ObserverIDs() {
					var sum int64
					for _, m := range set.Samples(id) {
						sum += m.Value(MetricBatteryMV).V + m.At
					}
					_ = sum
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		at := e.base.Add(time.Duration(i/2) * 5 * time.Minute) // every bucket written twice
		e.write(metricsBatch(testObservers[i%3].id, at, 1, 3500+i))
	}
	for _, o := range testObservers {
		eventually(t, "metrics of "+o.id, func() bool { return metricsEqual(t, s, e.w.DB(), o.id) })
	}
	cancel()
	wg.Wait()
}

// TestSetNodeScoresJoinRows: republishing equal scores (new map, new
// pointers) reports no change and leaves the generation alone; a change
// moves it and shows on the node rows.
func TestSetNodeScoresJoinRows(t *testing.T) {
	e := newTestEnv(t)
	s := e.start(Config{})
	waitReady(t, s)
	mk := func(share float64) map[string]NodeScores {
		v, b := share, 0.5
		return map[string]NodeScores{testRepeaters[0]: {TrafficShare: &v, Bridge: &b, MultiByteStatus: "unknown", MultiByteMaxHashSize: 1}}
	}
	if !s.SetNodeScores(mk(0.25)) {
		t.Fatal("first publication reported unchanged")
	}
	g := s.Generation()
	if s.SetNodeScores(mk(0.25)) || s.Generation() != g {
		t.Fatalf("equal scores moved the generation %d → %d", g, s.Generation())
	}
	if !s.SetNodeScores(mk(0.5)) || s.Generation() == g {
		t.Fatal("changed scores did not move the generation")
	}
	if n := s.Nodes(NodeQuery{Role: "repeater", Limit: 10}); len(n.Nodes) == 0 {
		t.Fatal("no repeaters")
	} else {
		for _, j := range n.Nodes {
			if j.PublicKey == testRepeaters[0] && (j.TrafficShareScore == nil || *j.TrafficShareScore != 0.5 || *j.UsefulnessScore != 0.5 || *j.BridgeScore != 0.5 || *j.MultiByteStatus != "unknown") {
				t.Fatalf("row %+v", j)
			}
		}
	}
}
