package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetentionEvictsOldestFromEveryIndex(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(120) // first_seen base … base+119 s
	var now atomicTime
	now.set(e.base.Add(119 * time.Second))
	// Keep the last minute: packets 59..119 stay, 0..58 go.
	s := e.start(Config{RetentionHours: 1.0 / 60, Now: now.get})
	waitReady(t, s)
	eventually(t, "retention applied at load", func() bool { return s.Stats(now.get()).TotalTransmissions == 61 })
	if _, err := s.Packet(hashes[0]); err != ErrNotFound {
		t.Fatalf("old packet still found: %v", err)
	}
	// Packets older than the window were never loaded (not counted as evicted).
	// Time moves on: 30 more seconds → 30 more evicted by the sync's eviction.
	now.set(e.base.Add(149 * time.Second))
	eventually(t, "eviction", func() bool { return s.Stats(now.get()).TotalTransmissions == 31 })
	if _, err := s.Packet(hashes[88]); err != ErrNotFound {
		t.Fatalf("evicted packet still found by hash: %v", err)
	}
	if _, err := s.Packet(hashes[89]); err != nil {
		t.Fatalf("kept packet missing: %v", err)
	}
	for _, q := range []PacketQuery{
		{Types: []int{4}}, {Channel: "#test"}, {Observers: []string{"OBSAAAA1"}},
		{Node: testRepeaters[1]}, {Regions: []string{"OAK"}},
	} {
		q.Limit = MaxPacketLimit
		for _, p := range s.Packets(q).Packets {
			if p.ID < s.Transmissions()[0].ID {
				t.Fatalf("%+v returned evicted packet %d", q, p.ID)
			}
		}
	}
	m := s.Memory()
	if m.Evicted != 30 || m.Transmissions != 31 || m.TrackedMB < 0 {
		t.Fatalf("memory = %+v", m)
	}
	var obs int
	for _, tx := range s.Transmissions() {
		obs += tx.ObservationCount()
	}
	if m.Observations != obs {
		t.Fatalf("observation index %d, transmissions hold %d", m.Observations, obs)
	}
}

func TestMemoryBudgetBoundsLoadAndKeepsNewest(t *testing.T) {
	e := newTestEnv(t)
	hashes := e.addPackets(600)
	s := e.start(Config{maxBytes: 200 << 10, LoadChunk: 50})
	waitReady(t, s)
	under := func() bool { m := s.Memory(); return m.trackedBytes <= m.budgetBytes }
	eventually(t, "under budget", under)
	m := s.Memory()
	if m.Transmissions == 0 || m.Transmissions >= 600 {
		t.Fatalf("budget load kept %d transmissions", m.Transmissions)
	}
	if !s.Progress().StoppedBudget {
		t.Fatal("progress does not report the budget stop")
	}
	if _, err := s.Packet(hashes[599]); err != nil {
		t.Fatalf("newest packet missing: %v", err)
	}
	if _, err := s.Packet(hashes[0]); err != ErrNotFound {
		t.Fatalf("oldest packet kept: %v", err)
	}
	// New data keeps arriving; the budget still holds and the newest is present.
	more := e.addPackets(200)
	eventually(t, "new packets synced", func() bool { _, err := s.Packet(more[199]); return err == nil })
	eventually(t, "under budget after sync", under)
}

// TestConcurrentReadsDuringEviction keeps the store at its budget while new
// data arrives, so eviction rebuilds the indexes under running readers (-race).
func TestConcurrentReadsDuringEviction(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(100)
	s := e.start(Config{maxBytes: 60 << 10, PollInterval: 5 * time.Millisecond})
	waitReady(t, s)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			now := e.base.Add(time.Hour)
			for !stop.Load() {
				for _, p := range s.Packets(PacketQuery{Limit: 30, Expand: true, Regions: []string{"SJC"}}).Packets {
					_ = p.Observations
				}
				s.GroupedPackets(PacketQuery{Types: []int{g + 4}})
				s.Packets(PacketQuery{Node: testRepeaters[g], Types: []int{4}})
				s.NodeHealth(testRepeaters[g], now)
				s.ChannelMessages("public", 20, 0, nil)
				s.Observers(now)
			}
		}(g)
	}
	var last []string
	for i := 0; i < 8; i++ {
		last = e.addPackets(40)
	}
	eventually(t, "newest synced", func() bool { _, err := s.Packet(last[39]); return err == nil })
	eventually(t, "under budget", func() bool { m := s.Memory(); return m.trackedBytes <= m.budgetBytes })
	stop.Store(true)
	wg.Wait()
	if m := s.Memory(); m.Evicted == 0 {
		t.Fatalf("nothing evicted: %+v", m)
	}
}
