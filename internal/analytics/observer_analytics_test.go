package analytics

import (
	"testing"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// TestObserverAnalyticsMatchesSQL: packets per bucket, packet types and the
// SNR distribution of each window agree with SQL over the same file.
func TestObserverAnalyticsMatchesSQL(t *testing.T) {
	m := newHandMesh(t)
	st := m.run(t)
	d := m.sqlDB(t)
	obsRow := observerByIdx(t, st, d)
	for _, days := range []int{1, 3, 7} {
		id := m.obs[0]
		width, _ := observerBucket(days)
		n, first := observerWindow(m.now, days)
		from := time.UnixMilli(first * width.Milliseconds())
		var o *store.Observer
		for idx := int64(1); idx < 10; idx++ {
			if r := obsRow(idx); r != nil && r.ID == id {
				o = r
			}
		}
		got := ComputeObserverAnalytics(o, st.ObserverObservations(id, 0), m.now, days)

		// SQL: observations per bucket start.
		rows, err := d.Query(`SELECT (o.timestamp / ?) * ?, COUNT(*) FROM observations o JOIN observers ob ON ob.rowid = o.observer_idx
			WHERE ob.id = ? AND o.timestamp >= ? AND o.timestamp <= ? GROUP BY 1`,
			int64(width.Seconds()), int64(width.Seconds()), id, from.Unix(), m.now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		total := 0
		_, layout := observerBucket(days)
		for rows.Next() {
			var start int64
			var n int
			if err := rows.Scan(&start, &n); err != nil {
				t.Fatal(err)
			}
			want[time.Unix(start, 0).UTC().Format(layout)] += n
			total += n
		}
		rows.Close()
		sum := 0
		for _, b := range got.Timeline {
			sum += b.Count
			if b.Count != want[b.Label] {
				t.Errorf("days=%d bucket %s: %d observations, SQL says %d", days, b.Label, b.Count, want[b.Label])
			}
		}
		if sum != total || total == 0 {
			t.Errorf("days=%d: %d observations in the timeline, SQL %d", days, sum, total)
		}
		if wantN := int(float64(days*24*3600) / width.Seconds()); len(got.Timeline) != wantN || n != wantN {
			t.Errorf("days=%d: %d buckets, want every bucket of the window (%d)", days, len(got.Timeline), wantN)
		}
		labels := map[string]bool{}
		for _, b := range got.Timeline {
			if labels[b.Label] {
				t.Errorf("days=%d: label %s twice", days, b.Label)
			}
			labels[b.Label] = true
		}
		var adverts, txt int
		if err := d.QueryRow(`SELECT SUM(t.payload_type = 4), SUM(t.payload_type = 2) FROM observations o JOIN transmissions t ON t.id = o.transmission_id
			JOIN observers ob ON ob.rowid = o.observer_idx WHERE ob.id = ? AND o.timestamp >= ?`, id, from.Unix()).Scan(&adverts, &txt); err != nil {
			t.Fatal(err)
		}
		if got.PacketTypes["4"] != adverts || got.PacketTypes["2"] != txt {
			t.Errorf("days=%d packet types %v, SQL adverts %d txt %d", days, got.PacketTypes, adverts, txt)
		}
		// SNR of observer 0 is 5+node: node 0 → "4 to 6", 1,2 → "6 to 8", 3 → "8 to 10".
		snr := map[string]int{}
		for _, r := range got.SNRDistribution {
			snr[r.Range] = r.Count
		}
		if snr["4 to 6"] != adverts/4 || snr["6 to 8"] != adverts/2 || snr["8 to 10"] != adverts/4 {
			t.Errorf("days=%d snr distribution %v (adverts %d)", days, got.SNRDistribution, adverts)
		}
		// Nodes per bucket: the 4 advertisers plus the message's 2 hashes and hop.
		for _, b := range got.NodesTimeline {
			if b.Count != 0 && b.Count != 4+3 {
				t.Errorf("days=%d nodes in %s = %d, want 7", days, b.Label, b.Count)
				break
			}
		}
		if len(got.RecentPackets) != 20 || got.RecentPackets[0].Timestamp < got.RecentPackets[19].Timestamp ||
			*got.RecentPackets[0].ObserverID != id {
			t.Errorf("days=%d recent packets: %d, first %+v", days, len(got.RecentPackets), got.RecentPackets[0])
		}
	}
}

// TestObserverClockSkewCalibration: the slow observer's offset is measured
// and the others read zero.
func TestObserverClockSkewCalibration(t *testing.T) {
	m := newHandMesh(t)
	st := m.run(t)
	d := m.sqlDB(t)
	list, offsets := ComputeObserverSkews(st.Transmissions(), observerByIdx(t, st, d))
	if len(list) != 3 {
		t.Fatalf("observers = %+v", list)
	}
	if list[0].ObserverID != m.obs[1] || list[0].OffsetSec != lateSec || list[1].OffsetSec != 0 || list[2].OffsetSec != 0 {
		t.Fatalf("offsets = %+v", list)
	}
	var shared int
	if err := d.QueryRow(`SELECT COUNT(*) FROM transmissions t WHERE (SELECT COUNT(DISTINCT observer_idx) FROM observations o WHERE o.transmission_id = t.id) >= 2`).Scan(&shared); err != nil {
		t.Fatal(err)
	}
	if list[0].Samples != shared {
		t.Fatalf("samples = %d, SQL packets heard by ≥ 2 observers = %d", list[0].Samples, shared)
	}
	if len(offsets) != 3 {
		t.Fatalf("offsets map = %v", offsets)
	}
}
