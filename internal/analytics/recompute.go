package analytics

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// ErrNotReady is returned while the store is still loading or a precomputed
// shape has not had its first background pass: answer 503 + Retry-After.
var ErrNotReady = errors.New("analytics not ready yet, retry shortly")

// Source is what the engine reads: *store.Store implements it.
type Source interface {
	Ready() bool
	Generation() uint64
	Snapshot() *store.Snapshot
}

// Options tune the engine. The zero value works.
type Options struct {
	// Tick is how often the background loop checks what is due (default 1 s).
	Tick time.Duration
	// MaxConcurrent bounds on-demand computations running at once (default
	// GOMAXPROCS); further requests wait (or give up with their context).
	MaxConcurrent int
	// OnDemandTTL is how long an on-demand result is reused while the data
	// keeps changing (default 60 s, the original's rfCacheTTL); while the
	// store generation is unchanged it is reused for as long as it stays in
	// the cache.
	OnDemandTTL time.Duration
	// OnDemandEntries bounds the on-demand results kept per analysis
	// (default 64; the oldest goes first).
	OnDemandEntries int
	// Areas are the config areas as point tests (the `area` parameter).
	Areas map[string]func(lat, lon float64) bool
	// Now is the clock (tests inject one). Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Result is one computed analysis: the encoded JSON (with the trailing
// newline writeJSON adds) and, for bodies over 1 KiB, its gzip. Immutable.
type Result struct {
	JSON    []byte
	Gzip    []byte // nil when not worth compressing
	Gen     uint64 // store generation of the snapshot it was computed from
	BuiltAt time.Time
	Took    time.Duration // compute + encode time
	// Value is the typed result when the analysis sets KeepValue (other
	// analyses or node enrichment read it); else nil.
	Value any
}

// Age returns how old the result is at now, whole seconds (X-Cache-Age-Seconds).
func (r *Result) Age(now time.Time) int {
	return max(int(now.Sub(r.BuiltAt)/time.Second), 0)
}

// Analysis describes one analysis with parameter type P (a comparable struct
// of already-validated parameters, the cache key).
type Analysis[P comparable] struct {
	// Name identifies the analysis in logs and Stats.
	Name string
	// Cadence is the minimum time between two background rebuilds of the
	// precomputed shapes (config analytics.recomputeIntervalSeconds); a
	// rebuild also needs the store generation to have moved.
	Cadence time.Duration
	// Compute is the pure analysis: it reads only v and p, returns a value
	// that encodes to the route's JSON, and must not retain v.
	Compute func(v *View, p P) (any, error)
	// Precompute lists the shapes kept warm by the background loop; it is
	// evaluated at each pass (so per-region shapes follow the observers).
	// nil = everything is on demand.
	Precompute func(v *View) []P
	// KeepValue keeps the typed value in Result.Value.
	KeepValue bool
}

// Engine runs the background recomputer and the on-demand computations.
type Engine struct {
	src  atomic.Pointer[sourceBox]
	opts Options
	log  *slog.Logger
	sem  chan struct{}

	mu   sync.Mutex
	list []job // registered analyses, in registration order

	passes   atomic.Int64
	failures atomic.Int64
	kick     chan struct{}
}

type sourceBox struct{ s Source }

// job is the type-erased side of a Handle that the background loop drives.
type job interface {
	name() string
	due(gen uint64, now time.Time) bool
	rebuild(v *View)
	stats(now time.Time) JobStats
}

// New returns an engine; it computes nothing until SetSource and Run.
func New(opts Options) *Engine {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if opts.OnDemandTTL <= 0 {
		opts.OnDemandTTL = time.Minute
	}
	if opts.OnDemandEntries <= 0 {
		opts.OnDemandEntries = 64
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Engine{
		opts: opts,
		log:  opts.Logger.With("component", "analytics"),
		sem:  make(chan struct{}, opts.MaxConcurrent),
		kick: make(chan struct{}, 1),
	}
}

// SetSource hands the engine the store (once it exists); the next tick
// starts the first pass as soon as the store has loaded.
func (e *Engine) SetSource(s Source) {
	e.src.Store(&sourceBox{s: s})
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *Engine) source() Source {
	if b := e.src.Load(); b != nil {
		return b.s
	}
	return nil
}

// Register adds an analysis and returns the handle handlers serve it with.
// Register before Run starts, or at any time: a late registration is picked
// up at the next tick.
func Register[P comparable](e *Engine, a Analysis[P]) *Handle[P] {
	if a.Cadence <= 0 {
		a.Cadence = 5 * time.Minute
	}
	h := &Handle[P]{e: e, a: a, warm: map[P]*atomic.Pointer[Result]{}, cache: map[P]*Result{},
		calls: map[P]*call{}}
	e.mu.Lock()
	e.list = append(e.list, h)
	e.mu.Unlock()
	return h
}

// Run drives the background recomputer until ctx is done: every Tick, when
// the store is ready, each analysis whose cadence elapsed and whose data
// moved is rebuilt from one shared snapshot, one analysis after another (so
// the background work never takes more than one core).
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.opts.Tick)
	defer t.Stop()
	for {
		e.pass()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
	}
}

// pass rebuilds whatever is due; it is the only writer of the warm shapes.
func (e *Engine) pass() {
	src := e.source()
	if src == nil || !src.Ready() {
		return
	}
	gen, now := src.Generation(), e.opts.Now()
	e.mu.Lock()
	jobs := append([]job(nil), e.list...)
	e.mu.Unlock()
	var v *View
	for _, j := range jobs {
		if !j.due(gen, now) {
			continue
		}
		if v == nil {
			v = e.view(src, now)
		}
		j.rebuild(v)
	}
	if v != nil {
		e.passes.Add(1)
		// A pass leaves up to a few tens of MB of garbage behind, and with
		// the store's live heap at ~100 MB the next GC would only come at
		// twice that: collect now and hand the pages back, once per pass
		// (every few minutes), so RSS stays near live heap + results.
		v = nil
		debug.FreeOSMemory()
	}
}

func (e *Engine) view(src Source, now time.Time) *View {
	return &View{Snapshot: src.Snapshot(), Now: now, Areas: e.opts.Areas}
}

// compute runs one analysis and encodes it; a panic becomes an error so a bad
// analysis cannot take the server down.
func compute[P comparable](a *Analysis[P], v *View, p P) (res *Result, err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("analysis %s panicked: %v", a.Name, r)
		}
	}()
	val, err := a.Compute(v, p)
	if err != nil {
		return nil, fmt.Errorf("analysis %s: %w", a.Name, err)
	}
	b, err := json.Marshal(val)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", a.Name, err)
	}
	b = append(b, '\n')
	res = &Result{JSON: b, Gen: v.Gen, BuiltAt: v.Now}
	if len(b) > 1024 {
		res.Gzip = gzipBytes(b)
	}
	if a.KeepValue {
		res.Value = val
	}
	res.Took = time.Since(start)
	return res, nil
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b) / 4)
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression) // level is valid
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// JobStats describes one analysis for /api/perf-style reporting and tests.
type JobStats struct {
	Name        string
	Warm        int           // precomputed shapes with a result
	LastBuild   time.Time     // last background pass that rebuilt it
	LastTook    time.Duration // wall time of that pass (all its shapes)
	Failures    int64
	OnDemandHit int64
	OnDemand    int64 // on-demand computations run
}

// Stats returns the state of every registered analysis.
func (e *Engine) Stats() []JobStats {
	e.mu.Lock()
	jobs := append([]job(nil), e.list...)
	e.mu.Unlock()
	now := e.opts.Now()
	out := make([]JobStats, len(jobs))
	for i, j := range jobs {
		out[i] = j.stats(now)
	}
	return out
}

// Passes returns how many background passes rebuilt something.
func (e *Engine) Passes() int64 { return e.passes.Load() }
