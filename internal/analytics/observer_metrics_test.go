package analytics

import (
	"math"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// TestObserverMetricsRatesAndReboots writes cumulative counters with a gap
// and a reboot through db.Writer, and checks the derived rates against a
// naive computation over the same samples.
func TestObserverMetricsRatesAndReboots(t *testing.T) {
	m := newHandMesh(t)
	id := m.obs[0]
	start := m.now.Add(-3 * time.Hour)
	type raw struct {
		at               time.Time
		tx, rx, err, rcv int64
		nf               float64
	}
	var rows []raw
	tx, rx, er, rc := int64(1000), int64(5000), int64(10), int64(900)
	for k := 0; k < 24; k++ {
		at := start.Add(time.Duration(k) * 5 * time.Minute)
		if k >= 10 && k < 14 {
			continue // a 25-minute gap: the first sample after it has no rates
		}
		if k == 18 {
			tx, rx, er, rc = 3, 20, 0, 4 // rebooted: counters restart
		} else {
			tx, rx, er, rc = tx+int64(6*k%30), rx+int64(30+k), er+int64(k%3), rc+int64(20+k)
		}
		rows = append(rows, raw{at, tx, rx, er, rc, -115 + float64(k%4)})
	}
	var b db.Batch
	for _, r := range rows {
		r := r
		b.Metrics = append(b.Metrics, db.Metrics{ObserverID: id, At: r.at, TxAirSecs: &r.tx, RxAirSecs: &r.rx, RecvErrors: &r.err, PacketsRecv: &r.rcv, NoiseFloor: &r.nf})
	}
	m.write(t, b)
	st := m.run(t)
	got := ComputeObserverMetrics(id, nil, st.Metrics().Samples(id), start, m.now, 0, 5*time.Minute)
	if len(got.Metrics) != len(rows) {
		t.Fatalf("%d points, wrote %d", len(got.Metrics), len(rows))
	}
	if len(got.Reboots) != 1 || got.Reboots[0] != start.Add(18*5*time.Minute).Format(time.RFC3339) {
		t.Fatalf("reboots = %v", got.Reboots)
	}
	for i, p := range got.Metrics {
		r := rows[i]
		if p.Timestamp != r.at.Format(time.RFC3339) || *p.TxAirSecs != r.tx || *p.NoiseFloor != r.nf {
			t.Fatalf("point %d = %+v, wrote %+v", i, p, r)
		}
		if i == 0 {
			if p.TxAirtimePct != nil {
				t.Errorf("first point has rates")
			}
			continue
		}
		prev := rows[i-1]
		dt := r.at.Sub(prev.at).Seconds()
		if dt > 600 || r.tx < prev.tx {
			if p.TxAirtimePct != nil || p.RecvErrorRate != nil {
				t.Errorf("point %d after a gap/reboot has rates: %+v", i, p)
			}
			if (r.tx < prev.tx) != p.IsRebootSample {
				t.Errorf("point %d reboot flag %v", i, p.IsRebootSample)
			}
			continue
		}
		wantTx := math.Round(math.Min(100, float64(r.tx-prev.tx)*100/dt)*100) / 100
		wantRx := math.Round(math.Min(100, float64(r.rx-prev.rx)*100/dt)*100) / 100
		de, dr := float64(r.err-prev.err), float64(r.rcv-prev.rcv)
		wantErr := math.Round(de*100/(de+dr)*100) / 100
		if p.TxAirtimePct == nil || *p.TxAirtimePct != wantTx || *p.RxAirtimePct != wantRx || *p.RecvErrorRate != wantErr {
			t.Errorf("point %d rates tx %v rx %v err %v, want %v %v %v", i, p.TxAirtimePct, p.RxAirtimePct, p.RecvErrorRate, wantTx, wantRx, wantErr)
		}
	}
	// Hourly: the last sample of each hour (09:45 before the gap, 10:55 after
	// the reboot, whose counters are lower: flagged).
	hourly := ComputeObserverMetrics(id, nil, st.Metrics().Samples(id), start, m.now, time.Hour, 5*time.Minute)
	if len(hourly.Metrics) != 2 || hourly.Metrics[0].Timestamp != start.Add(45*time.Minute).Format(time.RFC3339) ||
		hourly.Metrics[1].Timestamp != start.Add(115*time.Minute).Format(time.RFC3339) || !hourly.Metrics[1].IsRebootSample {
		t.Fatalf("hourly = %+v", hourly.Metrics)
	}

	// Summary: noise floor stats over the same samples.
	sum := ComputeMetricsSummary(st.ObserverRows(), st.Metrics(), "sjc", start, m.now)
	if len(sum.Observers) != 1 || sum.Observers[0].ObserverID != id {
		t.Fatalf("summary = %+v", sum)
	}
	s := sum.Observers[0]
	total, maxNF := 0.0, math.Inf(-1)
	for _, r := range rows {
		total += r.nf
		maxNF = math.Max(maxNF, r.nf)
	}
	if s.SampleCount != len(rows) || len(s.Sparkline) != len(rows) || *s.MaxNoiseFloor24h != maxNF ||
		*s.AvgNoiseFloor24h != math.Round(total/float64(len(rows))*10)/10 || *s.CurrentNoiseFloor != rows[len(rows)-1].nf {
		t.Errorf("summary %+v", s)
	}
	if other := ComputeMetricsSummary(st.ObserverRows(), st.Metrics(), "OAK", start, m.now); len(other.Observers) != 0 {
		t.Errorf("OAK summary = %+v", other)
	}
}
