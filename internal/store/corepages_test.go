package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestNodeHealthShortKeyAndHeardByCountsTransmissions: a short link (8 hex chars) finds the
// node's health like GET /api/nodes/{prefix} does, and "Heard By" counts transmissions per
// observer (an observer hearing one packet over two paths counts it once), checked against SQL.
func TestNodeHealthShortKeyAndHeardByCountsTransmissions(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(60)
	// Alpha hears 20 packets a second time over another path.
	for i, h := range hashes[:20] {
		e.addObservation(h, testObservers[0].id, `["a1"]`, e.base.Add(time.Duration(i)*time.Second+500*time.Millisecond))
	}
	s := e.start(Config{})
	waitReady(t, s)
	pk := testRepeaters[0]
	eventually(t, "extra observations loaded", func() bool {
		p, err := s.Packet(hashes[19])
		return err == nil && len(p.Observations) == 3
	})
	now := e.base.Add(time.Hour)

	full, err := s.NodeHealth(pk, now)
	if err != nil {
		t.Fatalf("health by full key: %v", err)
	}
	short, err := s.NodeHealth(pk[:8], now)
	if err != nil {
		t.Fatalf("health by 8-char prefix: %v", err)
	}
	if short.Node.PublicKey != pk || !reflect.DeepEqual(short.Stats, full.Stats) || len(short.Observers) != len(full.Observers) {
		t.Fatalf("prefix health %+v differs from full-key health %+v", short.Stats, full.Stats)
	}
	if _, err := s.NodeHealth("ffffffff", now); err != ErrNotFound {
		t.Fatalf("unknown prefix: err = %v, want ErrNotFound", err)
	}

	// Independent count: distinct transmissions per observer among the node's packets (its
	// adverts, and every packet with an observation whose path has its 1-byte prefix).
	rows, err := e.rd.Query(`
SELECT ob.id, COUNT(DISTINCT o.transmission_id), COUNT(*) FROM observations o JOIN observers ob ON ob.idx = o.observer_idx
WHERE o.transmission_id IN (SELECT id FROM transmissions WHERE from_pubkey = ?)
   OR o.transmission_id IN (SELECT transmission_id FROM observations WHERE path_json LIKE ?)
GROUP BY ob.id`, pk, fmt.Sprintf(`%%"%s"%%`, pk[:2]))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want, obsCount := map[string]int{}, map[string]int{}
	for rows.Next() {
		var id string
		var n, o int
		if err := rows.Scan(&id, &n, &o); err != nil {
			t.Fatal(err)
		}
		want[id], obsCount[id] = n, o
	}
	if obsCount[testObservers[0].id] <= want[testObservers[0].id] {
		t.Fatalf("fixture: Alpha should hear some packets twice (obs %d, tx %d)", obsCount[testObservers[0].id], want[testObservers[0].id])
	}
	if len(full.Observers) != len(want) {
		t.Fatalf("heard by %d observers, SQL says %d", len(full.Observers), len(want))
	}
	for _, o := range full.Observers {
		if o.PacketCount != want[o.ObserverID] {
			t.Errorf("observer %s: packetCount %d, SQL distinct transmissions %d (observations %d)", o.ObserverID, o.PacketCount, want[o.ObserverID], obsCount[o.ObserverID])
		}
		if o.PacketCount > full.Stats.TotalTransmissions {
			t.Errorf("observer %s heard %d packets of a node with %d", o.ObserverID, o.PacketCount, full.Stats.TotalTransmissions)
		}
	}
}

// TestPacketsHashPrefix: the hash filter takes the 8 characters the table shows.
func TestPacketsHashPrefix(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(30)
	s := e.start(Config{})
	waitReady(t, s)
	eventually(t, "packets loaded", func() bool { return s.Packets(PacketQuery{Limit: 100}).Total == 30 })
	// addPackets hashes are %016x of 0xabc0000000+i: count the 14-char prefix matches by hand.
	prefix := hashes[0][:14]
	want := 0
	for _, h := range hashes {
		if h[:14] == prefix {
			want++
		}
	}
	if got := s.Packets(PacketQuery{Hash: prefix, Limit: 100}); got.Total != want || want < 2 {
		t.Fatalf("prefix %s: total %d, want %d", prefix, got.Total, want)
	}
	if got := s.GroupedPackets(PacketQuery{Hash: hashes[7][:8] + "x", Limit: 100}); got.Total != 0 {
		t.Fatalf("non-hex prefix matched %d", got.Total)
	}
	if got := s.Packets(PacketQuery{Hash: hashes[7], Limit: 100}); got.Total != 1 || got.Packets[0].Hash != hashes[7] {
		t.Fatalf("full hash: %+v", got)
	}
	if got := s.Packets(PacketQuery{Hash: hashes[7][:8], Limit: 100}); got.Total != 30 {
		t.Fatalf("8-char prefix shared by all: total %d", got.Total)
	}
}
