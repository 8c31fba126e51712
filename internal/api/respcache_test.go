package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// TestResponseCache checks the micro-cache end to end on the fixture DB: an
// identical GET is answered from the stored bytes (gzip included), counted
// in /api/perf, never for uncached paths, dropped when the store's data
// changes (a node written through the real db writer) and after the TTL.
func TestResponseCache(t *testing.T) {
	path := fixtureDB(t)
	st := runStore(t, path, nil)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	s, ts := newServer(t, testConfig(nil), st, func(o *Options) {
		o.ResponseCacheTTL = time.Minute
		o.Now = now
	})
	if s.cache == nil {
		t.Fatal("cache not enabled by ResponseCacheTTL")
	}
	url := ts.URL + "/api/nodes?limit=2000"
	first := getJSON(t, url, http.StatusOK, nil)
	key := "/api/nodes?limit=2000\x000\x00"
	e := waitEntry(t, s.cache, key) // filed just after the body went out
	second := getJSON(t, url, http.StatusOK, nil)
	if !bytes.Equal(first, second) {
		t.Fatal("cached body differs from the first response")
	}
	var perf struct {
		Endpoints map[string]struct {
			Count int `json:"count"`
		} `json:"endpoints"`
	}
	getJSON(t, ts.URL+"/api/perf", http.StatusOK, &perf)
	if c := perf.Endpoints["/api/nodes"].Count; c != 2 {
		t.Errorf("/api/perf counts %d requests to /api/nodes, want 2 (hits included); %+v", c, perf.Endpoints)
	}

	// healthz is never cached.
	getJSON(t, ts.URL+"/api/healthz", http.StatusOK, nil)
	s.cache.mu.Lock()
	for k := range s.cache.m {
		if strings.HasPrefix(k, "/api/healthz") {
			t.Errorf("healthz cached under %q", k)
		}
	}
	s.cache.mu.Unlock()

	// New data: the store's generation moves and the next answer has it.
	var before store.NodePage
	if err := json.Unmarshal(first, &before); err != nil {
		t.Fatal(err)
	}
	gen := st.Generation()
	w, err := db.OpenWriter(context.Background(), path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	pk := strings.Repeat("ab", 32)
	lat, lon := 37.5, -122.1
	if _, err := w.WriteBatch(context.Background(), db.Batch{Nodes: []db.NodeUpsert{{PublicKey: pk, Name: "cache-test", Role: "repeater", Lat: &lat, Lon: &lon, Seen: time.Now().UTC()}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st.Generation() == gen {
		if time.Now().After(deadline) {
			t.Fatal("store generation did not change after a node write")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var after store.NodePage
	getJSON(t, url, http.StatusOK, &after)
	if after.Total != before.Total+1 {
		t.Fatalf("after the write: total %d, want %d (stale cache?)", after.Total, before.Total+1)
	}

	// gzip: the compressed bytes are cached and served again as gzip.
	gz := func() []byte {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sGz, tsGz := newServer(t, testConfig(nil), st, func(o *Options) {
		o.Config.Compression.Gzip = true
		o.ResponseCacheTTL = time.Minute
	})
	url = tsGz.URL + "/api/nodes?limit=2000"
	a := gz()
	waitEntry(t, sGz.cache, "/api/nodes?limit=2000\x001\x00")
	if b := gz(); !bytes.Equal(a, b) || !json.Valid(a) {
		t.Fatal("gzip hit differs from the miss or is not JSON")
	}

	// TTL and generation: the first entry is served only for its own
	// generation and while younger than the TTL.
	e = waitEntry(t, s.cache, key) // the one filed after the write
	if s.cache.lookup(key, e.gen, e.at) == nil {
		t.Fatalf("entry %q not served at its own generation and time", key)
	}
	if s.cache.lookup(key, e.gen, e.at.Add(time.Minute)) != nil {
		t.Error("entry served after its TTL")
	}
	if s.cache.lookup(key, e.gen+1, e.at) != nil {
		t.Error("entry served for another generation")
	}
}

// waitEntry polls until the cache holds key and returns a copy of it.
func waitEntry(t *testing.T, c *respCache, key string) cachedResp {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		e := c.m[key]
		c.mu.Unlock()
		if e != nil {
			return *e
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache never held %q", key)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestResponseCacheCoalesces sends many identical requests for a cold URL at
// once: every one gets the same complete answer (the waiters are served the
// leader's bytes) and each is counted; a URL marked not cacheable is neither
// served from the cache nor coalesced.
func TestResponseCacheCoalesces(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	s, ts := newServer(t, testConfig(nil), st, func(o *Options) { o.ResponseCacheTTL = time.Minute })
	const n = 20
	bodies := make([][]byte, n)
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			_, _, bodies[i] = fetch(t, http.MethodGet, ts.URL+"/api/packets?limit=100", "", nil)
			done <- i
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	for i := 1; i < n; i++ {
		if !bytes.Equal(bodies[0], bodies[i]) || !json.Valid(bodies[i]) {
			t.Fatalf("response %d differs from response 0 or is not JSON (%d vs %d bytes)", i, len(bodies[i]), len(bodies[0]))
		}
	}
	var perf struct {
		Endpoints map[string]struct {
			Count int `json:"count"`
		} `json:"endpoints"`
	}
	getJSON(t, ts.URL+"/api/perf", http.StatusOK, &perf)
	if c := perf.Endpoints["/api/packets"].Count; c != n {
		t.Errorf("/api/perf counts %d requests to /api/packets, want %d", c, n)
	}

	g, _ := s.storeGeneration()
	at := time.Now()
	s.cache.put("skip", &cachedResp{skip: true, gen: g, at: at})
	if e, lead, wait := s.cache.claim("skip", g, at); e != nil || lead || wait != nil {
		t.Errorf("claim on a not-cacheable URL = %v, %v, %v; want a plain build", e, lead, wait)
	}
	if _, lead, _ := s.cache.claim("cold", g, at); !lead {
		t.Error("first claim on a cold URL did not lead")
	}
	if _, lead, wait := s.cache.claim("cold", g, at); lead || wait == nil {
		t.Error("second claim on a URL being built did not wait")
	}
	s.cache.land("cold", nil)
}
