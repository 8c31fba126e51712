package store

import (
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
	hashes := e.addPackets(3000)
	s := e.start(Config{MaxMemoryMB: 1, LoadChunk: 200})
	waitReady(t, s)
	budget := float64(1)
	eventually(t, "under budget", func() bool { return s.Memory().TrackedMB <= budget })
	m := s.Memory()
	if m.Transmissions == 0 || m.Transmissions >= 3000 {
		t.Fatalf("budget load kept %d transmissions", m.Transmissions)
	}
	if !s.Progress().StoppedBudget {
		t.Fatal("progress does not report the budget stop")
	}
	if _, err := s.Packet(hashes[2999]); err != nil {
		t.Fatalf("newest packet missing: %v", err)
	}
	if _, err := s.Packet(hashes[0]); err != ErrNotFound {
		t.Fatalf("oldest packet kept: %v", err)
	}
	// New data keeps arriving; the budget still holds and the newest is present.
	more := e.addPackets(500)
	eventually(t, "new packets synced", func() bool { _, err := s.Packet(more[499]); return err == nil })
	eventually(t, "under budget after sync", func() bool { return s.Memory().TrackedMB <= budget })
}
