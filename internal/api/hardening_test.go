package api

// Tests for the API-side defects of issue 9 §2 (attack-run findings). Each
// failed before its fix.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
)

// rawGet sends a GET with the request line written verbatim (no client-side
// path cleaning, as `curl --path-as-is` does) and returns status and body.
func rawGet(t *testing.T, base, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDotObserverIDsAreReachable: "." and ".." are valid MQTT topic levels,
// so observers can have them as ids; they are listed and must be reachable.
func TestDotObserverIDsAreReachable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	ctx := context.Background()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	b := db.Batch{Observers: []db.ObserverUpsert{
		{ID: ".", Name: "dot", IATA: "SJC", Seen: now},
		{ID: "..", Name: "dotdot", IATA: "SJC", Seen: now},
		{ID: "AB%2E", Name: "percent", IATA: "SJC", Seen: now},
	}}
	if _, err := w.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, ts := newServer(t, testConfig(nil), runStore(t, path, nil), nil)
	for _, c := range []struct{ target, wantName string }{
		{"/api/observers/..", "dotdot"},
		{"/api/observers/.", "dot"},
		{"/api/observers/%2E%2E", "dotdot"},
		{"/api/observers/%2e", "dot"},
		{"/api/observer?id=..", "dotdot"},
		{"/api/observer?id=.", "dot"},
		{"/api/observer?id=AB%252E", "percent"},
		{"/api/observers/AB%252E", "percent"},
	} {
		code, body := rawGet(t, ts.URL, c.target)
		if code != 200 || !strings.Contains(body, `"name":"`+c.wantName+`"`) {
			t.Errorf("GET %s: %d %s, want 200 with name %q", c.target, code, trunc([]byte(body)), c.wantName)
		}
	}
	if code, body := rawGet(t, ts.URL, "/api/observer"); code != 400 || !strings.Contains(body, "id") {
		t.Errorf("GET /api/observer without id: %d %s, want 400 naming id", code, body)
	}
}

// Test405CarriesAllowAndStatusHeader: a 405 names the allowed methods, and
// the fallback 404/405 answers carry X-CoreScope-Status like every other.
func Test405CarriesAllowAndStatusHeader(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/api/packets", "GET, HEAD, POST"},
		{http.MethodPost, "/api/stats", "GET, HEAD"},
		{http.MethodGet, "/api/decode", "POST"},
		{http.MethodPost, "/api/config/geo-filter", "GET, HEAD, PUT"},
		{http.MethodDelete, "/api/nodes/abcdef0123", "GET, HEAD"},
	} {
		code, hdr, _ := fetch(t, c.method, ts.URL+c.path, "", nil)
		if code != http.StatusMethodNotAllowed || hdr.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.path, code, hdr.Get("Allow"), c.allow)
		}
		if hdr.Get("X-CoreScope-Status") == "" {
			t.Errorf("%s %s: no X-CoreScope-Status", c.method, c.path)
		}
	}
	code, hdr, _ := fetch(t, http.MethodGet, ts.URL+"/api/nope", "", nil)
	if code != 404 || hdr.Get("X-CoreScope-Status") == "" {
		t.Errorf("GET /api/nope: %d X-CoreScope-Status %q", code, hdr.Get("X-CoreScope-Status"))
	}
}

// TestOversizedBodyWithExpectContinueIs413: a real client announcing a
// 10 MB body with Expect: 100-continue must get the documented 413, never a
// connection reset (the server used to say 100 Continue, read 64 KiB and
// close on a client still sending).
func TestOversizedBodyWithExpectContinueIs413(t *testing.T) {
	_, ts := newServer(t, testConfig(func(c *config.Config) { c.APIKey = "a-very-strong-key-0123" }), nil,
		func(o *Options) { o.Publisher = &recordingPublisher{} })
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second, DisableKeepAlives: true}}
	body := bytes.Repeat([]byte("x"), 10<<20)
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/decode"},
		{http.MethodPost, "/api/packets/observations"},
		{http.MethodPut, "/api/config/geo-filter"},
		{http.MethodPost, "/api/packets"},
	} {
		for i := 0; i < 5; i++ {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, bytes.NewReader(body))
			req.Header.Set("Expect", "100-continue")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", "a-very-strong-key-0123")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s try %d: %v (want 413)", c.method, c.path, i, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too large") {
				t.Fatalf("%s %s: %d %s, want 413", c.method, c.path, resp.StatusCode, b)
			}
		}
	}
	// A chunked body (no Content-Length) over the limit is still a 413.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/decode", io.MultiReader(bytes.NewReader(body[:200<<10])))
	req.ContentLength = -1
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("chunked: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: %d, want 413", resp.StatusCode)
	}
}

// TestOnlyAppAssetsAreServed: Go sources, Markdown notes and licence files
// in public/ are not part of the app and must not be downloadable.
func TestOnlyAppAssetsAreServed(t *testing.T) {
	fsys := spaFS()
	fsys["embed.go"] = &fstest.MapFile{Data: []byte("package public")}
	fsys["UI-NOTES.md"] = &fstest.MapFile{Data: []byte("# notes")}
	fsys["vendor/README.md"] = &fstest.MapFile{Data: []byte("# vendor")}
	fsys["vendor/LICENSE"] = &fstest.MapFile{Data: []byte("MIT")}
	for _, disk := range []bool{false, true} {
		_, ts := newServer(t, testConfig(nil), nil, func(o *Options) { o.Public, o.PublicFromDisk = fsys, disk })
		for _, p := range []string{"/embed.go", "/UI-NOTES.md", "/vendor/README.md", "/vendor/LICENSE"} {
			_, _, body := fetch(t, http.MethodGet, ts.URL+p, "", nil)
			if bytes.Contains(body, fsys[strings.TrimPrefix(p, "/")].Data) {
				t.Errorf("disk=%v: %s served its content %q", disk, p, body)
			}
		}
		for _, p := range []string{"/js/lib.js", "/style.css", "/vendor/img.png"} {
			if code, _, _ := fetch(t, http.MethodGet, ts.URL+p, "", nil); code != 200 {
				t.Errorf("disk=%v: asset %s: %d", disk, p, code)
			}
		}
	}
}

// lockedBuf is a log sink safe for the server's goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAPIKeyGuessesAreThrottled: after keyMaxFailures wrong keys from one
// address, even the right key gets 429 with Retry-After until the block
// ends; it is logged once per block, never with the key.
func TestAPIKeyGuessesAreThrottled(t *testing.T) {
	const good = "a-very-strong-key-0123"
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	logs := &lockedBuf{}
	_, ts := newServer(t, testConfig(func(c *config.Config) { c.APIKey = good }), nil, func(o *Options) {
		o.Now = clock
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	try := func(key string, hdr map[string]string) (int, http.Header) {
		h := map[string]string{"X-API-Key": key}
		for k, v := range hdr {
			h[k] = v
		}
		code, rh, _ := fetch(t, http.MethodPost, ts.URL+"/api/perf/reset", "", h)
		return code, rh
	}
	for i := 0; i < keyMaxFailures; i++ {
		if code, _ := try(fmt.Sprintf("guess-number-%03d-xxxxxxxx", i), nil); code != 401 {
			t.Fatalf("guess %d: %d, want 401", i, code)
		}
	}
	for i := 0; i < 3; i++ {
		code, hdr := try(good, nil)
		ra, _ := strconv.Atoi(hdr.Get("Retry-After"))
		if code != http.StatusTooManyRequests || ra <= 0 || ra > int(keyBlockFor/time.Second) {
			t.Fatalf("after %d failures: %d Retry-After %q, want 429 with 1..%d s", keyMaxFailures, code, hdr.Get("Retry-After"), int(keyBlockFor/time.Second))
		}
	}
	// Another client (behind the same local proxy, told apart by
	// X-Forwarded-For) is not blocked.
	if code, _ := try(good, map[string]string{"X-Forwarded-For": "203.0.113.9"}); code != 200 {
		t.Fatalf("other address: %d, want 200", code)
	}
	if n := strings.Count(logs.String(), "API key guesses blocked"); n != 1 {
		t.Fatalf("block logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "guess-number") || strings.Contains(logs.String(), good) {
		t.Fatalf("a key reached the log:\n%s", logs.String())
	}
	mu.Lock()
	now = now.Add(keyBlockFor + time.Second)
	mu.Unlock()
	if code, _ := try(good, nil); code != 200 {
		t.Fatalf("after the block: %d, want 200", code)
	}
}

// TestKeyGuardMemoryIsBounded: a flood of distinct addresses cannot grow the
// table beyond its cap.
func TestKeyGuardMemoryIsBounded(t *testing.T) {
	g := newKeyGuard(time.Now)
	for i := 0; i < 3*keyGuardMaxEntries; i++ {
		g.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), quietLog())
	}
	if n := g.size(); n > keyGuardMaxEntries {
		t.Fatalf("%d entries, cap %d", n, keyGuardMaxEntries)
	}
	// IPv6 addresses of one /64 share an entry.
	for i := 0; i < keyMaxFailures; i++ {
		g.fail(fmt.Sprintf("2001:db8::%x", i+1), quietLog())
	}
	if _, blocked := g.blocked("2001:db8::ffff"); !blocked {
		t.Fatal("a /64 spreading guesses over addresses is not blocked")
	}
}
