package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/corescope/corescope/internal/db"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestHelpExitsCleanly(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, noEnv, &out, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, flag := range []string{"-config-dir", "-port", "-db", "-public", "-poll-ms"} {
		if !strings.Contains(out.String(), flag) {
			t.Fatalf("usage lacks %s:\n%s", flag, out.String())
		}
	}
	if err := run(context.Background(), []string{"-poll-ms", "0"}, noEnv, io.Discard, io.Discard); err == nil {
		t.Fatal("-poll-ms 0 accepted")
	}
}

func migratedDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	w, err := db.OpenWriter(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func startApp(t *testing.T, args ...string) (*app, context.CancelFunc, *syncBuffer) {
	t.Helper()
	opts, err := parseFlags(append([]string{"-addr", "127.0.0.1:0", "-config-dir", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	a, err := start(ctx, opts, noEnv, logs)
	if err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	return a, cancel, logs
}

func TestServerAnswersAtOnceThenBecomesReadyAndShutsDownGracefully(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	a, cancel, logs := startApp(t, "-db", dbPath, "-poll-ms", "50")
	defer cancel()
	base := "http://" + a.Addr()

	// No database yet: HTTP answers, healthz says why it is not ready.
	code, body := get(t, base+"/api/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "waiting for the ingestor") {
		t.Fatalf("healthz without db: %d %s", code, body)
	}
	if code, body := get(t, base+"/"); code != 200 || !bytes.Contains(body, []byte("<html")) {
		t.Fatalf("embedded app: %d", code)
	}

	// The ingestor creates and migrates it; the server picks it up.
	w, err := db.OpenWriter(context.Background(), dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body = get(t, base+"/api/healthz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %d %s\nlogs:\n%s", code, body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var stats map[string]any
	code, body = get(t, base+"/api/stats")
	if code != 200 || json.Unmarshal(body, &stats) != nil || stats["engine"] != "go" {
		t.Fatalf("stats: %d %s", code, body)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+a.Addr()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	waitClients(t, a, 1)
	cancel()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "server shutting down" {
		t.Fatalf("websocket on shutdown: %v", err)
	}
	if err := a.wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
}

func TestServerRefusesNewerSchema(t *testing.T) {
	dbPath := migratedDB(t)
	w, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO _migrations(name) VALUES ('9999_from_the_future')`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	a, cancel, _ := startApp(t, "-db", dbPath)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.wait() }()
	select {
	case err := <-done:
		if !errors.Is(err, db.ErrSchemaNewer) {
			t.Fatalf("exit error %v, want ErrSchemaNewer", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server kept running on a newer schema")
	}
}

func TestConfigPortAndFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"port": 4999, "dbPath": "x.db"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, err := parseFlags([]string{"-config-dir", dir, "-db", filepath.Join(dir, "flag.db"), "-addr", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := start(ctx, opts, noEnv, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if a.cfg.DBPath != filepath.Join(dir, "flag.db") {
		t.Fatalf("db path %q: the -db flag must win", a.cfg.DBPath)
	}
	cancel()
	if err := a.wait(); err != nil {
		t.Fatal(err)
	}
}

func TestServerWaitsWhileSchemaIsBehind(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	raw, err := db.Open(context.Background(), dbPath) // file exists, nothing migrated
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	a, cancel, logs := startApp(t, "-db", dbPath, "-poll-ms", "50")
	defer cancel()
	base := "http://" + a.Addr()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := get(t, base+"/api/healthz")
		if code == http.StatusServiceUnavailable && strings.Contains(string(body), "schema") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never reported the schema wait: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := db.Migrate(context.Background(), raw, nil); err != nil {
		t.Fatal(err)
	}
	waitReady(t, base, logs)
	if !strings.Contains(logs.String(), "waiting for the ingestor to migrate") {
		t.Fatalf("the wait was not logged:\n%s", logs.String())
	}
	cancel()
	if err := a.wait(); err != nil {
		t.Fatal(err)
	}
}

func waitClients(t *testing.T, a *app, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.hub.Stats().Clients != n {
		if time.Now().After(deadline) {
			t.Fatalf("websocket clients %d, want %d", a.hub.Stats().Clients, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
