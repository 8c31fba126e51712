package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

func TestSyncPublishesNewObservations(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(30)
	// Small sync batches: the backlog below needs several rounds in one tick.
	s := e.start(Config{txBatch: 16, obsBatch: 40})
	ch, cancel := s.Subscribe(64)
	defer cancel()
	waitReady(t, s)

	hashes := e.addPackets(200)
	got := map[string]int{}
	total := 0
	want := 0
	for i := 30; i < 230; i++ {
		want += i%3 + 1
	}
	deadline := time.After(20 * time.Second)
	for total < want {
		select {
		case batch := <-ch:
			for _, lo := range batch {
				got[lo.Hash]++
				total++
				if lo.ObserverID == nil || lo.PathJSON == nil || lo.FirstSeen == "" || lo.Tx == nil {
					t.Fatalf("incomplete live observation %+v", lo)
				}
			}
		case <-deadline:
			t.Fatalf("received %d live observations, want %d", total, want)
		}
	}
	if len(got) != len(hashes) {
		t.Fatalf("live hashes = %d, want %d", len(got), len(hashes))
	}
	if st := s.Stats(time.Now()); st.TotalTransmissions != 230 {
		t.Fatalf("transmissions after sync = %d", st.TotalTransmissions)
	}

	// A late observation of a loaded transmission is published and counted.
	e.addObservation(hashes[0], "OBSCCCC3", `[]`, e.base.Add(time.Hour))
	select {
	case batch := <-ch:
		if len(batch) != 1 || batch[0].Hash != hashes[0] || batch[0].ObservationCount != 2 {
			t.Fatalf("late observation batch = %+v", batch)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("late observation not published")
	}
	d, err := s.Packet(hashes[0])
	if err != nil || d.ObservationCount != 2 {
		t.Fatalf("after late observation: %v count %d", err, d.ObservationCount)
	}
	if got := s.Packets(PacketQuery{Observers: []string{"OBSCCCC3"}, Hash: hashes[0]}).Total; got != 1 {
		t.Fatalf("observer index missed the late observation: %d", got)
	}
}

func TestSlowSubscriberNeverBlocksSync(t *testing.T) {
	e := newTestEnv(t)
	s := e.start(Config{})
	_, cancel := s.Subscribe(1) // never read
	defer cancel()
	waitReady(t, s)
	for i := 0; i < 5; i++ {
		e.addPackets(3)
		want := (i + 1) * 3
		eventually(t, "sync despite slow subscriber", func() bool {
			return s.Stats(time.Now()).TotalTransmissions == want
		})
	}
	if s.DroppedLiveBatches() == 0 {
		t.Fatal("expected dropped batches for the full subscriber")
	}
}

func TestSyncPicksUpNodeAndObserverChanges(t *testing.T) {
	e := newTestEnv(t)
	s := e.start(Config{})
	waitReady(t, s)
	e.addPackets(1)
	eventually(t, "first packet", func() bool { return s.Stats(time.Now()).TotalTransmissions == 1 })

	newPK := "f6" + repeat("66", 31)
	b := nodeBatch(newPK, "fresh-node", e.base.Add(time.Hour))
	b.Observers = append(b.Observers, observerBatch("OBSDDDD4", "Delta", "LAX", e.base.Add(time.Hour)))
	e.write(b)
	eventually(t, "new node and observer", func() bool {
		_, errN := s.Node(newPK)
		_, errO := s.Observer("OBSDDDD4", time.Now())
		return errN == nil && errO == nil
	})
	if codes := s.ObserverIATAs(); fmt.Sprint(codes) != "[LAX OAK SJC]" {
		t.Fatalf("IATAs = %v", codes)
	}
}

// TestConcurrentReadsDuringSync runs many readers over every query while the
// ingestor writes; run with -race.
func TestConcurrentReadsDuringSync(t *testing.T) {
	e := newTestEnv(t)
	e.addPackets(200)
	s := e.start(Config{LoadChunk: 50, PollInterval: 5 * time.Millisecond, txBatch: 7, obsBatch: 11})
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			now := e.base.Add(time.Hour)
			for !stop.Load() {
				p := s.Packets(PacketQuery{Limit: 20, Expand: true, Types: []int{g % 6}})
				for _, tx := range p.Packets {
					_ = tx.ObservationCount
				}
				s.Packets(PacketQuery{Regions: []string{"OAK"}, Limit: 5})
				s.Packets(PacketQuery{Node: testRepeaters[g%4], Limit: 5})
				s.GroupedPackets(PacketQuery{Limit: 10})
				s.Packet("1")
				s.Timestamps(e.base)
				s.Stats(now)
				s.Memory()
				s.Observers(now)
				s.Nodes(NodeQuery{Limit: 10})
				s.NodeHealth(testRepeaters[g%4], now)
				s.NodePaths(testRepeaters[g%4])
				s.NodeNeighbors(testRepeaters[g%4], 1, 0, true, now)
				s.Channels(nil, true)
				s.ChannelMessages("#test", 10, 0, nil)
				s.ResolveHops([]string{"A1", "B2"}, testRepeaters[0], "", now)
			}
		}(g)
	}
	for i := 0; i < 10; i++ {
		hashes := e.addPackets(10)
		e.addObservation(hashes[0], "OBSCCCC3", `["C3","D4","A1"]`, e.base.Add(time.Hour))
	}
	eventually(t, "all synced", func() bool { return s.Stats(time.Now()).TotalTransmissions == 300 })
	stop.Store(true)
	wg.Wait()
	if got := s.Packets(PacketQuery{}).Total; got != 300 {
		t.Fatalf("total = %d, want 300", got)
	}
}

func TestLiveObservationOfNewObserverCarriesItsName(t *testing.T) {
	e := newTestEnv(t)
	s := e.start(Config{})
	ch, cancel := s.Subscribe(8)
	defer cancel()
	waitReady(t, s)
	at := e.base.Add(time.Minute)
	b := db.Batch{
		Observers:     []db.ObserverUpsert{observerBatch("OBSNEW99", "Newcomer", "SEA", at)},
		Transmissions: []db.Transmission{{RawHex: "1100", Hash: "00000000000000f1", FirstSeen: at, RouteType: 1, PayloadType: 2}},
		Observations:  []db.Observation{{TxHash: "00000000000000f1", ObserverID: "OBSNEW99", PathJSON: "[]", Timestamp: at.Unix()}},
	}
	e.write(b)
	select {
	case batch := <-ch:
		if len(batch) != 1 || batch[0].ObserverID == nil || *batch[0].ObserverID != "OBSNEW99" ||
			batch[0].ObserverName == nil || *batch[0].ObserverName != "Newcomer" {
			t.Fatalf("live observation = %+v", batch)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no live observation")
	}
}
