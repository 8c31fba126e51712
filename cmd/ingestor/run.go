package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingest"
)

const usage = `Usage:
  ingestor [-config config.json]     ingest MQTT (meshcoretomqtt JSON) into SQLite
  ingestor decode [--key NAME=HEX]... HEX...
                                     decode packets offline (see ingestor decode --help)
  ingestor import [-config config.json] FILE.jsonl
                                     store recorded messages with their own receive
                                     times (see ingestor import --help)
  ingestor --version

The ingestor is the only writer of the database: it applies migrations, stores
packets, runs retention and writes a 1 Hz stats file (env CORESCOPE_INGESTOR_STATS,
default <dir of dbPath>/ingestor-stats.json). SIGINT/SIGTERM: flush, ack, exit.

Environment: DB_PATH, MQTT_BROKER, MQTT_TOPIC, CHANNEL_KEYS_PATH,
CORESCOPE_INGESTOR_STATS, ENABLE_PPROF=true, PPROF_PORT (default 6061).

Flags:
`

// run is the whole ingestor process; main only wires signals and exit codes.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingestor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "config.json", "config file (missing = built-in defaults)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return err
	}
	if *showVersion {
		v := "corescope-ingestor " + version
		if commit != "" {
			v += " (" + commit + ")"
		}
		fmt.Fprintln(stdout, v)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}

	cfg, log, err := loadConfig(*cfgPath, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.PprofEnabled {
		startPprof(ctx, cfg.PprofPort, log)
	}
	ing, err := ingest.New(ctx, cfg, ingest.Options{Logger: log})
	if err != nil {
		return err
	}
	return ing.Run(ctx)
}

// loadConfig loads the config file and makes the process logger; both
// commands that touch the database (run, import) start with it.
func loadConfig(path string, getenv func(string) string, stderr io.Writer) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(path, getenv)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	if cfg.FileMissing {
		log.Info("config file not found, using built-in defaults", "path", path)
	}
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w)
	}
	return cfg, log, nil
}

func logLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// startPprof serves net/http/pprof on loopback (ENABLE_PPROF=true).
func startPprof(ctx context.Context, port int, log *slog.Logger) {
	if port <= 0 {
		port = 6061
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Info("pprof listening", "addr", srv.Addr)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
}
