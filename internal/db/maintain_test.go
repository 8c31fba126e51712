package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestPruneAppliesRetentionInBatches(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(40 * 24 * time.Hour)
	w := mustOpen(t, func() time.Time { return now })
	var b Batch
	b.Observers = []ObserverUpsert{{ID: "OLD", Seen: t0}, {ID: "NEW", Seen: now}}
	// 25 old and 5 recent packets, each heard twice.
	for i := 0; i < 30; i++ {
		at := t0
		if i >= 25 {
			at = now.Add(-time.Hour)
		}
		tx, o := packet(fmt.Sprintf("p%015d", i), "OLD", "[]", at)
		_, o2 := packet(tx.Hash, "NEW", "[]", at)
		b.Transmissions = append(b.Transmissions, tx)
		b.Observations = append(b.Observations, o, o2)
	}
	b.Nodes = []NodeUpsert{{PublicKey: "aa", Seen: t0}, {PublicKey: "bb", Seen: now}}
	b.Metrics = []Metrics{{ObserverID: "NEW", At: t0}, {ObserverID: "NEW", At: now}, {ObserverID: "OLD", At: now}}
	b.Dropped = []Dropped{{Reason: "old", At: t0}, {Reason: "new", At: now}}
	if res, err := w.WriteBatch(ctx, b); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("WriteBatch: %v %v", err, res.Rejected)
	}
	if _, err := w.DB().Exec(`INSERT INTO neighbor_edges (node_a, node_b, count, last_seen) VALUES ('aa','bb',1,?), ('aa','cc',1,?)`,
		FormatTime(t0), FormatTime(now)); err != nil {
		t.Fatal(err)
	}

	res, err := w.Prune(ctx, Retention{PacketDays: 30, NodeDays: 7, ObserverDays: 14, MetricsDays: 30, NeighborEdgeDays: 5, BatchSize: 4}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := PruneResult{Transmissions: 25, Observations: 50, NodesMoved: 1, ObserversInactivated: 1, Metrics: 2, Dropped: 1, NeighborEdges: 1}
	if res != want {
		t.Errorf("Prune = %+v, want %+v", res, want)
	}
	db := w.DB()
	checks := []struct {
		q    string
		want int64
	}{
		{"SELECT count(*) FROM transmissions", 5},
		{"SELECT count(*) FROM observations", 10},
		{"SELECT count(*) FROM nodes WHERE public_key = 'bb'", 1},
		{"SELECT count(*) FROM inactive_nodes WHERE public_key = 'aa'", 1},
		{"SELECT count(*) FROM observers WHERE inactive = 1", 1},
		{"SELECT count(*) FROM observer_metrics", 1}, // NEW's recent sample; OLD's deleted with the observer
		{"SELECT count(*) FROM dropped_packets", 1},
		{"SELECT count(*) FROM neighbor_edges", 1},
	}
	for _, c := range checks {
		if got := queryInt(t, db, c.q); got != c.want {
			t.Errorf("%s = %d, want %d", c.q, got, c.want)
		}
	}
	// The hash cache forgot the deleted ids: the same packet is new again.
	tx, _ := packet("p000000000000000", "", "[]", now)
	r, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}})
	if err != nil || r.NewTransmissions != 1 {
		t.Errorf("re-insert after prune: %+v %v, want a new transmission", r, err)
	}
	// Nothing left to do: a second run changes nothing.
	res, err = w.Prune(ctx, Retention{PacketDays: 30, NodeDays: 7, ObserverDays: 14, MetricsDays: 30, NeighborEdgeDays: 5}, now)
	if err != nil || res.Total() != 0 {
		t.Errorf("second Prune = %+v %v, want nothing", res, err)
	}
}

func TestPruneDisabledByZero(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	tx, o := packet("z000000000000001", "", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o},
		Nodes: []NodeUpsert{{PublicKey: "aa", Seen: t0}}}); err != nil {
		t.Fatal(err)
	}
	res, err := w.Prune(ctx, Retention{}, t0.AddDate(5, 0, 0))
	if err != nil || res.Total() != 0 {
		t.Errorf("Prune with zero retention = %+v %v, want nothing", res, err)
	}
}

func TestCheckpointTruncatesWAL(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	var b Batch
	for i := 0; i < 200; i++ {
		tx, o := packet(fmt.Sprintf("w%015d", i), "", "[]", t0)
		b.Transmissions = append(b.Transmissions, tx)
		b.Observations = append(b.Observations, o)
	}
	if _, err := w.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	path := queryString(t, w.DB(), "SELECT file FROM pragma_database_list WHERE name = 'main'")
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("expected a non-empty WAL after writing: %v", err)
	}
	r, err := w.Checkpoint(ctx, "TRUNCATE")
	if err != nil || r.Busy {
		t.Fatalf("Checkpoint: %+v %v", r, err)
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() != 0 {
		t.Errorf("WAL not truncated: %v size=%d", err, st.Size())
	}
	if _, err := w.Checkpoint(ctx, "bogus"); err == nil {
		t.Error("unknown checkpoint mode accepted")
	}
}

func TestRunCheckpointerTruncatesWhenIdle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := mustOpen(t, nil)
	tx, o := packet("i000000000000001", "", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o}}); err != nil {
		t.Fatal(err)
	}
	path := queryString(t, w.DB(), "SELECT file FROM pragma_database_list WHERE name = 'main'")
	done := make(chan struct{})
	go func() { w.RunCheckpointer(ctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(path + "-wal")
		if err == nil && st.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("WAL never truncated by the idle checkpointer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestVacuumEnablesIncrementalOnLegacyFile(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t) // written by the original: auto_vacuum NONE
	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := queryInt(t, w.DB(), "PRAGMA auto_vacuum"); got != 0 {
		t.Fatalf("fixture auto_vacuum = %d, want 0 before Vacuum", got)
	}
	before := queryInt(t, w.DB(), "SELECT count(*) FROM observations o JOIN observers b ON b.idx = o.observer_idx")
	ran, err := w.Vacuum(ctx)
	if err != nil || !ran {
		t.Fatalf("Vacuum = %v %v, want it to run", ran, err)
	}
	if got := queryInt(t, w.DB(), "PRAGMA auto_vacuum"); got != 2 {
		t.Errorf("auto_vacuum after Vacuum = %d, want 2", got)
	}
	if after := queryInt(t, w.DB(), "SELECT count(*) FROM observations o JOIN observers b ON b.idx = o.observer_idx"); after != before {
		t.Errorf("observer references changed by VACUUM: %d → %d", before, after)
	}
	if ran, err := w.Vacuum(ctx); err != nil || ran {
		t.Errorf("second Vacuum = %v %v, want a no-op", ran, err)
	}
}

func TestDeleteNodes(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	if _, err := w.WriteBatch(ctx, Batch{Nodes: []NodeUpsert{{PublicKey: "aa", Seen: t0}, {PublicKey: "bb", Seen: t0}, {PublicKey: "cc", Seen: t0.AddDate(0, 0, 30)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Prune(ctx, Retention{NodeDays: 7}, t0.AddDate(0, 0, 30)); err != nil { // aa, bb → inactive
		t.Fatal(err)
	}
	n, err := w.DeleteNodes(ctx, []string{"AA", "cc", "zz"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteNodes = %d %v, want 2", n, err)
	}
	if got := queryString(t, w.DB(), "SELECT group_concat(public_key) FROM (SELECT public_key FROM nodes UNION ALL SELECT public_key FROM inactive_nodes)"); got != "bb" {
		t.Errorf("remaining nodes = %q, want bb", got)
	}
}

func TestSetMultibyteNeverErasesWithUnknown(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	if _, err := w.WriteBatch(ctx, Batch{Nodes: []NodeUpsert{{PublicKey: "aa", Seen: t0}, {PublicKey: "bb", Seen: t0}}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.SetMultibyte(ctx, []Multibyte{{PublicKey: "AA", Sup: 1, Evidence: "2-byte hops seen"}, {PublicKey: "bb", Sup: 0, Evidence: "x"}})
	if err != nil || n != 1 {
		t.Fatalf("SetMultibyte = %d %v, want 1 row", n, err)
	}
	if _, err := w.SetMultibyte(ctx, []Multibyte{{PublicKey: "aa", Sup: 0}}); err != nil {
		t.Fatal(err)
	}
	if got := queryString(t, w.DB(), "SELECT group_concat(public_key||'='||multibyte_sup||'/'||COALESCE(multibyte_evidence,'-')) FROM (SELECT * FROM nodes ORDER BY public_key)"); got != "aa=1/2-byte hops seen,bb=0/-" {
		t.Errorf("nodes = %s", got)
	}
}

// An ingest batch between two prune transactions must not take a pruned
// packet's cached id for a duplicate: the re-heard packet is stored anew and
// its observation points at it.
func TestPruneForgetsDeletedIDsBetweenBatches(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(40 * 24 * time.Hour)
	w := mustOpen(t, func() time.Time { return now })
	var b Batch
	b.Observers = []ObserverUpsert{{ID: "OBS", Seen: now}}
	for i := 0; i < 10; i++ {
		tx, o := packet(fmt.Sprintf("q%015d", i), "OBS", "[]", t0.Add(time.Duration(i)*time.Minute))
		b.Transmissions = append(b.Transmissions, tx)
		b.Observations = append(b.Observations, o)
	}
	if _, err := w.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		// A long pause after the first batch leaves room for the ingest batch.
		_, err := w.Prune(pctx, Retention{PacketDays: 30, BatchSize: 2, PauseBetweenBatches: time.Hour}, now)
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for queryInt(t, w.DB(), "SELECT count(*) FROM transmissions") != 8 {
		if time.Now().After(deadline) {
			t.Fatal("first prune batch did not happen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	tx, o := packet("q000000000000000", "OBS", `["AB"]`, now)
	r, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o}})
	cancel()
	if perr := <-done; !errors.Is(perr, context.Canceled) {
		t.Errorf("Prune after cancel = %v, want context.Canceled", perr)
	}
	if err != nil || r.NewTransmissions != 1 || r.NewObservations != 1 {
		t.Fatalf("re-heard pruned packet: %+v %v, want a new transmission and observation", r, err)
	}
	if got := queryInt(t, w.DB(), "SELECT count(*) FROM observations o JOIN transmissions t ON t.id = o.transmission_id WHERE t.hash = 'q000000000000000'"); got != 1 {
		t.Errorf("observations of the re-heard packet = %d, want 1", got)
	}
}
