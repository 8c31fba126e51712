package ingest

import (
	"fmt"
	"log/slog"
	"net"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// embeddedBroker is the in-process MQTT broker of the from-source quick start
// (config key embeddedBroker): a fresh machine needs no Mosquitto. It keeps
// sessions in memory, so queued messages survive an ingestor reconnect but
// not an ingestor restart — a deployment that needs crash safety end to end
// runs Mosquitto with persistence instead.
type embeddedBroker struct {
	srv *mochi.Server
	url string // dialable tcp:// URL
}

// startEmbeddedBroker listens on addr (e.g. "127.0.0.1:1883"). Anonymous
// clients are allowed, so addr should stay on loopback unless the operator
// puts it behind a firewall; a non-loopback address is logged as a warning.
func startEmbeddedBroker(addr string, log *slog.Logger) (*embeddedBroker, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embeddedBroker %q: want host:port: %w", addr, err)
	}
	log = log.With("component", "embedded_broker")
	srv := mochi.New(&mochi.Options{InlineClient: false, Logger: log})
	// Room for ack-after-commit: the ingestor keeps up to a batch or two of
	// messages unacknowledged while it writes.
	srv.Options.Capabilities.MaximumInflight = 8192
	srv.Options.Capabilities.ReceiveMaximum = 2048
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		return nil, fmt.Errorf("embedded broker auth hook: %w", err)
	}
	ln := listeners.NewTCP(listeners.Config{ID: "embedded", Address: addr})
	if err := srv.AddListener(ln); err != nil {
		return nil, fmt.Errorf("embedded broker listen on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("embedded broker serve: %w", err)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Warn("embedded broker listens beyond loopback and allows anonymous clients", "addr", addr)
	}
	dial := host
	if host == "" || host == "0.0.0.0" || host == "::" {
		dial = "127.0.0.1"
	}
	if strings.Contains(dial, ":") {
		dial = "[" + dial + "]"
	}
	log.Info("embedded mqtt broker listening", "addr", addr)
	return &embeddedBroker{srv: srv, url: "tcp://" + dial + ":" + port}, nil
}

func (b *embeddedBroker) close() { _ = b.srv.Close() }

// allowAll lets every client connect and use every topic (mochi's own
// auth.AllowHook would pull in a YAML dependency for its ledger).
type allowAll struct{ mochi.HookBase }

func (h *allowAll) ID() string { return "allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mochi.Client, string, bool) bool { return true }
