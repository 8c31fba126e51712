package analytics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// fakeSource is a store stand-in whose generation the test moves.
type fakeSource struct {
	ready atomic.Bool
	gen   atomic.Uint64
}

func (f *fakeSource) Ready() bool               { return f.ready.Load() }
func (f *fakeSource) Generation() uint64        { return f.gen.Load() }
func (f *fakeSource) Snapshot() *store.Snapshot { return &store.Snapshot{Gen: f.gen.Load()} }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type genResult struct {
	Gen uint64 `json:"gen"`
	P   int    `json:"p"`
}

func TestPrecomputedShapeIsNotReadyUntilFirstPassThenRebuildsOnCadence(t *testing.T) {
	src := &fakeSource{}
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	e := New(Options{Now: clk.now})
	var builds atomic.Int64
	h := Register(e, Analysis[int]{Name: "t", Cadence: time.Minute,
		Compute: func(v *View, p int) (any, error) {
			builds.Add(1)
			return genResult{Gen: v.Gen, P: p}, nil
		},
		Precompute: func(*View) []int { return []int{0} },
	})
	ctx := context.Background()
	if _, err := h.Get(ctx, 0); !errors.Is(err, ErrNotReady) {
		t.Fatalf("no source: err %v, want ErrNotReady", err)
	}
	e.SetSource(src)
	e.pass() // store still loading: nothing built
	if _, err := h.Get(ctx, 0); !errors.Is(err, ErrNotReady) || builds.Load() != 0 {
		t.Fatalf("loading store: err %v, builds %d", err, builds.Load())
	}
	src.ready.Store(true)
	if _, err := h.Get(ctx, 0); !errors.Is(err, ErrNotReady) {
		t.Fatalf("before first pass: err %v, want ErrNotReady", err)
	}
	if _, err := h.Get(ctx, 7); !errors.Is(err, ErrNotReady) {
		t.Fatalf("on-demand before first pass: err %v, want ErrNotReady", err)
	}
	e.pass()
	r, err := h.Get(ctx, 0)
	if err != nil || string(r.JSON) != `{"gen":0,"p":0}`+"\n" {
		t.Fatalf("after first pass: %v %q", err, r.JSON)
	}
	e.pass() // generation unchanged: no rebuild
	src.gen.Add(1)
	e.pass() // generation moved but cadence not elapsed: no rebuild
	if builds.Load() != 1 {
		t.Fatalf("builds = %d, want 1 (gen unchanged, then cadence not elapsed)", builds.Load())
	}
	clk.add(61 * time.Second)
	if r, _ := h.Get(ctx, 0); r.Age(clk.now()) != 61 {
		t.Errorf("age %d, want 61", r.Age(clk.now()))
	}
	e.pass()
	if r, _ := h.Get(ctx, 0); builds.Load() != 2 || string(r.JSON) != `{"gen":1,"p":0}`+"\n" {
		t.Fatalf("after cadence: builds %d, %q", builds.Load(), r.JSON)
	}
	if st := e.Stats(); len(st) != 1 || st[0].Warm != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOnDemandRequestsShareOneComputation(t *testing.T) {
	src := &fakeSource{}
	src.ready.Store(true)
	e := New(Options{})
	e.SetSource(src)
	release := make(chan struct{})
	var calls atomic.Int64
	h := Register(e, Analysis[int]{Name: "slow",
		Compute: func(v *View, p int) (any, error) {
			calls.Add(1)
			<-release
			return genResult{Gen: v.Gen, P: p}, nil
		},
	})
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.Get(context.Background(), 3)
			if err == nil && string(r.JSON) != `{"gen":0,"p":3}`+"\n" {
				err = errors.New("wrong body " + string(r.JSON))
			}
			errs <- err
		}()
	}
	// Let every goroutine reach the shared call before the computation ends.
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d computations for %d identical concurrent requests, want 1", c, n)
	}
	// Same generation: served from the on-demand cache.
	if _, err := h.Get(context.Background(), 3); err != nil || calls.Load() != 1 {
		t.Fatalf("cached request recomputed: calls %d err %v", calls.Load(), err)
	}
	// A caller that gives up gets its context error; the others are unaffected.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Get(ctx, 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: err %v", err)
	}
}

func TestOnDemandConcurrencyIsBounded(t *testing.T) {
	src := &fakeSource{}
	src.ready.Store(true)
	e := New(Options{MaxConcurrent: 2})
	e.SetSource(src)
	var running, peak atomic.Int64
	h := Register(e, Analysis[int]{Name: "bounded",
		Compute: func(v *View, p int) (any, error) {
			n := running.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return p, nil
		},
	})
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			if _, err := h.Get(context.Background(), p); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrent computations %d, want ≤ 2", p)
	}
}

func TestFailingRebuildKeepsThePreviousResult(t *testing.T) {
	src := &fakeSource{}
	src.ready.Store(true)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	e := New(Options{Now: clk.now, Logger: quiet()})
	e.SetSource(src)
	var fail atomic.Bool
	h := Register(e, Analysis[int]{Name: "flaky", Cadence: time.Second,
		Compute: func(v *View, p int) (any, error) {
			if fail.Load() {
				panic("boom")
			}
			return genResult{Gen: v.Gen}, nil
		},
		Precompute: func(*View) []int { return []int{0} },
	})
	e.pass()
	fail.Store(true)
	src.gen.Add(1)
	clk.add(2 * time.Second)
	e.pass()
	r, err := h.Get(context.Background(), 0)
	if err != nil || string(r.JSON) != `{"gen":0,"p":0}`+"\n" {
		t.Fatalf("after a panicking rebuild: %v %q", err, r.JSON)
	}
	if st := e.Stats(); st[0].Failures != 1 {
		t.Errorf("failures %d, want 1", st[0].Failures)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
