package ingest_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// TestRejoinsRestartedBrokerWithin5s: after a 20 s broker outage (the attack
// run's case, which took 27 s to recover with a 30 s backoff cap), the
// ingestor with its default timings is connected again within 5 s of the
// broker listening, and ingests what is published next. Real Mosquitto,
// stopped and restarted on the same port.
func TestRejoinsRestartedBrokerWithin5s(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s outage")
	}
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	obs := strings.Repeat("AB", 32)
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", obs, "o", uniqueTxt(1), "3", "-90")})
	ing.WaitAcked(t, 1)

	b.Stop()
	waitConnected(t, ing, false, 10*time.Second)
	time.Sleep(20 * time.Second)
	b.Restart(t)
	start := time.Now()
	waitConnected(t, ing, true, 30*time.Second)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("rejoined the restarted broker after %v, want within 5 s", took.Round(100*time.Millisecond))
	} else {
		t.Logf("rejoined %v after the broker came back", took.Round(100*time.Millisecond))
	}
	// Subscriptions are back too: a new message is stored.
	time.Sleep(300 * time.Millisecond) // SUBSCRIBE is sent right after CONNACK
	ingesttest.Publish(t, b.URL, []ingesttest.Message{packetMsg("SEA", obs, "o", uniqueTxt(2), "3", "-90")})
	ing.WaitAcked(t, 2)
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM transmissions"); got != 2 {
		t.Errorf("transmissions = %d, want 2", got)
	}
}

func waitConnected(t *testing.T, ing *ingesttest.Ingestor, want bool, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if st := ing.Stats(); len(st.Sources) == 1 && st.Sources[0].Connected == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("source connected != %v after %v", want, limit)
}
