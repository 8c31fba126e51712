package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/fixtures"
	"github.com/corescope/corescope/internal/store"
)

// fixtureDB copies the database written by the original CoreScope into a
// temp dir and migrates it, as the ingestor would on first start.
func fixtureDB(t testing.TB) string {
	t.Helper()
	path := fixtures.CopyFixtureDB(t, "meshcore.db")
	ctx := context.Background()
	w, err := db.Open(ctx, path)
	if err != nil {
		t.Fatalf("open fixture: %v", err)
	}
	if err := db.Migrate(ctx, w, nil); err != nil {
		t.Fatalf("migrate fixture: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// runStore opens path read-only, runs a store on it and waits for the
// initial load. now is the store's clock (nil = time.Now).
func runStore(t testing.TB, path string, now func() time.Time) *store.Store {
	t.Helper()
	return runStoreWith(t, path, store.Config{Now: now})
}

// runStoreWith is runStore with a store configuration (blacklists…).
func runStoreWith(t testing.TB, path string, cfg store.Config) *store.Store {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rdb, err := db.OpenReader(ctx, path)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	cfg.PollInterval, cfg.Logger = 50*time.Millisecond, quietLog()
	st := store.New(rdb, cfg)
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("store run: %v", err)
		}
		rdb.Close()
	})
	deadline := time.Now().Add(60 * time.Second)
	for !st.Ready() {
		if p := st.Progress(); p.Phase == store.PhaseFailed {
			t.Fatalf("store load failed: %s", p.Err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("store not ready: %+v", st.Progress())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return st
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig returns defaults with the given tweaks applied.
func testConfig(mod func(*config.Config)) *config.Config {
	c := config.Default()
	if mod != nil {
		mod(&c)
	}
	return &c
}

// newServer builds the api server around st (nil = no store yet).
func newServer(t testing.TB, cfg *config.Config, st Store, mod func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	opts := Options{Config: cfg, Logger: quietLog(), ConfigDir: t.TempDir()}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if st != nil {
		s.SetStore(st)
	}
	// The analytics recomputer runs next to the store, as in cmd/server.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.RunAnalytics(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// fetch performs a request and returns status, headers and body.
func fetch(t testing.TB, method, url, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// getJSON GETs url, requires want status, and decodes into v (if non-nil).
func getJSON(t testing.TB, url string, want int, v any) []byte {
	t.Helper()
	code, hdr, body := fetch(t, http.MethodGet, url, "", nil)
	if code != want {
		t.Fatalf("GET %s: status %d, want %d; body %s", url, code, want, trunc(body))
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: decode: %v; body %s", url, err, trunc(body))
		}
	}
	return body
}

func trunc(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}
