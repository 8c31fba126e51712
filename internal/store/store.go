// Package store is the server's in-memory packet store: typed transmissions,
// observations, nodes and observers loaded from the read-only SQLite database in
// the background (newest first) and kept in step by a sync loop that polls for
// rows the ingestor committed. Every read query of the API is answered from here.
//
// Concurrency: one goroutine (Run) owns every write. Index slices are append-only
// or replaced, and the maps holding their headers are guarded by a RWMutex that
// readers hold only to copy a few slice headers; per-transmission observation
// sets and the node/observer tables are immutable values swapped atomically. So
// readers never wait on the sync's database reads, and the sync never waits on a
// reader's iteration or encoding.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
)

// ErrNotFound is returned when a packet, node or observer does not exist.
var ErrNotFound = errors.New("not found")

// ErrAmbiguous is returned by Node when a pubkey prefix matches several nodes.
var ErrAmbiguous = errors.New("ambiguous prefix: multiple nodes match")

// Config tunes the store. The zero value works: unlimited memory, 200 ms sync.
type Config struct {
	// MaxMemoryMB bounds the self-accounted store bytes (packetStore.maxMemoryMB);
	// 0 = unlimited. The load stops at the budget and the sync evicts oldest first.
	MaxMemoryMB int
	// RetentionHours drops transmissions whose first_seen is older (in memory
	// only; the ingestor prunes the database). 0 = keep everything.
	RetentionHours float64
	// PollInterval is the sync period (default 200 ms, so rows show within 250 ms).
	PollInterval time.Duration
	// LoadChunk is the number of transmissions read per load step (default 5000).
	LoadChunk int
	// NodeReloadInterval is how often the full nodes/observers tables are
	// re-read to notice deleted rows (default 60 s; changed rows are picked up
	// every tick through their last_seen index).
	NodeReloadInterval time.Duration
	// NodeBlacklist hides these pubkeys from every node query (lists, search,
	// detail, health, paths, neighbors, hop candidates); packet lists keep them.
	NodeBlacklist []string
	// ObserverBlacklist hides these observer ids (case-insensitive) from
	// Observers/Observer; their observations stay in packet data.
	ObserverBlacklist []string
	// RelayActive is the window in which a repeater's last relay makes it
	// relay_active (healthThresholds.relayActiveHours; default 24 h).
	RelayActive time.Duration
	// GeoFilter hides nodes outside it from the node lists (geo.go); nil =
	// off. SetGeoFilter replaces it at run time.
	GeoFilter *config.GeoFilter
	// Now is the clock (tests inject one). Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger

	nodeBL, observerBL map[string]bool
	// sync batch sizes (tests shrink them to exercise the catch-up loop)
	txBatch, obsBatch int
	// maxBytes overrides MaxMemoryMB with a finer budget (tests).
	maxBytes int64
}

func (c Config) withDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.LoadChunk <= 0 {
		c.LoadChunk = 5000
	}
	if c.RelayActive <= 0 {
		c.RelayActive = 24 * time.Hour
	}
	if c.NodeReloadInterval <= 0 {
		c.NodeReloadInterval = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.txBatch <= 0 {
		c.txBatch = syncTxBatch
	}
	if c.obsBatch <= 0 {
		c.obsBatch = syncObsBatch
	}
	c.nodeBL = map[string]bool{}
	for _, pk := range c.NodeBlacklist {
		c.nodeBL[strings.ToLower(strings.TrimSpace(pk))] = true
	}
	c.observerBL = map[string]bool{}
	for _, id := range c.ObserverBlacklist {
		// Case-insensitive like the ingestor's (INGEST §4): operators type
		// the list, bridges choose the case of their topic segment.
		c.observerBL[strings.ToLower(strings.TrimSpace(id))] = true
	}
	return c
}

// Store is the in-memory store. Create it with New, start it with Run.
type Store struct {
	db  *sql.DB
	cfg Config
	log *slog.Logger

	mu  sync.RWMutex // guards idx (slice headers and maps); held for microseconds
	idx index

	nodes     atomic.Pointer[nodeSet]
	observers atomic.Pointer[observerSet]
	metrics   atomic.Pointer[MetricsSet]            // observer_metrics (metrics.go)
	scores    atomic.Pointer[map[string]NodeScores] // node_scores.go
	geo       atomic.Pointer[geoTest]
	edges     atomic.Pointer[edgeSet] // neighbor_edges (edges.go)

	prog    progress
	mem     memCounters
	subs    subscribers
	grouped groupedCache
	gen     atomic.Uint64 // bumped whenever the indexed data changes
	setsGen atomic.Uint64 // bumped whenever the node or observer set is replaced
	syncSt  syncState     // owned by the Run goroutine
	started atomic.Bool
	// lastSync is when the last sync tick completed (unix ms; LastSync).
	lastSync atomic.Int64
}

// Generation changes whenever anything a query can return changes
// (packets, observations, nodes, observers); equal values mean identical
// answers apart from the clock. The api's response cache keys on it.
func (s *Store) Generation() uint64 { return s.gen.Load() + s.setsGen.Load() }

// New returns a store reading from database handle d (opened read-only by
// db.OpenReader). Nothing is read until Run.
func New(d *sql.DB, cfg Config) *Store {
	cfg = cfg.withDefaults()
	s := &Store{db: d, cfg: cfg, log: cfg.Logger.With("component", "store")}
	s.idx = newIndex()
	s.nodes.Store(buildNodeSet(nil))
	s.observers.Store(buildObserverSet(nil))
	s.SetGeoFilter(cfg.GeoFilter)
	s.prog.phase.Store(PhaseWaiting)
	return s
}

// Run loads the database in the background (newest transmissions first) while
// syncing new rows every PollInterval, and returns when ctx is done (nil) or the
// database fails in a way that retrying cannot fix. Call it once.
func (s *Store) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("store: Run called twice")
	}
	defer s.subs.closeAll()
	defer s.syncSt.closeConn()
	if err := s.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.prog.setErr(err)
		return err
	}
	ticker := time.NewTicker(s.cfg.PollInterval)
	defer ticker.Stop()
	for {
		if err := s.tick(ctx); err != nil && ctx.Err() == nil {
			// A failed tick (locked database, transient I/O) is retried next tick.
			s.log.Warn("sync failed", "err", err)
		} else if err == nil {
			s.lastSync.Store(s.cfg.Now().UnixMilli())
		}
		loading := s.prog.phase.Load() == PhaseLoading
		if loading {
			if err := s.loadChunk(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("load chunk failed", "err", err)
			}
			loading = s.prog.phase.Load() == PhaseLoading
		}
		if loading {
			// Keep loading without sleeping, but stay responsive to ctx.
			select {
			case <-ctx.Done():
				return nil
			default:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// start reads observers, nodes and the id watermarks, then switches to loading.
func (s *Store) start(ctx context.Context) error {
	s.prog.startedAt.Store(s.cfg.Now().UnixMilli())
	if err := s.reloadObservers(ctx, s.db, ""); err != nil {
		return err
	}
	if err := s.reloadNodes(ctx, s.db, ""); err != nil {
		return err
	}
	if err := s.syncMetrics(ctx, s.db, false); err != nil {
		return err
	}
	if err := s.reloadEdges(ctx, s.db, ""); err != nil {
		return err
	}
	maxTx, maxObs, err := db.ReadMaxIDs(ctx, s.db)
	if err != nil {
		return err
	}
	totalTx, totalObs, err := db.ReadCounts(ctx, s.db)
	if err != nil {
		return err
	}
	s.prog.totalTx.Store(totalTx)
	s.prog.totalObs.Store(totalObs)
	st := &s.syncSt
	st.lastTx, st.lastObs = maxTx, maxObs
	st.loadBefore = maxTx + 1
	st.lastFullReload = s.cfg.Now()
	s.log.Info("store load starting", "transmissions", totalTx, "observations", totalObs,
		"max_memory_mb", s.cfg.MaxMemoryMB, "retention_hours", s.cfg.RetentionHours)
	s.prog.phase.Store(PhaseLoading)
	return nil
}

// Phase names for LoadProgress.Phase.
const (
	PhaseWaiting = "waiting" // Run not started or still reading the first rows
	PhaseLoading = "loading" // answering from what is loaded so far
	PhaseReady   = "ready"   // full load done (or stopped at the memory budget)
	PhaseFailed  = "failed"  // start failed; Err says why
)

type progress struct {
	phase     atomic.Value // string
	startedAt atomic.Int64
	doneAt    atomic.Int64
	totalTx   atomic.Int64
	totalObs  atomic.Int64
	loadedTx  atomic.Int64
	loadedObs atomic.Int64
	budgetHit atomic.Bool
	errMsg    atomic.Value // string
}

func (p *progress) setErr(err error) {
	p.errMsg.Store(err.Error())
	p.phase.Store(PhaseFailed)
}

// LoadProgress is the background load's state for /api/health and /api/healthz.
type LoadProgress struct {
	Phase         string
	LoadedTx      int64 // transmissions read by the initial load
	LoadedObs     int64
	TotalTx       int64 // rows in the database when the load started
	TotalObs      int64
	StartedAt     int64 // unix ms
	DoneAt        int64 // unix ms, 0 while loading
	StoppedBudget bool  // the load stopped early at MaxMemoryMB
	Err           string
}

// Fraction returns the load progress 0..1.
func (p LoadProgress) Fraction() float64 {
	if p.Phase == PhaseReady {
		return 1
	}
	if p.TotalTx <= 0 {
		return 0
	}
	f := float64(p.LoadedTx) / float64(p.TotalTx)
	if f > 1 {
		f = 1
	}
	return f
}

// Progress returns the background load's state.
func (s *Store) Progress() LoadProgress {
	p := LoadProgress{
		LoadedTx:      s.prog.loadedTx.Load(),
		LoadedObs:     s.prog.loadedObs.Load(),
		TotalTx:       s.prog.totalTx.Load(),
		TotalObs:      s.prog.totalObs.Load(),
		StartedAt:     s.prog.startedAt.Load(),
		DoneAt:        s.prog.doneAt.Load(),
		StoppedBudget: s.prog.budgetHit.Load(),
	}
	p.Phase, _ = s.prog.phase.Load().(string)
	p.Err, _ = s.prog.errMsg.Load().(string)
	return p
}

// Ready reports whether the initial load has finished.
func (s *Store) Ready() bool { return s.prog.phase.Load() == PhaseReady }

// NotReadyReason says why the store is not ready: "" when ready, else
// "waiting" (Run not started / reading the first rows), "loading" or
// "failed: <error>".
func (s *Store) NotReadyReason() string {
	p := s.Progress()
	switch p.Phase {
	case PhaseReady:
		return ""
	case PhaseFailed:
		return "failed: " + p.Err
	}
	return p.Phase
}

func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
