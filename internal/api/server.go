// Package api is the HTTP side of the server: the route table (routes.go),
// one handler file per resource, response encoding and the cross-cutting
// middleware (CORS, gzip, API key, perf accounting). Handlers parse input,
// call one store method and write JSON; they never compute or read SQLite.
// The API reference served at /api/docs is API.md in this directory.
package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/live"
	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/metrics"
	"github.com/corescope/corescope/internal/procio"
)

// Options are the server's dependencies. Config and Logger are required;
// the store arrives later through SetStore (it waits for the schema).
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// Hub serves WebSocket upgrades on any path; nil disables them.
	Hub *live.Hub
	// Public holds the SPA files (embedded or a directory); nil = API only.
	Public fs.FS
	// PublicFromDisk disables the content-hash asset cache so edits on disk
	// show up on reload (the -public flag).
	PublicFromDisk bool
	// Publisher hands POST /api/packets to the ingestor; nil = 503.
	Publisher Publisher
	// Version, Commit and BuildTime are reported by /api/health and /api/stats.
	Version, Commit, BuildTime string
	// ConfigDir is where theme.json is looked up (and data/theme.json);
	// ConfigPath is the config.json PUT /api/config/geo-filter rewrites.
	ConfigDir, ConfigPath string
	// IngestorStatsPath is the ingestor's 1 Hz stats file ("" = none).
	IngestorStatsPath string
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// ResponseCacheTTL > 0 serves identical GET /api requests from a
	// micro-cache of encoded responses for at most this long, and only while
	// the store's data is unchanged (respcache.go). 0 = off.
	ResponseCacheTTL time.Duration
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	hub     *live.Hub
	pub     Publisher
	now     func() time.Time
	started time.Time
	version buildInfo
	statsFn string
	perf    *perfRecorder
	static  *staticFiles

	store    atomic.Pointer[storeBox]
	notReady atomic.Pointer[string] // why the store is not there yet (schema wait…)

	observers observersCache
	areas     map[string]areaFunc // config areas as point tests
	io        procio.Sampler
	keys      meshcore.KeyStore // channel keys for POST /api/decode (nil = none)
	// heavy bounds how many large packet lists are built at once (one per
	// core): beyond that, requests wait instead of each holding megabytes.
	heavy chan struct{}

	configDir, configPath string
	geoMu                 sync.Mutex // serializes config.json rewrites
	geoFilter             atomic.Pointer[config.GeoFilter]

	keyGuard *keyGuard    // API-key guess throttling
	admin    adminDB      // SQLite reader of the admin/perf-sqlite routes (admin.go)
	inspect  inspectMemos // per-generation paths/inspect graph and audio-lab buckets

	an       *meshAnalytics        // analytics engine + mesh analytics handles (analytics.go)
	nodeAn   *nodeAnalyticsHandles // node/observer analytics handles (nodeanalytics.go)
	cache    *respCache            // nil = off
	handler  http.Handler
	specDoc  []byte        // /api/spec, built once from the route table
	httpM    *metrics.HTTP // request metrics (ops.go)
	metricsH http.Handler  // GET /metrics
	// apiRouter is the /api subrouter (405 answers probe it for Allow).
	apiRouter *mux.Router
}

type storeBox struct{ s Store }

type buildInfo struct {
	Version   string
	Commit    string
	BuildTime string
}

// New builds the server and its route table.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		cfg:     opts.Config,
		log:     opts.Logger.With("component", "api"),
		hub:     opts.Hub,
		pub:     opts.Publisher,
		now:     opts.Now,
		started: opts.Now(),
		version: buildInfo{Version: orUnknown(opts.Version), Commit: orUnknown(opts.Commit), BuildTime: orUnknown(opts.BuildTime)},
		statsFn: opts.IngestorStatsPath,
		perf:    newPerfRecorder(opts.Now()),

		heavy:      make(chan struct{}, runtime.GOMAXPROCS(0)),
		keyGuard:   newKeyGuard(opts.Now),
		configDir:  opts.ConfigDir,
		configPath: opts.ConfigPath,
	}
	if s.configDir == "" {
		s.configDir = "."
	}
	if gf := opts.Config.GeoFilter; gf != nil {
		s.geoFilter.Store(gf)
	}
	reason := "starting"
	s.notReady.Store(&reason)
	s.keys = channelKeys(opts.Config, s.log)
	s.areas = buildAreas(opts.Config.Areas)
	st, err := newStaticFiles(opts.Public, opts.PublicFromDisk, s.log)
	if err != nil {
		return nil, err
	}
	s.static = st
	s.an = s.newMeshAnalytics()
	if opts.ResponseCacheTTL > 0 {
		s.cache = newRespCache(opts.ResponseCacheTTL, opts.Config.Compression.Gzip, opts.Now, s.storeGeneration)
	}
	s.initMetrics()
	s.handler = s.routes()
	return s, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ServeHTTP makes Server the root handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SetStore makes the store available to the handlers (called once the
// schema is current and the store is running).
// It hands the store the current geo filter (a PUT may have changed it
// while the store was loading); geoMu orders this against PUT.
func (s *Server) SetStore(st Store) {
	s.geoMu.Lock()
	defer s.geoMu.Unlock()
	st.SetGeoFilter(s.geoFilter.Load())
	s.store.Store(&storeBox{s: st})
	s.an.engine.SetSource(st)
}

// SetNotReady records why there is no store yet (shown by /api/healthz).
func (s *Server) SetNotReady(reason string) { s.notReady.Store(&reason) }

// getStore returns the store or errNotReady.
func (s *Server) getStore() (Store, error) {
	if b := s.store.Load(); b != nil {
		return b.s, nil
	}
	return nil, errNotReady
}

// storeGeneration is the store's data generation for the response cache;
// false while there is no ready store or it cannot report one.
func (s *Server) storeGeneration() (uint64, bool) {
	b := s.store.Load()
	if b == nil || !b.s.Ready() {
		return 0, false
	}
	g, ok := b.s.(interface{ Generation() uint64 })
	if !ok {
		return 0, false
	}
	return g.Generation(), true
}

func (s *Server) storeReady() bool {
	b := s.store.Load()
	return b != nil && b.s.Ready()
}

// acquireHeavy waits for a slot to build a large response; false when the
// client went away first.
func (s *Server) acquireHeavy(r *http.Request) bool {
	select {
	case s.heavy <- struct{}{}:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) releaseHeavy() { <-s.heavy }

// isHeavy reports whether a packet query produces a large response.
func isHeavy(limit int, expand bool) bool {
	return limit > 500 || (expand && limit > 100)
}

// channelKeys builds the keyring POST /api/decode decrypts with: the
// built-in public and hashtag keys, config hashChannels and channelKeys, and
// the rainbow file when present (the same sources as the ingestor).
func channelKeys(cfg *config.Config, log *slog.Logger) meshcore.KeyStore {
	var rainbow map[string]string
	if cfg.ChannelKeysPath != "" {
		if b, err := os.ReadFile(cfg.ChannelKeysPath); err == nil {
			if rainbow, err = channel.ParseRainbow(b); err != nil {
				log.Warn("channel rainbow file ignored", "path", cfg.ChannelKeysPath, "err", err)
			}
		}
	}
	kr, err := channel.New(channel.Config{Rainbow: rainbow, HashChannels: cfg.HashChannels, Keys: cfg.ChannelKeys})
	if err != nil {
		log.Warn("channel keys unusable; decode will not decrypt", "err", err)
		return nil
	}
	return kr
}
