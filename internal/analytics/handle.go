package analytics

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Handle serves one registered analysis: precomputed shapes from their
// atomic snapshots, any other parameter set computed on demand.
type Handle[P comparable] struct {
	e *Engine
	a Analysis[P]

	mu        sync.Mutex // guards the maps and fields below; never held while computing
	warm      map[P]*atomic.Pointer[Result]
	built     bool // the first background pass finished
	lastGen   uint64
	lastBuild time.Time
	lastTook  time.Duration
	cache     map[P]*Result // on-demand results
	calls     map[P]*call   // on-demand computations in flight (singleflight)

	failures, hits, misses atomic.Int64
}

// call is one on-demand computation that identical requests share.
type call struct {
	done chan struct{}
	res  *Result
	err  error
}

// Get returns the result for p: the warm snapshot when p is a precomputed
// shape, else an on-demand computation shared with identical concurrent
// requests (and reused while fresh). ErrNotReady until the store has loaded
// and this analysis's first background pass is done; ctx.Err() when the
// caller gives up waiting (the computation itself carries on for the others).
func (h *Handle[P]) Get(ctx context.Context, p P) (*Result, error) {
	src := h.e.source()
	if src == nil || !src.Ready() {
		return nil, ErrNotReady
	}
	h.mu.Lock()
	ptr, built := h.warm[p], h.built
	h.mu.Unlock()
	if ptr != nil {
		if r := ptr.Load(); r != nil {
			return r, nil
		}
	}
	if !built && h.a.Precompute != nil {
		return nil, ErrNotReady
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the caller is gone: start no computation for it
	}
	return h.onDemand(ctx, src, p)
}

// Value is Get for analyses with KeepValue: the typed result.
func (h *Handle[P]) Value(ctx context.Context, p P) (any, error) {
	r, err := h.Get(ctx, p)
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}

func (h *Handle[P]) onDemand(ctx context.Context, src Source, p P) (*Result, error) {
	now := h.e.opts.Now()
	h.mu.Lock()
	if r := h.cache[p]; r != nil && (r.Gen == src.Generation() || now.Sub(r.BuiltAt) < h.e.opts.OnDemandTTL) {
		h.mu.Unlock()
		h.hits.Add(1)
		return r, nil
	}
	c := h.calls[p]
	if c == nil {
		c = &call{done: make(chan struct{})}
		h.calls[p] = c
		h.misses.Add(1)
		go h.run(src, p, c) // bounded by the engine semaphore; finishes on its own
	}
	h.mu.Unlock()
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run computes p once for everyone waiting on c.
func (h *Handle[P]) run(src Source, p P, c *call) {
	h.e.sem <- struct{}{}
	v := h.e.view(src, h.e.opts.Now())
	c.res, c.err = compute(&h.a, v, p)
	<-h.e.sem
	if c.err != nil {
		h.failures.Add(1)
		h.e.log.Error("on-demand analysis failed", "analysis", h.a.Name, "err", c.err)
	}
	h.mu.Lock()
	delete(h.calls, p)
	if c.err == nil {
		h.cache[p] = c.res
		h.trimCacheLocked()
	}
	h.mu.Unlock()
	close(c.done)
}

// trimCacheLocked drops the oldest on-demand results beyond the bound.
func (h *Handle[P]) trimCacheLocked() {
	for len(h.cache) > h.e.opts.OnDemandEntries {
		var oldest P
		var at time.Time
		first := true
		for k, r := range h.cache {
			if first || r.BuiltAt.Before(at) {
				oldest, at, first = k, r.BuiltAt, false
			}
		}
		delete(h.cache, oldest)
	}
}

func (h *Handle[P]) name() string { return h.a.Name }

// due reports whether the background loop should rebuild the warm shapes:
// never built, or the data moved and the cadence elapsed.
func (h *Handle[P]) due(gen uint64, now time.Time) bool {
	if h.a.Precompute == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.built {
		return true
	}
	return gen != h.lastGen && now.Sub(h.lastBuild) >= h.a.Cadence
}

// rebuild recomputes every precomputed shape from v and publishes each one
// as soon as it is ready. A failing shape keeps its previous result.
func (h *Handle[P]) rebuild(v *View) {
	start := time.Now()
	shapes := h.a.Precompute(v)
	keep := make(map[P]bool, len(shapes))
	for _, p := range shapes {
		keep[p] = true
		res, err := compute(&h.a, v, p)
		if err != nil {
			h.failures.Add(1)
			h.e.failures.Add(1)
			h.e.log.Error("analysis rebuild failed", "analysis", h.a.Name, "err", err)
			continue
		}
		h.mu.Lock()
		ptr := h.warm[p]
		if ptr == nil {
			ptr = &atomic.Pointer[Result]{}
			h.warm[p] = ptr
		}
		h.mu.Unlock()
		ptr.Store(res)
	}
	h.mu.Lock()
	for p := range h.warm {
		if !keep[p] {
			delete(h.warm, p) // e.g. a region whose observers are gone
		}
	}
	h.built, h.lastGen, h.lastBuild, h.lastTook = true, v.Gen, v.Now, time.Since(start)
	h.mu.Unlock()
}

func (h *Handle[P]) stats(time.Time) JobStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	warm := 0
	for _, ptr := range h.warm {
		if ptr.Load() != nil {
			warm++
		}
	}
	return JobStats{Name: h.a.Name, Warm: warm, LastBuild: h.lastBuild, LastTook: h.lastTook,
		Failures: h.failures.Load(), OnDemandHit: h.hits.Load(), OnDemand: h.misses.Load()}
}
