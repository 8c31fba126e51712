package api

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
)

func TestHealthReportsIngestorStatusFile(t *testing.T) {
	dir := t.TempDir()
	statsPath := filepath.Join(dir, "ingestor-stats.json")
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.IngestorStatsPath = statsPath })
	type health struct {
		Ingestor struct {
			Available bool            `json:"available"`
			Error     string          `json:"error"`
			Stats     json.RawMessage `json:"stats"`
		} `json:"ingestor"`
		PacketStore struct {
			LoadPhase string `json:"loadPhase"`
		} `json:"packetStore"`
		Memory struct {
			RSS int `json:"rss"`
		} `json:"memory"`
	}
	var h health
	getJSON(t, ts.URL+"/api/health", 200, &h)
	if h.Ingestor.Available || h.Ingestor.Error == "" {
		t.Fatalf("missing stats file reported as %+v", h.Ingestor)
	}
	if h.Memory.RSS <= 0 {
		t.Fatalf("rss %d MB, want the real resident set", h.Memory.RSS)
	}
	if err := os.WriteFile(statsPath, []byte(`{"sources":[{"name":"local","connected":true}],"tx_inserted":42}`), 0o644); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.URL+"/api/health", 200, &h)
	var stats struct {
		TxInserted int `json:"tx_inserted"`
		Sources    []struct {
			Connected bool `json:"connected"`
		} `json:"sources"`
	}
	if !h.Ingestor.Available || json.Unmarshal(h.Ingestor.Stats, &stats) != nil || stats.TxInserted != 42 || !stats.Sources[0].Connected {
		t.Fatalf("fresh stats file: %+v", h.Ingestor)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(statsPath, old, old); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.URL+"/api/health", 200, &h)
	if h.Ingestor.Available {
		t.Fatal("a minute-old stats file is reported as available")
	}
	if err := os.WriteFile(statsPath, []byte(`garbage`), 0o644); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.URL+"/api/health", 200, &h)
	if h.Ingestor.Available || h.Ingestor.Error == "" {
		t.Fatalf("malformed stats file: %+v", h.Ingestor)
	}
}

func TestStatusHeaderFollowsStoreReadiness(t *testing.T) {
	s, ts := newServer(t, testConfig(nil), nil, nil)
	_, hdr, _ := fetch(t, http.MethodGet, ts.URL+"/api/config/map", "", nil)
	if hdr.Get("X-CoreScope-Status") != "loading" {
		t.Fatalf("before store: %q", hdr.Get("X-CoreScope-Status"))
	}
	s.SetStore(runStore(t, fixtureDB(t), nil))
	_, hdr, _ = fetch(t, http.MethodGet, ts.URL+"/api/config/map", "", nil)
	if hdr.Get("X-CoreScope-Status") != "ready" {
		t.Fatalf("after load: %q", hdr.Get("X-CoreScope-Status"))
	}
}

func TestPerfCountsRoutesByTemplateAndResets(t *testing.T) {
	cfg := testConfig(func(c *config.Config) { c.APIKey = "a-very-strong-key-0123" })
	_, ts := newServer(t, cfg, nil, nil)
	for i := 0; i < 3; i++ {
		fetch(t, http.MethodGet, ts.URL+"/api/nodes/abc/health", "", nil)
	}
	var p struct {
		TotalRequests int64 `json:"totalRequests"`
		Endpoints     map[string]struct {
			Count int64 `json:"count"`
		} `json:"endpoints"`
	}
	getJSON(t, ts.URL+"/api/perf", 200, &p)
	if p.Endpoints["/api/nodes/:pubkey/health"].Count != 3 {
		t.Fatalf("endpoints %+v, want 3 for /api/nodes/:pubkey/health", p.Endpoints)
	}
	code, _, _ := fetch(t, http.MethodPost, ts.URL+"/api/perf/reset", "", map[string]string{"X-API-Key": "a-very-strong-key-0123"})
	if code != 200 {
		t.Fatalf("reset: %d", code)
	}
	p.Endpoints = nil // Unmarshal merges into an existing map
	getJSON(t, ts.URL+"/api/perf", 200, &p)
	if _, ok := p.Endpoints["/api/nodes/:pubkey/health"]; ok || p.TotalRequests > 1 {
		t.Fatalf("after reset: %+v", p)
	}
}

func TestWriteSourcesComeFromTheIngestorStatsFile(t *testing.T) {
	statsPath := filepath.Join(t.TempDir(), "ingestor-stats.json")
	_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.IngestorStatsPath = statsPath })
	var ws struct {
		Sources  map[string]int64 `json:"sources"`
		SampleAt string           `json:"sampleAt"`
	}
	getJSON(t, ts.URL+"/api/perf/write-sources", 200, &ws)
	if len(ws.Sources) != 0 || ws.SampleAt != "" {
		t.Fatalf("without a stats file: %+v", ws)
	}
	body := `{"sampledAt":"2026-11-25T22:00:00Z","tx_inserted":7,"walCommits":3,"backfillUpdates":{"from_pubkey":2}}`
	if err := os.WriteFile(statsPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.URL+"/api/perf/write-sources", 200, &ws)
	if ws.Sources["tx_inserted"] != 7 || ws.Sources["walCommits"] != 3 || ws.Sources["backfill_from_pubkey"] != 2 || ws.SampleAt == "" {
		t.Fatalf("with a stats file: %+v", ws)
	}
}
