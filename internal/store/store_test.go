package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

func TestLoadReadsEveryRowNewestFirst(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(300)
	s := e.start(Config{LoadChunk: 40})
	waitReady(t, s)

	p := s.Progress()
	if p.LoadedTx != 300 || p.TotalTx != 300 {
		t.Fatalf("progress loaded=%d total=%d, want 300/300", p.LoadedTx, p.TotalTx)
	}
	// 300 packets, observers per packet cycle 1,2,3 → 600 observations.
	if p.LoadedObs != 600 {
		t.Fatalf("loaded observations = %d, want 600", p.LoadedObs)
	}
	st := s.Stats(e.base.Add(48 * time.Hour))
	if st.TotalTransmissions != 300 || st.TotalObservations != 600 || st.TotalObservers != 3 || st.TotalNodesAllTime != 5 {
		t.Fatalf("stats = %+v", st)
	}
	page := s.Packets(PacketQuery{Limit: 5})
	if page.Total != 300 || len(page.Packets) != 5 {
		t.Fatalf("page total=%d len=%d", page.Total, len(page.Packets))
	}
	if page.Packets[0].Hash != hashes[299] || page.Packets[4].Hash != hashes[295] {
		t.Fatalf("newest first: got %s..%s", page.Packets[0].Hash, page.Packets[4].Hash)
	}
	// Index must be ascending and complete.
	txs := s.Transmissions()
	for i := 1; i < len(txs); i++ {
		if txs[i-1].ID >= txs[i].ID {
			t.Fatalf("transmissions not ascending at %d", i)
		}
	}
}

func TestPacketFilters(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(90)
	s := e.start(Config{})
	waitReady(t, s)

	count := func(q PacketQuery) int { q.Limit = MaxPacketLimit; return s.Packets(q).Total }
	cases := []struct {
		name string
		q    PacketQuery
		want int
	}{
		{"all", PacketQuery{}, 90},
		{"type advert", PacketQuery{Types: []int{4}}, 30},
		{"types advert+chan", PacketQuery{Types: []int{4, 5}}, 60},
		{"route flood", PacketQuery{Routes: []int{1}}, 90},
		{"route direct", PacketQuery{Routes: []int{2}}, 0},
		// observer j hears packets with i%3 >= j.
		{"observer alpha", PacketQuery{Observers: []string{"OBSAAAA1"}}, 90},
		{"observer charlie", PacketQuery{Observers: []string{"OBSCCCC3"}}, 30},
		{"observers bravo,charlie", PacketQuery{Observers: []string{"OBSBBBB2", "OBSCCCC3"}}, 60},
		{"unknown observer", PacketQuery{Observers: []string{"nope"}}, 0},
		{"region OAK", PacketQuery{Regions: []string{"oak"}}, 30},
		{"region SJC,OAK", PacketQuery{Regions: []string{"SJC, OAK"}}, 90},
		{"region ALL is off", PacketQuery{Regions: []string{"All"}}, 90},
		{"region unknown", PacketQuery{Regions: []string{"LAX"}}, 0},
		{"channel #test", PacketQuery{Channel: "#test"}, 15},
		{"channel + region", PacketQuery{Channel: "#test", Regions: []string{"OAK"}}, 0},
		{"hash", PacketQuery{Hash: fmt.Sprintf("%016X", 0xabc0000000+7)}, 1},
		{"hash unknown", PacketQuery{Hash: "ffffffffffffffff"}, 0},
		{"since/until", PacketQuery{Since: e.base.Add(9 * time.Second), Until: e.base.Add(20 * time.Second)}, 10},
		{"type + observer", PacketQuery{Types: []int{5}, Observers: []string{"OBSBBBB2"}}, 30},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := count(c.q); got != c.want {
				t.Fatalf("total = %d, want %d", got, c.want)
			}
		})
	}

	// Node filter: the advert sender and the nodes its hops resolve to.
	rep := testRepeaters[0]
	byNode := s.Packets(PacketQuery{Node: rep, Limit: MaxPacketLimit})
	adverts := 0
	for _, p := range byNode.Packets {
		if p.PayloadType != nil && *p.PayloadType == 4 && p.DecodedJSON != nil {
			adverts++
		}
	}
	if byNode.Total == 0 || adverts == 0 {
		t.Fatalf("node filter: total=%d adverts=%d", byNode.Total, adverts)
	}
	// Every packet i whose hops include repeater 0 (i%4 == 3 or i%4 == 2) or that
	// it sent (i%3==0 && i%4==0) is attributed to it.
	want := 0
	for i := 0; i < 90; i++ {
		if i%4 == 3 || i%4 == 2 || (i%3 == 0 && i%4 == 0) {
			want++
		}
	}
	if byNode.Total != want {
		t.Fatalf("node filter total = %d, want %d", byNode.Total, want)
	}
	if byName := s.Packets(PacketQuery{Node: "node-0", Limit: 1}); byName.Total != want {
		t.Fatalf("node filter by name total = %d, want %d", byName.Total, want)
	}
}

func TestPacketPaginationCursorAndOffsetAgree(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(120)
	s := e.start(Config{})
	waitReady(t, s)
	for _, q := range []PacketQuery{{}, {Types: []int{5}}, {Observers: []string{"OBSBBBB2"}}} {
		for _, asc := range []bool{false, true} {
			q.Asc = asc
			q.Limit = 7
			all := q
			all.Limit = MaxPacketLimit
			full := s.Packets(all).Packets
			var viaCursor []int64
			cur := q
			for {
				p := s.Packets(cur)
				for _, tx := range p.Packets {
					viaCursor = append(viaCursor, tx.ID)
				}
				if p.NextBefore == 0 {
					break
				}
				cur.BeforeID = p.NextBefore
			}
			if len(viaCursor) != len(full) {
				t.Fatalf("%+v: cursor pages gave %d, want %d", q, len(viaCursor), len(full))
			}
			for i := range full {
				if full[i].ID != viaCursor[i] {
					t.Fatalf("%+v: item %d cursor id %d, want %d", q, i, viaCursor[i], full[i].ID)
				}
				if i > 0 && (full[i].ID > full[i-1].ID) != asc {
					t.Fatalf("%+v: wrong order at %d", q, i)
				}
			}
			off := q
			off.Offset = 14
			if p := s.Packets(off); len(p.Packets) == 0 || p.Packets[0].ID != full[14].ID {
				t.Fatalf("%+v: offset 14 does not start at item 14", q)
			}
		}
	}
}

func TestPacketDetailLookups(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(10)
	s := e.start(Config{})
	waitReady(t, s)

	d, err := s.Packet(hashes[5]) // i=5: 3 observers
	if err != nil {
		t.Fatalf("by hash: %v", err)
	}
	if d.ObservationCount != 3 || len(d.Observations) != 3 || len(d.Packet.Observations) != 3 {
		t.Fatalf("detail observations = %d/%d", d.ObservationCount, len(d.Observations))
	}
	if len(d.Path) != 2 || d.Observations[0].Hash != hashes[5] || d.Observations[0].RawHex == "" {
		t.Fatalf("detail = %+v", d)
	}
	byID, err := s.Packet(fmt.Sprint(d.Packet.ID))
	if err != nil || byID.Packet.Hash != hashes[5] {
		t.Fatalf("by tx id: %v %+v", err, byID.Packet.Hash)
	}
	obsID := d.Observations[1].ID
	// Observation ids and transmission ids overlap at small numbers; pick one
	// above every transmission id.
	if obsID > 10 {
		byObs, err := s.Packet(fmt.Sprint(obsID))
		if err != nil || byObs.Packet.Hash != hashes[5] || byObs.MatchedObservationID != obsID {
			t.Fatalf("by observation id %d: %v %+v", obsID, err, byObs)
		}
	}
	if _, err := s.Packet("nope"); err != ErrNotFound {
		t.Fatalf("unknown: err = %v, want ErrNotFound", err)
	}
	res := s.ObservationsByHash([]string{hashes[2], "0000000000000000"})
	if len(res[hashes[2]]) != 3 || res["0000000000000000"] == nil || len(res["0000000000000000"]) != 0 {
		t.Fatalf("batch observations = %v", res)
	}
	tr := s.Traces(hashes[2])
	if len(tr) != 3 || tr[0].Time > tr[1].Time || tr[1].Time > tr[2].Time {
		t.Fatalf("traces = %+v", tr)
	}
	ts := s.Timestamps(e.base.Add(5 * time.Second))
	if len(ts) != 4 || ts[0] != FormatTime(e.base.Add(6*time.Second).UnixMilli()) {
		t.Fatalf("timestamps = %v", ts)
	}
}

func TestGroupedPacketsOrderByLatestObservation(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(20)
	s := e.start(Config{})
	waitReady(t, s)
	// A late observation makes an old packet the most recent.
	e.addObservation(hashes[1], "OBSCCCC3", `["A1"]`, e.base.Add(time.Hour))
	eventually(t, "late observation", func() bool {
		g := s.GroupedPackets(PacketQuery{Limit: 3})
		return len(g.Packets) > 0 && g.Packets[0].Hash == hashes[1]
	})
	g := s.GroupedPackets(PacketQuery{Limit: 3})
	top := g.Packets[0]
	if g.Total != 20 || top.Count != 3 || top.ObserverCount != 3 ||
		len(top.DistinctIATAs) != 2 || top.DistinctIATAs[0] != "OAK" {
		t.Fatalf("grouped top = %+v total %d", top, g.Total)
	}
}

func TestSinceFilterIsExactWhenFirstSeenIsNotMonotonic(t *testing.T) {
	e := newTestEnv(t)
	// Ingest order (id) and first_seen disagree: offsets in seconds.
	offsets := []int{50, 10, 60, 5, 70, 20, 80, 30, 90, 0}
	var b db.Batch
	for i, off := range offsets {
		at := e.base.Add(time.Duration(off) * time.Second)
		h := fmt.Sprintf("%016x", 0xfeed0000+i)
		b.Transmissions = append(b.Transmissions, db.Transmission{RawHex: "1100", Hash: h, FirstSeen: at, RouteType: 1, PayloadType: 2})
		b.Observations = append(b.Observations, db.Observation{TxHash: h, ObserverID: "OBSAAAA1", PathJSON: "[]", Timestamp: at.Unix()})
	}
	e.write(b)
	s := e.start(Config{})
	waitReady(t, s)
	for _, since := range []int{-1, 0, 5, 25, 55, 85, 90} {
		want := 0
		for _, off := range offsets {
			if off > since {
				want++
			}
		}
		q := PacketQuery{Since: e.base.Add(time.Duration(since) * time.Second), Limit: 100}
		if got := s.Packets(q).Total; got != want {
			t.Errorf("since +%ds: total %d, want %d", since, got, want)
		}
		if got := len(s.Timestamps(q.Since)); got != want {
			t.Errorf("since +%ds: %d timestamps, want %d", since, got, want)
		}
	}
}
