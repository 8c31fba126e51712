package store

import (
	"strings"
	"testing"
	"time"
)

func TestNodeQueries(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(60)
	s := e.start(Config{NodeBlacklist: []string{testRepeaters[3]}})
	waitReady(t, s)
	now := e.base.Add(time.Hour)

	page := s.Nodes(NodeQuery{Limit: 10, Now: now})
	if page.Total != 4 || len(page.Nodes) != 4 { // 5 nodes, one blacklisted
		t.Fatalf("nodes total=%d len=%d", page.Total, len(page.Nodes))
	}
	if page.Counts.Repeaters != 3 || page.Counts.Companions != 1 {
		t.Fatalf("counts = %+v", page.Counts)
	}
	if r := s.Nodes(NodeQuery{Role: "companion"}); r.Total != 1 || r.Nodes[0].PublicKey != testCompanion {
		t.Fatalf("role filter = %+v", r)
	}
	if r := s.Nodes(NodeQuery{Search: "NODE-1"}); r.Total != 1 {
		t.Fatalf("search filter total = %d", r.Total)
	}
	byName := s.Nodes(NodeQuery{SortBy: "name"})
	for i := 1; i < len(byName.Nodes); i++ {
		if *byName.Nodes[i-1].Name > *byName.Nodes[i].Name {
			t.Fatalf("not sorted by name: %v", byName.Nodes)
		}
	}
	// Adverts (i%3==0) are heard only by Alpha (SJC): the three visible repeaters.
	if r := s.Nodes(NodeQuery{Regions: []string{"SJC"}}); r.Total != 3 {
		t.Fatalf("region SJC total = %d, want 3", r.Total)
	}
	if r := s.Nodes(NodeQuery{Regions: []string{"OAK"}}); r.Total != 0 {
		t.Fatalf("region OAK total = %d, want 0", r.Total)
	}
	if got := s.SearchNodes(testRepeaters[1][:4], 10); len(got) != 1 || got[0].PublicKey != testRepeaters[1] {
		t.Fatalf("search by prefix = %+v", got)
	}

	d, err := s.Node(testRepeaters[0][:10])
	if err != nil || d.Node.PublicKey != testRepeaters[0] || len(d.RecentAdverts) == 0 {
		t.Fatalf("node by prefix: %v %+v", err, d.Node)
	}
	for _, a := range d.RecentAdverts {
		if len(a.Observations) == 0 || !strings.Contains(*a.DecodedJSON, testRepeaters[0]) {
			t.Fatalf("recent advert %+v", a)
		}
	}
	if d.Node.HashSize == nil || *d.Node.HashSize != 1 {
		t.Fatalf("hash size = %v", d.Node.HashSize)
	}
	if _, err := s.Node(testRepeaters[3]); err != ErrNotFound {
		t.Fatalf("blacklisted node: err = %v", err)
	}
	if _, err := s.Node("ffffffff"); err != ErrNotFound {
		t.Fatalf("unknown node: err = %v", err)
	}

	h, err := s.NodeHealth(testRepeaters[0], now)
	if err != nil {
		t.Fatal(err)
	}
	if h.Stats.TotalTransmissions == 0 || h.Stats.TotalObservations < h.Stats.TotalTransmissions ||
		len(h.Observers) == 0 || h.Stats.AvgHops != 2 || len(h.RecentPackets) == 0 || h.Stats.AvgSNR == nil {
		t.Fatalf("health = %+v", h.Stats)
	}
	if h.Observers[0].PacketCount < h.Observers[len(h.Observers)-1].PacketCount {
		t.Fatalf("health observers not by count desc")
	}

	paths, err := s.NodePaths(testRepeaters[1])
	if err != nil || len(paths.Paths) == 0 || paths.TotalTransmissions == 0 {
		t.Fatalf("paths: %v %+v", err, paths)
	}
	for _, p := range paths.Paths {
		hit := false
		for _, h := range p.Hops {
			if h.Pubkey != nil && *h.Pubkey == testRepeaters[1] {
				hit = true
			}
		}
		if !hit {
			t.Fatalf("path %+v does not pass through the node", p)
		}
	}

	nb, err := s.NodeNeighbors(testRepeaters[1], 1, 0, true, now)
	if err != nil || len(nb.Neighbors) == 0 {
		t.Fatalf("neighbors: %v %+v", err, nb)
	}
	// Paths are [i+1, i+2]: repeater 1 is adjacent to repeaters 0 and 2 in paths
	// (and to observers when it is the last hop).
	found := map[string]bool{}
	for _, n := range nb.Neighbors {
		if n.Pubkey != nil {
			found[*n.Pubkey] = true
		}
	}
	if !found[testRepeaters[2]] {
		t.Fatalf("neighbor %s missing from %v", testRepeaters[2][:4], found)
	}
	if _, err := s.NodeNeighbors(testRepeaters[3], 1, 0, true, now); err != ErrNotFound {
		t.Fatalf("blacklisted neighbors: err = %v", err)
	}
}

func TestObserverQueries(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(30)
	s := e.start(Config{ObserverBlacklist: []string{" obsbbbb2 "}}) // case-insensitive
	waitReady(t, s)
	now := e.base.Add(30 * time.Second)

	list := s.Observers(now)
	if len(list.Observers) != 2 {
		t.Fatalf("observers = %d, want 2 (one blacklisted)", len(list.Observers))
	}
	var alpha ObserverJSON
	for _, o := range list.Observers {
		if o.ID == "OBSAAAA1" {
			alpha = o
		}
	}
	// Alpha heard all 30 packets within the last minute of 'now'.
	if alpha.PacketsLastHour != 30 || alpha.PacketsLast24h != 30 {
		t.Fatalf("alpha counts = %d/%d", alpha.PacketsLastHour, alpha.PacketsLast24h)
	}
	if _, err := s.Observer("OBSBBBB2", now); err != ErrNotFound {
		t.Fatalf("blacklisted observer: %v", err)
	}
	if rec := s.ObserverRecent("OBSCCCC3", 5); len(rec) != 5 || rec[0].ID < rec[1].ID {
		t.Fatalf("recent = %+v", rec)
	}
	st := s.Stats(now)
	if st.PacketsLastHour != 60 || st.PacketsLast24h != 60 {
		t.Fatalf("stats last hour = %d, 24h = %d, want 60", st.PacketsLastHour, st.PacketsLast24h)
	}
	if later := s.Stats(now.Add(2 * time.Hour)); later.PacketsLastHour != 0 || later.PacketsLast24h != 60 {
		t.Fatalf("2 h later: last hour %d, 24h %d", later.PacketsLastHour, later.PacketsLast24h)
	}
}

func TestChannelQueries(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(60) // 20 channel messages: i%3==1, channel by i%2
	s := e.start(Config{})
	waitReady(t, s)

	list := s.Channels(nil, true)
	if len(list.Channels) != 2 {
		t.Fatalf("channels = %+v", list.Channels)
	}
	total := 0
	for _, c := range list.Channels {
		total += c.MessageCount
		if c.LastMessage == nil || strings.HasPrefix(*c.LastMessage, "user") && strings.Contains(*c.LastMessage, ": ") {
			t.Fatalf("last message not split from sender: %+v", c)
		}
	}
	if total != 20 {
		t.Fatalf("message total = %d, want 20", total)
	}
	msgs := s.ChannelMessages("#test", 4, 0, nil)
	if msgs.Total != 10 || len(msgs.Messages) != 4 {
		t.Fatalf("messages total=%d len=%d", msgs.Total, len(msgs.Messages))
	}
	for i := 1; i < len(msgs.Messages); i++ {
		if msgs.Messages[i-1].Timestamp > msgs.Messages[i].Timestamp {
			t.Fatal("page not ascending")
		}
	}
	if m := msgs.Messages[3]; m.Sender == nil || m.Text == nil || !strings.HasPrefix(*m.Text, "hello") || m.Hops != 2 || len(m.Observers) != 1 {
		t.Fatalf("message = %+v", m)
	}
	older := s.ChannelMessages("#test", 4, 4, nil)
	if older.Messages[3].Timestamp >= msgs.Messages[0].Timestamp {
		t.Fatal("offset page is not older")
	}
	if r := s.ChannelMessages("#test", 100, 0, []string{"OAK"}); r.Total != 0 {
		// #test messages are i%6==1 → i%3==1 → heard by Alpha and Bravo (SJC) only.
		t.Fatalf("region OAK total = %d", r.Total)
	}
}

func TestResolveHops(t *testing.T) {
	e := newTestEnv(t)
	// A second repeater sharing the 1-byte prefix "A1" makes that hop ambiguous.
	e.write(nodeBatch("a1"+repeat("99", 31), "twin", e.base))
	e.addPackets(30)
	s := e.start(Config{})
	waitReady(t, s)
	r := s.ResolveHops([]string{"B2", "a1", "ff", "A199"}, testRepeaters[2], "", e.base)
	if got := r.Resolved["B2"]; got.Confidence != "unique_prefix" || *got.Pubkey != testRepeaters[1] {
		t.Fatalf("B2 = %+v", got)
	}
	if got := r.Resolved["a1"]; !got.Ambiguous || len(got.Candidates) != 2 || got.Confidence == "unique_prefix" {
		t.Fatalf("a1 = %+v", got)
	}
	if got := r.Resolved["ff"]; got.Confidence != "no_match" || got.Name != nil {
		t.Fatalf("ff = %+v", got)
	}
	if got := r.Resolved["A199"]; got.Confidence != "unique_prefix" || got.Name == nil || *got.Name != "twin" {
		t.Fatalf("A199 = %+v", got)
	}
}

func TestAreaFilterUsesAdvertSenderPosition(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(60)
	s := e.start(Config{})
	waitReady(t, s)
	// Nodes sit at lat 37.0, 37.1, … 37.4: the box holds repeaters 1 and 2.
	box := func(lat, lon float64) bool { return lat > 37.05 && lat < 37.25 && lon < -121 }
	want := 0
	for i := 0; i < 60; i++ {
		if i%3 == 0 && (i%4 == 1 || i%4 == 2) {
			want++
		}
	}
	p := s.Packets(PacketQuery{AreaKey: "box", AreaContains: box, Limit: 100})
	if p.Total != want || want == 0 {
		t.Fatalf("area total = %d, want %d", p.Total, want)
	}
	for _, tx := range p.Packets {
		if !strings.Contains(*tx.DecodedJSON, testRepeaters[1]) && !strings.Contains(*tx.DecodedJSON, testRepeaters[2]) {
			t.Fatalf("packet from outside the area: %s", *tx.DecodedJSON)
		}
	}
	if g := s.GroupedPackets(PacketQuery{AreaKey: "box", AreaContains: box}); g.Total != want {
		t.Fatalf("grouped area total = %d, want %d", g.Total, want)
	}
	if n := s.Nodes(NodeQuery{AreaContains: box}); n.Total != 2 {
		t.Fatalf("nodes in area = %d, want 2", n.Total)
	}
	nowhere := func(lat, lon float64) bool { return false }
	if p := s.Packets(PacketQuery{AreaKey: "none", AreaContains: nowhere}); p.Total != 0 {
		t.Fatalf("empty area total = %d", p.Total)
	}
}

func TestBulkHealth(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(60)
	s := e.start(Config{})
	waitReady(t, s)
	now := e.base.Add(time.Hour)
	all := s.BulkHealth(0, nil, nil, now)
	if len(all) != 5 {
		t.Fatalf("bulk health entries = %d, want 5", len(all))
	}
	for _, b := range all {
		h, err := s.NodeHealth(b.PublicKey, now)
		if err != nil {
			if b.Stats.TotalTransmissions != 0 {
				t.Fatalf("%s: health error %v with %d packets", b.PublicKey[:4], err, b.Stats.TotalTransmissions)
			}
			continue
		}
		if b.Stats.TotalTransmissions != h.Stats.TotalTransmissions || b.Stats.TotalObservations != h.Stats.TotalObservations ||
			len(b.Observers) != len(h.Observers) {
			t.Fatalf("%s: bulk %+v vs health %+v", b.PublicKey[:4], b.Stats, h.Stats)
		}
	}
	if got := s.BulkHealth(2, nil, nil, now); len(got) != 2 {
		t.Fatalf("limit 2 gave %d", len(got))
	}
	if got := s.BulkHealth(50, []string{"OAK"}, nil, now); len(got) != 0 {
		t.Fatalf("region OAK gave %d (no advert heard there)", len(got))
	}
}
