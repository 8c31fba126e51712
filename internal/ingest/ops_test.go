package ingest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/metrics/metricstest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// TestIngestMetricsMatchDatabase scrapes the ingestor's /metrics after
// meshsim traffic mixed with bad input: stored messages and rows agree with
// SQL over the database, and each bad input is counted under its reason.
func TestIngestMetricsMatchDatabase(t *testing.T) {
	sim := meshsim.New(meshsim.Options{Seed: 12, Nodes: 40, Observers: 3,
		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour})
	good := sim.Generate(400)
	want := expectFor(good)
	msgs := toMessages(good)
	obs := strings.Repeat("AB", 32)
	badCounts := map[string]int{"invalid_json": 7, "decode_error": 5, "unknown_topic": 3}
	for i := range badCounts["invalid_json"] {
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + obs + "/packets", Payload: fmt.Appendf(nil, `{"raw":"0A%d`, i)})
	}
	for i := range badCounts["decode_error"] {
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + obs + "/packets", Payload: fmt.Appendf(nil, `{"raw":"ZZ%d"}`, i)})
	}
	for range badCounts["unknown_topic"] {
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + obs + "/debug", Payload: []byte(`{"log":"x"}`)})
	}

	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) { c.MetricsListen = "127.0.0.1:0" })
	if ing.MetricsAddr() == "" {
		t.Fatal("metricsListen set but no listener")
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	f := metricstest.Scrape(t, "http://"+ing.MetricsAddr()+"/metrics")
	d := openRO(t, dbPath)
	src := map[string]string{"source": "test"}
	val := func(name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := f.Value(name, labels)
		if !ok {
			t.Fatalf("no sample %s%v", name, labels)
		}
		return v
	}
	goodMsgs := want.packets + want.statuses
	if got := val("corescope_ingest_messages_total", map[string]string{"source": "test", "outcome": "stored"}); int(got) != goodMsgs {
		t.Errorf("stored messages = %v, want %d (meshsim packets + statuses)", got, goodMsgs)
	}
	for reason, n := range badCounts {
		if got := val("corescope_ingest_messages_total", map[string]string{"source": "test", "outcome": reason}); int(got) != n {
			t.Errorf("outcome %s = %v, want %d", reason, got, n)
		}
	}
	if got := f.Sum("corescope_ingest_messages_total", src); int(got) != len(msgs) {
		t.Errorf("sum of outcomes = %v, want every message (%d)", got, len(msgs))
	}
	if got := val("corescope_ingest_messages_received_total", src); int(got) != len(msgs) {
		t.Errorf("received = %v, want %d", got, len(msgs))
	}
	if got, n := val("corescope_ingest_rows_total", map[string]string{"table": "transmissions", "result": "new"}), count(t, d, "SELECT COUNT(*) FROM transmissions"); int(got) != n {
		t.Errorf("new transmissions = %v, SQLite has %d", got, n)
	}
	if got, n := val("corescope_ingest_rows_total", map[string]string{"table": "observations", "result": "new"}), count(t, d, "SELECT COUNT(*) FROM observations"); int(got) != n {
		t.Errorf("new observations = %v, SQLite has %d", got, n)
	}
	if got := val("corescope_ingest_mqtt_connected", src); got != 1 {
		t.Errorf("mqtt_connected = %v, want 1", got)
	}
	if age := val("corescope_ingest_source_last_message_age_seconds", src); age < 0 || age > 60 {
		t.Errorf("last message age = %v s, want a recent message", age)
	}
	h := f.Histogram("corescope_ingest_batch_messages", nil)
	if h == nil || h.GetSampleCount() == 0 {
		t.Fatalf("batch size histogram empty: %v", h)
	}
	// Bad input never reaches the writer: the batches hold exactly the good messages.
	if int(h.GetSampleSum()) != goodMsgs {
		t.Errorf("sum of batch sizes = %v, want %d", h.GetSampleSum(), goodMsgs)
	}
	if c := f.Histogram("corescope_ingest_commit_seconds", nil); c == nil || c.GetSampleCount() != h.GetSampleCount() {
		t.Errorf("commit latency histogram has %v samples, want one per batch (%d)", c.GetSampleCount(), h.GetSampleCount())
	}
	if _, ok := f.Value("corescope_ingest_queue_capacity", nil); !ok {
		t.Error("no queue capacity gauge")
	}
	if _, ok := f.Value("go_goroutines", nil); !ok {
		t.Error("no Go runtime metrics")
	}
}
