package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingest"
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
	execSQL(t, dbPath, `CREATE TRIGGER poison BEFORE INSERT ON observations WHEN NEW.snr = -99.5 BEGIN SELECT RAISE(ABORT, 'poison'); END`)
	obs := strings.Repeat("7C", 32)
	var msgs []ingesttest.Message
	for i := range 12 {
		snr := "3"
		if i%6 == 5 {
			snr = "-99.5"
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
// with a non-row error while the messages around it are written is, after
// three such rounds, counted as a write error and acknowledged, so it cannot
// stall intake forever. Rounds without other writes are no evidence against
// it (the database could be the problem), so the test keeps traffic flowing.
func TestMessageFailingOnItsOwnIsAbandoned(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	execSQL(t, dbPath, `CREATE TRIGGER stuck BEFORE INSERT ON observations WHEN NEW.snr = -98.5 BEGIN SELECT json('{'); END`)
	obs := strings.Repeat("6E", 32)
	var msgs []ingesttest.Message
	for i := range 8 {
		snr := "2"
		if i == 3 {
			snr = "-98.5"
		}
		msgs = append(msgs, packetMsg("SEA", obs, "s", uniqueTxt(i), snr, "-1"))
	}
	ingesttest.Publish(t, b.URL, msgs)
	deadline := time.Now().Add(45 * time.Second)
	for n := 100; ing.Stats().WriteErrors == 0; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("poison message never abandoned: %+v", ing.Stats())
		}
		m := packetMsg("SEA", obs, "s", uniqueTxt(n), "2", "-1")
		msgs = append(msgs, m)
		ingesttest.Publish(t, b.URL, []ingesttest.Message{m})
		time.Sleep(150 * time.Millisecond)
	}
	ing.WaitAcked(t, uint64(len(msgs)))
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM observations"); got != len(msgs)-1 {
		t.Errorf("observations = %d, want %d", got, len(msgs)-1)
	}
	if st := ing.Stats(); st.WriteErrors != 1 || st.Drops["write_error"] != 1 {
		t.Errorf("write_errors = %d, drops = %v; want 1", st.WriteErrors, st.Drops)
	}
}

// TestStalledWriterKeepsTheConnection: while the database cannot take
// writes for several keepalive periods and more messages arrive than the
// broker window holds, the source stays connected (backpressure, not a
// lapsed keepalive), and afterwards every message is stored.
func TestStalledWriterKeepsTheConnection(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.StartWith(t, ingesttest.Config(b.URL, dbPath), ingest.Options{KeepAlive: 2 * time.Second})
	execSQL(t, dbPath, `CREATE TRIGGER broken BEFORE INSERT ON observations BEGIN INSERT INTO no_such_table VALUES (1); END`)
	obs := strings.Repeat("3F", 32)
	msgs := make([]ingesttest.Message, 1500) // more than max_inflight_messages (1000)
	for i := range msgs {
		msgs[i] = packetMsg("SEA", obs, "k", uniqueTxt(i), "1", "-1")
	}
	ingesttest.Publish(t, b.URL, msgs)
	// Stall for 3 keepalive periods (Mosquitto drops a client after 1.5).
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		if s := ing.Stats().Sources[0]; !s.Connected || s.LastDisconnect != "" {
			t.Fatalf("source lost its connection during the stall: %+v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := ing.Stats(); st.Acked != 0 || st.Received >= uint64(len(msgs)) {
		t.Fatalf("during the stall: acked %d, received %d of %d; want 0 acked and the broker holding the rest", st.Acked, st.Received, len(msgs))
	}
	execSQL(t, dbPath, `DROP TRIGGER broken`)
	ing.WaitAcked(t, uint64(len(msgs)))
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM observations"); got != len(msgs) {
		t.Errorf("observations = %d, want %d", got, len(msgs))
	}
	if st := ing.Stats(); st.WriteErrors != 0 {
		t.Errorf("write_errors = %d, want 0: nothing may be abandoned after a stall", st.WriteErrors)
	}
	if s := ing.Stats().Sources[0]; s.Reconnects != 0 || s.LastDisconnect != "" {
		log, _ := os.ReadFile(filepath.Join(b.Dir, "mosquitto.log"))
		t.Errorf("source reconnected: %+v\nbroker log:\n%s", s, log)
	}
}
