package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
)

// TestLoadsWhatTheRealIngestorWrote fills a database the production way
// (meshsim → Mosquitto → ingestor) and checks the store against SQL.
func TestLoadsWhatTheRealIngestorWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	opts := meshsim.ReferenceOptions(7, time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC))
	opts.Nodes, opts.Observers = 60, 4
	gen := meshsim.New(opts).Generate(150)
	msgs := make([]ingesttest.Message, len(gen))
	for i, m := range gen {
		msgs[i] = ingesttest.Message{Topic: m.Topic, Payload: m.Payload}
	}
	ingesttest.Fill(t, path, msgs)

	rd, err := db.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := db.CheckSchema(context.Background(), rd); err != nil {
		t.Fatalf("schema: %v", err)
	}
	s := New(rd, Config{Logger: quietLog, PollInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitReady(t, s)

	st := s.Stats(time.Now())
	if want := sqlCount(t, rd, `SELECT COUNT(*) FROM transmissions`); st.TotalTransmissions != want || want == 0 {
		t.Fatalf("transmissions %d, SQL %d", st.TotalTransmissions, want)
	}
	if want := sqlCount(t, rd, `SELECT COUNT(*) FROM observations`); st.TotalObservations != want {
		t.Fatalf("observations %d, SQL %d", st.TotalObservations, want)
	}
	// Every advert is attributed to its sender through the node index.
	rows, err := rd.Query(`SELECT from_pubkey, COUNT(*) FROM transmissions WHERE payload_type = 4
		AND from_pubkey IS NOT NULL AND from_pubkey != '' GROUP BY from_pubkey`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	senders := 0
	for rows.Next() {
		var pk string
		var n int
		if err := rows.Scan(&pk, &n); err != nil {
			t.Fatal(err)
		}
		if got := s.Packets(PacketQuery{Node: pk, Types: []int{4}}).Total; got < n {
			t.Fatalf("node %s: %d adverts in the index, SQL %d", pk[:8], got, n)
		}
		senders++
	}
	if senders == 0 {
		t.Fatal("no adverts in the simulated traffic")
	}
	// Observer raw bytes are rebuilt exactly (per-observer paths differ).
	orows, err := rd.Query(`SELECT t.hash, o.id, o.raw_hex FROM observations o
		JOIN transmissions t ON t.id = o.transmission_id WHERE o.raw_hex IS NOT NULL LIMIT 200`)
	if err != nil {
		t.Fatal(err)
	}
	defer orows.Close()
	checked := 0
	for orows.Next() {
		var hash, raw string
		var id int64
		if err := orows.Scan(&hash, &id, &raw); err != nil {
			t.Fatal(err)
		}
		for _, o := range s.ObservationsByHash([]string{hash})[hash] {
			if o.ID == id {
				if o.RawHex != raw {
					t.Fatalf("observation %d raw %s, SQL %s", id, o.RawHex, raw)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no observation raw bytes checked")
	}
	if ch := s.Channels(nil, true); len(ch.Channels) == 0 {
		t.Fatal("no channels")
	}
}
