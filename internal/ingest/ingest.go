// Package ingest is the MQTT → SQLite ingestor: one paho client per broker
// source, parsing of the meshcoretomqtt JSON, packet decoding, filters, and a
// single group-commit writer that acknowledges each MQTT message only after
// the transaction holding it has committed (at-least-once; redeliveries are
// absorbed by the database's de-dup keys).
//
// Flow: paho handler (hand-off only) → prepare workers (parse, filter,
// decode, build rows; one per CPU) → bounded queue → writer goroutine
// (batch of ≤ ingest.batchSize messages or ingest.batchDelayMs, one
// transaction, then Ack each message). Backpressure instead of loss: a full
// queue blocks the handlers, the broker stops at max_inflight_messages
// unacknowledged messages, and paho's keepalive keeps running. Bad input is
// counted per reason, logged rate-limited, and acknowledged so it is never
// redelivered.
//
// Use: ing, err := ingest.New(ctx, cfg, ingest.Options{Logger: l}); err = ing.Run(ctx).
// Stats (also written every second to the stats file) come from ing.Stats().
// Tests in other packages start a real ingestor through internal/ingesttest.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/procio"
)

// Options are the process-level knobs that are not in config.json.
type Options struct {
	Logger *slog.Logger
	// Now is the ingest clock (default time.Now).
	Now func() time.Time
	// StatsPath overrides where the stats file goes; "" = env
	// CORESCOPE_INGESTOR_STATS (folded into cfg.IngestorStatsPath by
	// config.Load when set), else <dir of dbPath>/ingestor-stats.json. "-"
	// disables the file.
	StatsPath string
	// StatsInterval is how often the stats file is written (default 1 s).
	StatsInterval time.Duration
	// WatchInterval, StallAfter tune the stall watchdog (defaults 60 s, 5 min).
	WatchInterval time.Duration
	StallAfter    time.Duration
	// ConnectTimeout overrides every source's connectTimeoutSec (0 = config).
	ConnectTimeout time.Duration
	// KeepAlive is the MQTT keepalive (default 30 s; tests shorten it).
	KeepAlive time.Duration
}

// Ingestor runs the sources and the writer. Create it with New and start it
// with Run; Stats may be called at any time.
type Ingestor struct {
	cfg  *config.Config
	opts Options
	log  *slog.Logger // with component=ingest
	base *slog.Logger // the caller's logger, for other components
	now  func() time.Time

	writer   *db.Writer
	st       storer
	keys     *channel.Keyring
	regions  []regionKey
	geo      func(lat, lon float64) bool // INGEST §9 advert geo filter; nil = off
	logLimit *limiter
	sigs     *sigCache

	foreignDrop    bool
	validateSigs   bool
	blacklist      map[string]bool
	whitelist      map[string]bool
	sampleInterval time.Duration

	queue      chan *item
	batchSize  int
	batchDelay time.Duration
	raw        chan rawMsg   // paho handlers → prepare workers
	workers    int           // prepare workers (GOMAXPROCS)
	stopping   chan struct{} // closed first at shutdown: no new work is taken
	writerStop chan struct{} // closed when the workers are gone: the writer drains and exits
	hardStop   chan struct{} // closed if shutdown takes too long: abandon retries

	ctr       counters
	started   time.Time
	statsPath string

	mu      sync.Mutex // guards sources (set once in Run) for Stats
	sources []*source
	procIO  procio.Sampler

	opsState // protection and Prometheus metrics (ops.go)
}

// New validates cfg, opens (and migrates) the database and builds the channel
// keyring. The caller must call Run, which closes the database when it ends.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Ingestor, error) {
	ing := &Ingestor{
		cfg:            cfg,
		opts:           opts,
		base:           logger(opts.Logger),
		log:            logger(opts.Logger).With("component", "ingest"),
		now:            opts.Now,
		regions:        newRegionKeys(cfg.HashRegions),
		geo:            cfg.GeoFilter.Contains(),
		logLimit:       newLimiter(10 * time.Second),
		sigs:           newSigCache(8192),
		foreignDrop:    strings.EqualFold(cfg.ForeignAdverts.Mode, "drop"),
		validateSigs:   cfg.ValidateSignatures,
		blacklist:      lowerSet(cfg.ObserverBlacklist, strings.ToLower),
		whitelist:      lowerSet(cfg.ObserverIATAWhitelist, strings.ToUpper),
		sampleInterval: time.Duration(cfg.Metrics.SampleIntervalSec) * time.Second,
		batchSize:      cfg.Ingest.BatchSize,
		batchDelay:     time.Duration(cfg.Ingest.BatchDelayMs) * time.Millisecond,
		raw:            make(chan rawMsg, 256),
		workers:        max(2, runtime.GOMAXPROCS(0)),
		stopping:       make(chan struct{}),
		writerStop:     make(chan struct{}),
		hardStop:       make(chan struct{}),
		started:        time.Now(),
	}
	if ing.now == nil {
		ing.now = time.Now
	}
	if ing.batchSize <= 0 {
		ing.batchSize = 1000
	}
	if ing.batchDelay <= 0 {
		ing.batchDelay = 50 * time.Millisecond
	}
	qs := cfg.Ingest.QueueSize
	if qs <= 0 {
		qs = 10000
	}
	ing.queue = make(chan *item, qs)
	ing.statsPath = statsPath(cfg, opts)
	if err := ing.initOps(); err != nil {
		return nil, err
	}

	keys, err := loadKeyring(cfg, ing.log)
	if err != nil {
		return nil, err
	}
	ing.keys = keys

	w, err := db.OpenWriter(ctx, cfg.DBPath, db.Options{Logger: ing.log, Now: opts.Now, MetricsInterval: ing.sampleInterval})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.DBPath, err)
	}
	ing.writer = w
	ing.st = newDBStore(w, &ing.ctr)
	// INGEST §1 step 4: blacklisted observers disappear from the server's
	// lists at once, not only after retention makes them stale. A failure
	// here is not fatal: new messages from them are dropped anyway.
	if len(cfg.ObserverBlacklist) > 0 {
		n, err := w.DeactivateObservers(ctx, cfg.ObserverBlacklist)
		if err != nil {
			ing.log.Error("observer blacklist not applied to stored observers", "err", err)
		} else {
			ing.log.Info("observer blacklist applied", "listed", len(cfg.ObserverBlacklist), "deactivated", n)
		}
	}
	return ing, nil
}

func lowerSet(list []string, norm func(string) string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, v := range list {
		if v = norm(strings.TrimSpace(v)); v != "" {
			m[v] = true
		}
	}
	return m
}

// statsPath resolves where the stats file goes (see Options.StatsPath).
func statsPath(cfg *config.Config, opts Options) string {
	switch opts.StatsPath {
	case "-":
		return ""
	case "":
		return cfg.StatsPath()
	}
	return opts.StatsPath
}

// loadKeyring builds the channel keyring of INGEST §8.1: built-ins, the
// rainbow file (env CHANNEL_KEYS_PATH / channelKeysPath / channel-rainbow.json
// next to the config file; missing is fine), hashChannels, channelKeys.
func loadKeyring(cfg *config.Config, log *slog.Logger) (*channel.Keyring, error) {
	path := cfg.ChannelKeysPath
	if path == "" {
		dir := "."
		if cfg.Path != "" {
			dir = filepath.Dir(cfg.Path)
		}
		path = filepath.Join(dir, "channel-rainbow.json")
	}
	var rainbow map[string]string
	if b, err := os.ReadFile(path); err == nil {
		rainbow, err = channel.ParseRainbow(b)
		if err != nil {
			log.Error("channel rainbow file ignored", "path", path, "err", err)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		log.Info("no channel rainbow file; using built-in and configured keys", "path", path)
	} else {
		log.Warn("channel rainbow file not read", "path", path, "err", err)
	}
	kr, err := channel.New(channel.Config{Rainbow: rainbow, HashChannels: cfg.HashChannels, Keys: cfg.ChannelKeys})
	if err != nil {
		return nil, fmt.Errorf("channel keys: %w", err)
	}
	log.Info("channel keys loaded", "keys", kr.Len())
	return kr, nil
}
