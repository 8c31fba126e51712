package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/fixtures"
)

// migratedFixture copies the fixture to a temp dir and migrates it with our
// ingestor's migrations (the server only reads migrated databases).
func migratedFixture(t *testing.T) *sql.DB {
	t.Helper()
	// The database written by the original CoreScope 13bdee57.
	dst := fixtures.CopyFixtureDB(t, "fixture.db")
	ctx := context.Background()
	w, err := db.Open(ctx, dst)
	if err != nil {
		t.Fatalf("open fixture for migration: %v", err)
	}
	if err := db.Migrate(ctx, w, quietLog); err != nil {
		t.Fatalf("migrate fixture: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := db.OpenReader(ctx, dst)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	t.Cleanup(func() { rd.Close() })
	if err := db.CheckSchema(ctx, rd); err != nil {
		t.Fatalf("check schema: %v", err)
	}
	return rd
}

func sqlCount(t *testing.T, d *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestLoadsOriginalFixtureDatabase(t *testing.T) {
	rd := migratedFixture(t)
	s := New(rd, Config{Logger: quietLog, LoadChunk: 64, PollInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	waitReady(t, s)

	wantTx := sqlCount(t, rd, `SELECT COUNT(*) FROM transmissions`)
	wantObs := sqlCount(t, rd, `SELECT COUNT(*) FROM observations`)
	st := s.Stats(time.Now())
	if st.TotalTransmissions != wantTx || st.TotalObservations != wantObs {
		t.Fatalf("store has %d tx / %d obs, SQL %d / %d", st.TotalTransmissions, st.TotalObservations, wantTx, wantObs)
	}
	if wantTx == 0 {
		t.Fatal("fixture has no transmissions")
	}
	if n := sqlCount(t, rd, `SELECT COUNT(*) FROM nodes`); st.TotalNodesAllTime != n {
		t.Fatalf("nodes = %d, SQL %d", st.TotalNodesAllTime, n)
	}
	if n := sqlCount(t, rd, `SELECT COUNT(*) FROM observers`); st.TotalObservers != n {
		t.Fatalf("observers = %d, SQL %d", st.TotalObservers, n)
	}

	// Per-type and per-observer counts come from the indexes; compare with SQL.
	for _, pt := range []int{0, 4, 5} {
		want := sqlCount(t, rd, `SELECT COUNT(*) FROM transmissions WHERE payload_type = ?`, pt)
		if got := s.Packets(PacketQuery{Types: []int{pt}}).Total; got != want {
			t.Errorf("type %d: %d packets, SQL %d", pt, got, want)
		}
	}
	var obsID string
	if err := rd.QueryRow(`SELECT id FROM observers ORDER BY packet_count DESC LIMIT 1`).Scan(&obsID); err != nil {
		t.Fatal(err)
	}
	want := sqlCount(t, rd, `SELECT COUNT(DISTINCT o.transmission_id) FROM observations o
		JOIN observers ob ON ob.rowid = o.observer_idx WHERE ob.id = ?`, obsID)
	if got := s.Packets(PacketQuery{Observers: []string{obsID}}).Total; got != want {
		t.Errorf("observer %s: %d packets, SQL %d", obsID, got, want)
	}

	// Observations point at the same observers as in SQL (observer_idx → rowid).
	rows, err := rd.Query(`SELECT t.hash, o.id, ob.id FROM observations o
		JOIN transmissions t ON t.id = o.transmission_id
		JOIN observers ob ON ob.rowid = o.observer_idx ORDER BY o.id LIMIT 50`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var hash, observer string
		var id int64
		if err := rows.Scan(&hash, &id, &observer); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, o := range s.ObservationsByHash([]string{hash})[hash] {
			if o.ID == id {
				found = true
				if o.ObserverID == nil || *o.ObserverID != observer {
					t.Fatalf("observation %d observer = %v, SQL %s", id, o.ObserverID, observer)
				}
			}
		}
		if !found {
			t.Fatalf("observation %d of %s missing", id, hash)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no observations checked")
	}

	// Channels and node queries answer on real data.
	if ch := s.Channels(nil, false); len(ch.Channels) == 0 {
		t.Error("no channels from the fixture")
	}
	nodes := s.Nodes(NodeQuery{Limit: 5})
	if len(nodes.Nodes) != 5 || nodes.Total == 0 {
		t.Fatalf("nodes page = %d of %d", len(nodes.Nodes), nodes.Total)
	}
	if _, err := s.NodeHealth(nodes.Nodes[0].PublicKey, time.Now()); err != nil {
		t.Errorf("node health: %v", err)
	}
	// Stored resolved_path values attribute relays to the node index.
	var relay string
	if err := rd.QueryRow(`SELECT json_extract(resolved_path, '$[0]') FROM observations
		WHERE resolved_path IS NOT NULL AND json_extract(resolved_path, '$[0]') IS NOT NULL LIMIT 1`).Scan(&relay); err != nil {
		t.Fatal(err)
	}
	if got := s.Packets(PacketQuery{Node: relay}).Total; got == 0 {
		t.Errorf("relay %s from resolved_path not in the node index", relay)
	}
}

// TestRunReportsAnUnmigratedDatabase: on a database the ingestor has not
// migrated (the original's fixture as is), Run fails with an error naming the
// problem and Ready/NotReadyReason say so; nothing panics.
func TestRunReportsAnUnmigratedDatabase(t *testing.T) {
	dst := fixtures.CopyFixtureDB(t, "raw.db")
	rd, err := db.OpenReader(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	s := New(rd, Config{Logger: quietLog})
	err = s.Run(context.Background())
	if err == nil {
		t.Fatal("Run succeeded on an unmigrated database")
	}
	if s.Ready() || !strings.HasPrefix(s.NotReadyReason(), "failed: ") || s.Progress().Phase != PhaseFailed {
		t.Fatalf("ready=%v reason=%q phase=%s", s.Ready(), s.NotReadyReason(), s.Progress().Phase)
	}
	if !strings.Contains(err.Error(), "no such column") {
		t.Fatalf("error does not name the problem: %v", err)
	}
}
