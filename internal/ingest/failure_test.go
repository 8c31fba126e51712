package ingest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

func execSQL(t *testing.T, dbPath, q string) {
	t.Helper()
	d, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestPoisonRowDoesNotBlockTheBatch: a message whose row the database
// rejects is counted as a write error and acknowledged; the messages around
// it are stored.
func TestPoisonRowDoesNotBlockTheBatch(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	execSQL(t, dbPath, `CREATE TRIGGER poison BEFORE INSERT ON observations WHEN NEW.snr = -999 BEGIN SELECT RAISE(ABORT, 'poison'); END`)
	obs := strings.Repeat("7C", 32)
	var msgs []ingesttest.Message
	for i := range 12 {
		snr := "3"
		if i%6 == 5 {
			snr = "-999"
		}
		msgs = append(msgs, packetMsg("SEA", obs, "p", uniqueTxt(i), snr, "-1"))
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM observations"); got != 10 {
		t.Errorf("observations = %d, want 10", got)
	}
	if st := ing.Stats(); st.WriteErrors != 2 || st.Drops["write_error"] != 2 {
		t.Errorf("write_errors = %d, drops = %v; want 2", st.WriteErrors, st.Drops)
	}
}

// TestBrokenDatabaseStopsIntakeWithoutLoss: when every write fails (here a
// trigger that cannot run, standing in for a full disk), nothing is
// acknowledged; once the database works again every message is stored.
func TestBrokenDatabaseStopsIntakeWithoutLoss(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	execSQL(t, dbPath, `CREATE TRIGGER broken BEFORE INSERT ON observations BEGIN INSERT INTO no_such_table VALUES (1); END`)
	obs := strings.Repeat("8D", 32)
	msgs := make([]ingesttest.Message, 20)
	for i := range msgs {
		msgs[i] = packetMsg("SEA", obs, "x", uniqueTxt(i), "1", "-1")
	}
	ingesttest.Publish(t, b.URL, msgs)
	waitUntil(t, "failed batch retries", func() bool { return ing.Stats().BatchRetries >= 4 })
	if st := ing.Stats(); st.Acked != 0 || st.Received != uint64(len(msgs)) {
		t.Fatalf("acked %d of %d received while the database is broken, want 0", st.Acked, st.Received)
	}
	execSQL(t, dbPath, `DROP TRIGGER broken`)
	ing.WaitAcked(t, uint64(len(msgs)))
	d := openRO(t, dbPath)
	if got := count(t, d, "SELECT COUNT(*) FROM observations"); got != len(msgs) {
		t.Errorf("observations = %d, want %d", got, len(msgs))
	}
	if st := ing.Stats(); st.WriteErrors != 0 {
		t.Errorf("write_errors = %d, want 0: nothing was abandoned", st.WriteErrors)
	}
}

// TestMessageFailingOnItsOwnIsAbandoned: a message whose write keeps failing
// with a non-row error while the rest of its batch writes fine is, after
// three single attempts, counted as a write error and acknowledged, so it
// cannot stall intake forever.
func TestMessageFailingOnItsOwnIsAbandoned(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	execSQL(t, dbPath, `CREATE TRIGGER stuck BEFORE INSERT ON observations WHEN NEW.snr = -998 BEGIN SELECT json('{'); END`)
	obs := strings.Repeat("6E", 32)
	msgs := make([]ingesttest.Message, 8)
	for i := range msgs {
		snr := "2"
		if i == 3 {
			snr = "-998"
		}
		msgs[i] = packetMsg("SEA", obs, "s", uniqueTxt(i), snr, "-1")
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM observations"); got != len(msgs)-1 {
		t.Errorf("observations = %d, want %d", got, len(msgs)-1)
	}
	if st := ing.Stats(); st.WriteErrors != 1 {
		t.Errorf("write_errors = %d, want 1", st.WriteErrors)
	}
	// Intake continues afterwards.
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", obs, "s", uniqueTxt(100), "2", "-1")})
	ing.WaitAcked(t, uint64(len(msgs)+1))
}
