package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/api"
	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/live"
	"github.com/corescope/corescope/internal/store"
	"github.com/corescope/corescope/public"
)

// options are the parsed command line.
type options struct {
	configDir string
	port      int
	addr      string
	dbPath    string
	publicDir string
	pollMs    int
	// cacheMs bounds the age of a micro-cached GET /api response (0 = off).
	cacheMs int
	// schemaWait bounds how long the server waits for the ingestor to create
	// or migrate the database before giving up (supervisord restarts it).
	schemaWait time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configDir, "config-dir", ".", "directory holding config.json (or data/config.json) and theme.json")
	fs.IntVar(&o.port, "port", 0, "HTTP port (0 = config \"port\", env PORT, else 3000)")
	fs.StringVar(&o.addr, "addr", "", "listen address host:port; overrides -port (e.g. 127.0.0.1:3000, or :0 for a free port)")
	fs.StringVar(&o.dbPath, "db", "", "SQLite database written by the ingestor (default: config dbPath / env DB_PATH)")
	fs.StringVar(&o.publicDir, "public", "", "serve the web app from this directory instead of the embedded copy (development)")
	fs.IntVar(&o.pollMs, "poll-ms", 200, "how often to pick up rows the ingestor committed, in milliseconds")
	fs.IntVar(&o.cacheMs, "response-cache-ms", 1000, "serve identical GET /api requests from encoded bytes at most this old while the data is unchanged (0 = off)")
	fs.DurationVar(&o.schemaWait, "schema-wait", 10*time.Minute, "how long to wait for the ingestor to create/migrate the database")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: server [flags]

CoreScope's HTTP server: REST API under /api, WebSocket live feed (/ws or any
path with Upgrade: websocket) and the web app. It reads the SQLite database
written by the ingestor (read-only), answers HTTP at once and loads the data
in the background (GET /api/healthz is 503 until loaded).

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.pollMs <= 0 {
		return o, fmt.Errorf("-poll-ms must be > 0, got %d", o.pollMs)
	}
	if o.cacheMs < 0 {
		return o, fmt.Errorf("-response-cache-ms must be >= 0, got %d", o.cacheMs)
	}
	return o, nil
}

// run is the whole server: parse flags, load config, listen, load the store
// in the background, serve until ctx ends, shut down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := start(ctx, opts, getenv, stderr)
	if err != nil {
		return err
	}
	return a.wait()
}

// app is a running server (tests drive it through start).
type app struct {
	log     *slog.Logger
	cfg     *config.Config
	ln      net.Listener
	httpSrv *http.Server
	hub     *live.Hub
	api     *api.Server
	pub     *api.MQTTPublisher
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
	done    chan struct{}
	// autoMemLimit: no GOMEMLIMIT and no store budget, so tuneMemoryLimit runs.
	autoMemLimit bool
}

func (a *app) Addr() string { return a.ln.Addr().String() }

func (a *app) fail(err error) {
	a.errOnce.Do(func() { a.err = err })
	a.cancel()
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func start(parent context.Context, opts options, getenv func(string) string, stderr io.Writer) (*app, error) {
	cfgPath := config.FindServerFile(opts.configDir)
	cfg, err := config.Load(cfgPath, getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(stderr, cfg.LogLevel).With("component", "server")
	if cfg.FileMissing {
		log.Info("no config file, using built-in defaults", "path", cfgPath)
	}
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w)
	}
	// Precedence: flag > env > file > default (env and file are in cfg).
	if opts.dbPath != "" {
		cfg.DBPath = opts.dbPath
	} else if cfg.DBPath == config.Default().DBPath && getenv("DB_PATH") == "" {
		cfg.DBPath = filepath.Join(opts.configDir, cfg.DBPath)
	}
	port := cfg.Port
	if opts.port > 0 {
		port = opts.port
	}
	if port <= 0 {
		port = 3000
	}
	addr := opts.addr
	if addr == "" {
		addr = ":" + strconv.Itoa(port)
	}
	statsPath := ingestorStatsPath(cfg, getenv)
	// A soft heap limit 1.5× the store budget keeps the GC ahead of request
	// garbage on small machines (OPERATIONS.md §2); GOMEMLIMIT wins.
	autoMemLimit := false
	if getenv("GOMEMLIMIT") == "" {
		if cfg.PacketStore.MaxMemoryMB > 0 {
			limit := int64(cfg.PacketStore.MaxMemoryMB) * 3 / 2 << 20
			debug.SetMemoryLimit(limit)
			log.Info("soft memory limit set", "limit_mb", limit>>20)
		} else {
			autoMemLimit = true // 2× live heap once loaded (memlimit.go)
		}
	}

	var pubFS fs.FS = public.FS
	fromDisk := false
	if opts.publicDir != "" {
		if _, err := os.Stat(filepath.Join(opts.publicDir, "index.html")); err != nil {
			log.Warn("web app not found in -public directory; serving the API only", "dir", opts.publicDir)
			pubFS = nil
		} else {
			pubFS, fromDisk = os.DirFS(opts.publicDir), true
		}
	}

	ctx, cancel := context.WithCancel(parent)
	a := &app{log: log, cfg: cfg, cancel: cancel, done: make(chan struct{}), autoMemLimit: autoMemLimit}
	a.hub = live.NewHub(live.Options{AllowedOrigins: cfg.CORSAllowedOrigins, Compression: cfg.Compression.Websocket, Logger: log})
	src := api.PublishBroker(cfg)
	a.pub = api.NewMQTTPublisher(src, log)
	bi := buildInfo()
	a.api, err = api.New(api.Options{
		Config: cfg, Logger: log, Hub: a.hub, Public: pubFS, PublicFromDisk: fromDisk,
		Publisher: a.pub, Version: bi.version, Commit: bi.commit, BuildTime: bi.buildTime,
		ConfigDir: opts.configDir, ConfigPath: cfgPath, IngestorStatsPath: statsPath,
		ResponseCacheTTL: time.Duration(opts.cacheMs) * time.Millisecond,
	})
	if err != nil {
		cancel()
		a.pub.Close()
		return nil, err
	}
	a.ln, err = net.Listen("tcp", addr)
	if err != nil {
		cancel()
		a.pub.Close()
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	a.httpSrv = &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("http listening", "addr", a.ln.Addr().String(), "db", cfg.DBPath, "version", bi.version,
		"web_app", describePublic(pubFS, fromDisk, opts.publicDir), "publish_broker", src.Name, "ingestor_stats", statsPath)

	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := a.httpSrv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.fail(fmt.Errorf("http server: %w", err))
		}
	}()
	go func() {
		defer a.wg.Done()
		if err := a.loadData(ctx, opts); err != nil {
			a.fail(err)
		}
	}()
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.api.RunAnalytics(ctx) }() // idles until the store has loaded
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.api.RunObserverWatch(ctx) }() // logs observer packet-health transitions
	go func() {
		<-ctx.Done()
		a.shutdown()
		close(a.done)
	}()
	return a, nil
}

func describePublic(f fs.FS, fromDisk bool, dir string) string {
	switch {
	case f == nil:
		return "none (API only)"
	case fromDisk:
		return dir
	default:
		return "embedded"
	}
}

// loadData waits (bounded) for the database and its schema, then runs the
// store and the live feed until ctx ends.
func (a *app) loadData(ctx context.Context, opts options) error {
	deadline := time.Now().Add(opts.schemaWait)
	for {
		if _, err := os.Stat(a.cfg.DBPath); err == nil {
			break
		}
		reason := "waiting for the ingestor to create the database " + a.cfg.DBPath
		a.api.SetNotReady(reason)
		if time.Now().After(deadline) {
			return fmt.Errorf("database %s still missing after %s (is the ingestor running?)", a.cfg.DBPath, opts.schemaWait)
		}
		a.log.Warn("database not found yet", "path", a.cfg.DBPath, "retry_in", "1s")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	rdb, err := db.OpenReader(ctx, a.cfg.DBPath)
	if err != nil {
		return err
	}
	defer rdb.Close()
	a.api.SetNotReady("waiting for the database schema")
	if err := db.WaitForSchema(ctx, rdb, time.Second, time.Until(deadline), a.log); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, db.ErrSchemaNewer) {
			return fmt.Errorf("refusing to start: %w", err)
		}
		return fmt.Errorf("database schema not ready after %s: %w", opts.schemaWait, err)
	}
	st := store.New(rdb, store.Config{
		MaxMemoryMB:       a.cfg.PacketStore.MaxMemoryMB,
		RetentionHours:    a.cfg.PacketStore.RetentionHours,
		PollInterval:      time.Duration(opts.pollMs) * time.Millisecond,
		NodeBlacklist:     a.cfg.NodeBlacklist,
		ObserverBlacklist: a.cfg.ObserverBlacklist,
		RelayActive:       time.Duration(a.cfg.HealthThresholds.RelayActiveHours * float64(time.Hour)),
		Logger:            a.log,
	})
	feed := live.NewFeed(st, a.hub, a.log)
	a.api.SetStore(st)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); feed.Run(ctx) }()
	if a.autoMemLimit {
		wg.Add(1)
		go func() { defer wg.Done(); tuneMemoryLimit(ctx, st.Ready, 30*time.Second, a.log) }()
	}
	err = st.Run(ctx)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// shutdown closes WebSockets with 1001 "server shutting down", drains HTTP
// requests (bounded) and disconnects from the broker.
func (a *app) shutdown() {
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.hub.Shutdown(sctx); err != nil {
		a.log.Warn("websocket shutdown incomplete", "err", err)
	}
	if err := a.httpSrv.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown incomplete", "err", err)
	}
	a.pub.Close()
}

// wait blocks until the server has stopped and returns why (nil on a normal
// shutdown).
func (a *app) wait() error {
	<-a.done
	a.wg.Wait()
	return a.err
}

// ingestorStatsPath mirrors the ingestor's choice: env
// CORESCOPE_INGESTOR_STATS, else <dir of dbPath>/ingestor-stats.json.
func ingestorStatsPath(cfg *config.Config, getenv func(string) string) string {
	if v := strings.TrimSpace(getenv("CORESCOPE_INGESTOR_STATS")); v != "" {
		return v
	}
	if cfg.IngestorStatsPath != "" && cfg.IngestorStatsPath != config.Default().IngestorStatsPath {
		return cfg.IngestorStatsPath
	}
	return filepath.Join(filepath.Dir(cfg.DBPath), "ingestor-stats.json")
}

type build struct{ version, commit, buildTime string }

// buildInfo returns the -ldflags values, else the VCS stamp Go embeds, else
// a .git-commit file next to the binary (the container writes one).
func buildInfo() build {
	b := build{version: version, commit: commit, buildTime: buildTime}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.commit == "" {
					b.commit = s.Value
				}
			case "vcs.time":
				if b.buildTime == "" {
					b.buildTime = s.Value
				}
			}
		}
	}
	if b.commit == "" {
		if exe, err := os.Executable(); err == nil {
			if data, err := os.ReadFile(filepath.Join(filepath.Dir(exe), ".git-commit")); err == nil {
				b.commit = strings.TrimSpace(string(data))
			}
		}
	}
	return b
}
