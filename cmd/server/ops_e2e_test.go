package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/metrics/metricstest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// TestMetricsOfBothProcesses runs meshsim traffic, bad input and a small
// flood through Mosquitto → ingestor → SQLite → server, scrapes /metrics of
// both processes (parsed with expfmt) and checks the counters against SQL
// over the database and against what was published; /api/health lists the
// rate-limited observer; every metric docs/alerts.yml uses is exported.
func TestMetricsOfBothProcesses(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "meshcore.db")
	const burst = 250
	ing := ingesttest.Start(t, b.URL, dbPath, func(c *config.Config) {
		c.MetricsListen = "127.0.0.1:0"
		// Slow refill: the flood below exceeds the burst, meshsim's observers do not.
		c.ObserverRateLimit = config.RateLimit{PacketsPerSec: 0.01, Burst: burst}
	})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, err := parseFlags([]string{"-config-dir", dir, "-db", dbPath, "-addr", "127.0.0.1:0", "-poll-ms", "50"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	a, err := start(ctx, opts, noEnv, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := a.wait(); err != nil {
			t.Errorf("server exit: %v", err)
		}
	}()
	base := "http://" + a.Addr()
	waitReady(t, base, logs)

	sim := meshsim.New(meshsim.Options{Seed: 21, Nodes: 40, Observers: 4, Duration: 30 * time.Minute, End: time.Now().UTC().Truncate(time.Second)})
	good := sim.Generate(300)
	perObserver := map[string]int{}
	var msgs []ingesttest.Message
	for _, m := range good {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
		perObserver[m.ObserverID]++
	}
	for id, n := range perObserver {
		if n > burst {
			t.Fatalf("meshsim observer %s sends %d > burst %d: raise the burst", id, n, burst)
		}
	}
	flooder := strings.Repeat("F1", 32)
	const flood = burst + 40
	for i := range flood {
		raw := fmt.Sprintf("0A00%04X1234%032X", i, i*7919+1)
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + flooder + "/packets",
			Payload: fmt.Appendf(nil, `{"raw":%q,"SNR":5,"RSSI":-90}`, raw)})
	}
	const invalidJSON, decodeErr = 4, 6
	for i := range invalidJSON {
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + strings.Repeat("E2", 32) + "/packets", Payload: fmt.Appendf(nil, `{"raw":%d`, i)})
	}
	for i := range decodeErr {
		msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + strings.Repeat("E2", 32) + "/packets", Payload: fmt.Appendf(nil, `{"raw":"XY%d"}`, i)})
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	rdb, err := db.OpenReader(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	sqlCount := func(q string) int {
		var n int
		if err := rdb.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	txRows, obsRows := sqlCount("SELECT COUNT(*) FROM transmissions"), sqlCount("SELECT COUNT(*) FROM observations")

	// The ingestor.
	fi := metricstest.Scrape(t, "http://"+ing.MetricsAddr()+"/metrics")
	val := func(f metricstest.Families, name string, l map[string]string) float64 {
		t.Helper()
		v, ok := f.Value(name, l)
		if !ok {
			t.Fatalf("no sample %s%v", name, l)
		}
		return v
	}
	outcome := func(o string) int {
		return int(val(fi, "corescope_ingest_messages_total", map[string]string{"source": "test", "outcome": o}))
	}
	if got, want := outcome("stored"), len(good)+burst; got != want {
		t.Errorf("stored = %d, want %d (meshsim messages + the flood's burst)", got, want)
	}
	if got := outcome("rate_limited"); got != flood-burst {
		t.Errorf("rate_limited = %d, want %d", got, flood-burst)
	}
	if got := outcome("invalid_json"); got != invalidJSON {
		t.Errorf("invalid_json = %d, want %d", got, invalidJSON)
	}
	if got := outcome("decode_error"); got != decodeErr {
		t.Errorf("decode_error = %d, want %d", got, decodeErr)
	}
	if got := int(val(fi, "corescope_ingest_rows_total", map[string]string{"table": "transmissions", "result": "new"})); got != txRows {
		t.Errorf("ingest new transmissions = %d, SQLite has %d", got, txRows)
	}
	if got := int(val(fi, "corescope_ingest_rows_total", map[string]string{"table": "observations", "result": "new"})); got != obsRows {
		t.Errorf("ingest new observations = %d, SQLite has %d", got, obsRows)
	}
	if got := int(val(fi, "corescope_ingest_observer_rate_limited_total", map[string]string{"observer": flooder})); got != flood-burst {
		t.Errorf("flooder rate-limited = %d, want %d", got, flood-burst)
	}

	// The server, once its store has caught up with the database.
	var fs metricstest.Families
	deadline := time.Now().Add(30 * time.Second)
	for {
		fs = metricstest.Scrape(t, base+"/metrics")
		if v, _ := fs.Value("corescope_store_observations", nil); int(v) == obsRows {
			break
		}
		if time.Now().After(deadline) {
			v, _ := fs.Value("corescope_store_observations", nil)
			t.Fatalf("server store has %v observations, SQLite %d", v, obsRows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := int(val(fs, "corescope_store_transmissions", nil)); got != txRows {
		t.Errorf("server transmissions = %d, SQLite has %d", got, txRows)
	}
	observersWithPackets := sqlCount("SELECT COUNT(*) FROM observers WHERE last_packet_at IS NOT NULL AND inactive = 0")
	if got := len(fs.Labels("corescope_observer_last_packet_age_seconds")); got != observersWithPackets {
		t.Errorf("%d observer packet-age series, SQLite has %d observers with packets", got, observersWithPackets)
	}
	if v, ok := fs.Value("corescope_observer_last_packet_age_seconds", map[string]string{"observer": flooder}); !ok || v > 120 {
		t.Errorf("flooder packet age = %v (%v), want a recent packet", v, ok)
	}

	// /api/health names the rate-limited observer (from the stats file, 1 Hz).
	deadline = time.Now().Add(10 * time.Second)
	for {
		var h struct {
			Observers struct {
				RateLimited []struct {
					Observer string `json:"observer"`
					Dropped  int    `json:"dropped"`
				} `json:"rateLimited"`
			} `json:"observers"`
		}
		resp, err := http.Get(base + "/api/health")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rl := h.Observers.RateLimited; len(rl) == 1 && rl[0].Observer == flooder && rl[0].Dropped == flood-burst {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/health observers.rateLimited = %+v, want the flooder with %d", h.Observers.RateLimited, flood-burst)
		}
		time.Sleep(200 * time.Millisecond)
	}

	checkAlertRules(t, fi, fs)
}

// checkAlertRules fails when docs/alerts.yml uses a corescope_ metric that
// neither process exports.
func checkAlertRules(t *testing.T, fams ...metricstest.Families) {
	t.Helper()
	rules, err := os.ReadFile(filepath.Join("..", "..", "docs", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`corescope_[a-z0-9_]+`).FindAllString(string(rules), -1) {
		names[m] = true
	}
	var missing []string
	for n := range names {
		found := false
		for _, f := range fams {
			if f[n] != nil {
				found = true
			}
		}
		if !found {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(names) < 8 || len(missing) > 0 {
		t.Errorf("docs/alerts.yml uses %d metrics; not exported: %v", len(names), missing)
	}
}
