package api

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
)

// observersCache holds the encoded default /api/observers response for
// observersCache.ttlSeconds (30 s): the list page is polled by every open
// browser tab. One refill at a time (the others serve the previous bytes or
// wait for the first fill), monotonic clock, age sent as X-Cache-Age-Seconds.
// [improve] An entry also expires when the store's data generation moved on
// and it is at least observersFreshAfter old, so the list is never a whole TTL
// behind the packets it counts (at most one rebuild per second under traffic).
type observersCache struct {
	mu     sync.Mutex // serializes refills only; readers use entry
	entry  atomic.Pointer[cachedBody]
	hits   atomic.Int64
	misses atomic.Int64
}

type cachedBody struct {
	body  []byte
	built time.Time // monotonic
	gen   uint64    // store generation it was built from (0 = unknown)
}

// observersFreshAfter is the minimum age before a data change expires the cached list.
const observersFreshAfter = time.Second

// fresh reports whether e can still be served at store generation gen.
func (e *cachedBody) fresh(ttl time.Duration, gen uint64) bool {
	age := time.Since(e.built)
	return age < ttl && (gen == e.gen || age < observersFreshAfter)
}

func (c *observersCache) counters() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// get returns fresh cached bytes or refills them with build.
func (c *observersCache) get(ttl time.Duration, gen uint64, build func() ([]byte, error)) (*cachedBody, error) {
	if e := c.entry.Load(); e != nil && e.fresh(ttl, gen) {
		c.hits.Add(1)
		return e, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entry.Load(); e != nil && e.fresh(ttl, gen) {
		c.hits.Add(1) // filled while we waited
		return e, nil
	}
	c.misses.Add(1)
	b, err := build()
	if err != nil {
		return nil, err
	}
	e := &cachedBody{body: b, built: time.Now(), gen: gen}
	c.entry.Store(e)
	return e, nil
}

// listObservers serves GET /api/observers; the plain request (no query
// string) is cached.
func (s *Server) listObservers(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	build := func() ([]byte, error) {
		now := s.now()
		list := st.Observers(now)
		s.setPacketHealth(list.Observers, now)
		return marshalLine(list)
	}
	if r.URL.RawQuery != "" {
		b, err := build()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeRaw(w, http.StatusOK, b)
		return
	}
	ttl := time.Duration(s.cfg.ObserversCache.TTLSeconds) * time.Second
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	gen, _ := s.storeGeneration()
	e, err := s.observers.get(ttl, gen, build)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("X-Cache-Age-Seconds", strconv.Itoa(int(time.Since(e.built).Seconds())))
	writeRaw(w, http.StatusOK, e.body)
}

// getObserver serves GET /api/observers/{id}; unknown or blacklisted → 404.
func (s *Server) getObserver(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	if r.URL.Path == "/api/observer" {
		// The query form: a browser turns /api/observers/.. (or %2E%2E)
		// into /api/ before sending, so dot ids need it.
		if id = r.URL.Query().Get("id"); id == "" {
			s.writeError(w, r, badRequest("id is required"))
			return
		}
	}
	now := s.now()
	o, err := st.Observer(id, now)
	if err != nil {
		if _, msg := statusOf(err); msg == "Not found" {
			err = statusError(http.StatusNotFound, "Observer not found")
		}
		s.writeError(w, r, err)
		return
	}
	o.PacketHealth = s.packetHealth(&o, now)
	writeJSON(w, http.StatusOK, o)
}
