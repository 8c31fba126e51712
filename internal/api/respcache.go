package api

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"time"
)

// respCache is a micro-cache of finished GET /api responses: the exact bytes
// that went on the wire (already gzip-compressed when the client accepted
// it), keyed by request URI + accepted encoding + Origin. A dashboard polls
// the same few URLs from many browsers; without the cache each of them pays
// for selection + JSON encoding + gzip again, which at 50 concurrent requests
// on two cores is what pushed p95 far beyond 20 ms (PERFORMANCE.md).
//
// An entry is served only while the store's data generation is unchanged AND
// it is younger than ttl, so a response is never older than ttl (time-based
// fields such as "last seen" included) and new packets show up on the next
// poll after they are loaded. Only 200 responses from a ready store, up to
// maxEntryBytes on the wire, are kept; the whole cache is bounded by
// maxBytes and is dropped when full (entries live ≤ ttl, so a full cache is
// mostly stale anyway). The lock covers map access only, never I/O.
type respCache struct {
	ttl time.Duration
	gz  bool // compression on: the accepted encoding is part of the key
	now func() time.Time
	gen func() (uint64, bool) // store data generation; false = no store / not ready

	mu      sync.Mutex
	m       map[string]*cachedResp
	bytes   int
	flights map[string]chan struct{} // key → closed when its build ends
}

type cachedResp struct {
	header http.Header
	body   []byte
	route  string // perf key, so hits still show in /api/perf
	// skip marks a URL whose last answer was not cacheable (too large, not
	// 200): until it expires, requests build their own without coalescing.
	skip bool
	gen  uint64
	at   time.Time
}

// maxEntryBytes admits the largest lists (2,000 transmissions with their
// observations are ~3–6 MB): 50 identical concurrent requests for one then
// share one build instead of queueing 50 builds behind acquireHeavy.
const (
	maxEntryBytes = 8 << 20
	maxCacheBytes = 16 << 20
	maxEntries    = 1024
)

func newRespCache(ttl time.Duration, gz bool, now func() time.Time, gen func() (uint64, bool)) *respCache {
	return &respCache{ttl: ttl, gz: gz, now: now, gen: gen, m: make(map[string]*cachedResp), flights: make(map[string]chan struct{})}
}

// uncached are the /api paths whose answers must be live on every request:
// the readiness probe and the perf counters (they count the requests
// themselves). A geo-filter PUT clears the whole cache.
func uncached(path string) bool {
	return path == "/api/healthz" || strings.HasPrefix(path, "/api/perf")
}

func (c *respCache) key(r *http.Request) string {
	gz := "0"
	if c.gz && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		gz = "1"
	}
	return r.URL.RequestURI() + "\x00" + gz + "\x00" + r.Header.Get("Origin")
}

// clear drops every entry (after a change the generation does not track,
// e.g. a new geo filter).
func (c *respCache) clear() {
	c.mu.Lock()
	c.m = make(map[string]*cachedResp)
	c.bytes = 0
	c.mu.Unlock()
}

func (c *respCache) lookup(key string, gen uint64, now time.Time) *cachedResp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.validLocked(key, gen, now)
}

func (c *respCache) validLocked(key string, gen uint64, now time.Time) *cachedResp {
	e := c.m[key]
	if e == nil || e.gen != gen || now.Sub(e.at) >= c.ttl {
		return nil
	}
	return e
}

// claim returns a valid entry, or makes the caller the one building key
// (lead = true; it must call land), or returns the channel of the build
// in progress to wait on. Coalescing matters when a cold URL is asked for
// by many clients at once: without it each of them builds the response.
func (c *respCache) claim(key string, gen uint64, now time.Time) (e *cachedResp, lead bool, wait chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.validLocked(key, gen, now); e != nil {
		if e.skip {
			return nil, false, nil
		}
		return e, false, nil
	}
	if ch, ok := c.flights[key]; ok {
		return nil, false, ch
	}
	c.flights[key] = make(chan struct{})
	return nil, true, nil
}

// land ends the build of key (e nil = the response was not cacheable) and
// wakes its waiters.
func (c *respCache) land(key string, e *cachedResp) {
	if e != nil {
		c.put(key, e)
	}
	c.mu.Lock()
	ch := c.flights[key]
	delete(c.flights, key)
	c.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

func (c *respCache) put(key string, e *cachedResp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.bytes -= len(old.body)
	}
	if c.bytes+len(e.body) > maxCacheBytes || len(c.m) >= maxEntries {
		c.m = make(map[string]*cachedResp)
		c.bytes = 0
	}
	c.m[key] = e
	c.bytes += len(e.body)
}

// wrap serves cacheable requests from the cache and records the misses.
// It sits outside the gzipper so the compressed bytes are what is kept.
func (c *respCache) wrap(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A request with an API key is never answered from (or stored in) the
		// cache: its answer may be one only that key may see.
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/") || uncached(r.URL.Path) || isUpgrade(r) ||
			r.Header.Get("Range") != "" || r.Header.Get("X-API-Key") != "" {
			next.ServeHTTP(w, r)
			return
		}
		gen, ok := c.gen()
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		key := c.key(r)
		start := c.now()
		e, lead, wait := c.claim(key, gen, start)
		if wait != nil {
			select {
			case <-wait:
			case <-r.Context().Done():
				return
			}
			if e = c.lookup(key, gen, c.now()); e != nil && e.skip {
				e = nil
			}
		}
		if e != nil {
			h := w.Header()
			for k, v := range e.header {
				h[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(e.body)
			s.perf.record(e.route, c.now().Sub(start), http.StatusOK, start)
			return
		}
		cw := &captureWriter{ResponseWriter: w}
		// Until the handler says otherwise the answer is not cacheable.
		built := &cachedResp{skip: true, route: "-", gen: gen, at: start}
		if lead {
			// land runs even if the handler panics (net/http recovers it),
			// so waiters never hang.
			defer func() { c.land(key, built) }()
		}
		next.ServeHTTP(cw, r)
		if cw.status != http.StatusOK || cw.overflow || cw.route == "" || cw.Header().Get("Set-Cookie") != "" {
			return
		}
		// Filed under the generation read before the build: if data arrived
		// meanwhile, the generation has moved on and the entry is never hit.
		built = &cachedResp{header: cw.header, body: cw.buf.Bytes(), route: cw.route, gen: gen, at: start}
		if !lead {
			c.put(key, built)
		}
	})
}

// captureWriter passes the response through and keeps a copy of its header
// and (up to maxEntryBytes) body.
type captureWriter struct {
	http.ResponseWriter
	header   http.Header
	buf      bytes.Buffer
	status   int
	overflow bool
	route    string
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.header = w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	if err != nil {
		w.overflow = true // client gone: the copy may be short
	} else if !w.overflow {
		if w.buf.Len()+n > maxEntryBytes {
			w.overflow = true
			w.buf = bytes.Buffer{}
		} else {
			w.buf.Write(p[:n])
		}
	}
	return n, err
}

// Unwrap lets hintLarge and http.ResponseController reach the writers below.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// setRoute records the perf key of a response (called by measure).
func (w *captureWriter) setRoute(key string) { w.route = key }

// setRoute finds the capture writer under w, if any, and stores the key.
func setRoute(w http.ResponseWriter, key string) {
	for w != nil {
		if c, ok := w.(interface{ setRoute(string) }); ok {
			c.setRoute(key)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}
