// Package ingesttest runs the real ingestor in-process for tests of other
// packages (server, web, deploy) that need a database filled the way
// production fills it: MQTT messages through a real broker into SQLite.
//
//	b := mqtttest.Start(t)
//	ing := ingesttest.Start(t, b.URL, dbPath)
//	ingesttest.Publish(t, b.URL, msgs)
//	ing.WaitAcked(t, uint64(len(msgs)))
//
// or, when the broker is not needed afterwards, ingesttest.Fill(t, dbPath, msgs).
package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// Message is one MQTT message to publish (meshsim's Message has the same
// Topic and Payload fields).
type Message struct {
	Topic   string
	Payload []byte
}

// Ingestor is an in-process ingestor owned by a test.
type Ingestor struct {
	ing    *ingest.Ingestor
	cancel context.CancelFunc
	done   chan error
	once   atomic.Bool
	tw     *testWriter
}

// Config returns the configuration Start uses: one source on brokerURL
// (topic meshcore/#), dbPath, a short connect timeout and the stats file in
// the DB's directory.
func Config(brokerURL, dbPath string) *config.Config {
	cfg := config.Default()
	cfg.DBPath = dbPath
	cfg.Sources = []config.MQTTSource{{Name: "test", Broker: brokerURL, Topics: []string{config.DefaultTopic}, ConnectTimeoutSec: 10}}
	cfg.IngestorStatsPath = filepath.Join(filepath.Dir(dbPath), "ingestor-stats.json")
	// Tests publish synthetic traffic at wire speed from a few observers; the
	// per-observer rate limit (default 50/s) is for real radios. Tests of the
	// limit itself set cfg.ObserverRateLimit.
	cfg.ObserverRateLimit.PacketsPerSec = -1
	return &cfg
}

// Start runs an ingestor subscribed to brokerURL, writing dbPath, until the
// test ends (or Stop). mutate functions may adjust the config first. It fails
// the test if the ingestor cannot start or does not connect.
func Start(t testing.TB, brokerURL, dbPath string, mutate ...func(*config.Config)) *Ingestor {
	t.Helper()
	cfg := Config(brokerURL, dbPath)
	for _, m := range mutate {
		m(cfg)
	}
	return StartWith(t, cfg, ingest.Options{})
}

// StartWith is Start with a complete config and ingest options (e.g. short
// watchdog timings). A nil Options.Logger logs warnings to t.Log; an empty
// StatsPath uses cfg.IngestorStatsPath.
func StartWith(t testing.TB, cfg *config.Config, opts ingest.Options) *Ingestor {
	t.Helper()
	tw := &testWriter{t: t}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(tw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.StatsPath == "" {
		opts.StatsPath = cfg.IngestorStatsPath
	}
	ctx, cancel := context.WithCancel(context.Background())
	ing, err := ingest.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatalf("ingesttest: start ingestor: %v", err)
	}
	i := &Ingestor{ing: ing, cancel: cancel, done: make(chan error, 1), tw: tw}
	go func() { i.done <- ing.Run(ctx) }()
	t.Cleanup(i.Stop)
	deadline := time.Now().Add(15 * time.Second)
	for !i.connected() {
		if time.Now().After(deadline) {
			t.Fatalf("ingesttest: ingestor did not connect to any source")
		}
		select {
		case err := <-i.done:
			t.Fatalf("ingesttest: ingestor exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return i
}

func (i *Ingestor) connected() bool {
	for _, s := range i.ing.Stats().Sources {
		if s.Connected {
			return true
		}
	}
	return false
}

// Stats returns the ingestor's counters.
func (i *Ingestor) Stats() ingest.Stats { return i.ing.Stats() }

// WaitAcked waits until at least n messages have been acknowledged (each one
// stored, or dropped as bad input), failing the test after 60 s. The count
// includes acknowledgements of broker redeliveries, so after a reconnect
// check row counts instead.
func (i *Ingestor) WaitAcked(t testing.TB, n uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := i.ing.Stats()
		if st.Acked >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingesttest: %d of %d messages acknowledged after 60s (received %d, queue %d)", st.Acked, n, st.Received, st.QueueDepth)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the ingestor down gracefully (flush, ack, disconnect, close the
// database) and waits for it. Calling it twice is harmless.
func (i *Ingestor) Stop() {
	if !i.once.CompareAndSwap(false, true) {
		return
	}
	i.cancel()
	select {
	case <-i.done:
	case <-time.After(30 * time.Second):
	}
	i.tw.closed.Store(true) // t.Log after the test has finished panics
}

// Publish sends msgs to brokerURL at QoS 1 and waits for the broker to
// acknowledge each one.
func Publish(t testing.TB, brokerURL string, msgs []Message) {
	t.Helper()
	if err := PublishErr(brokerURL, msgs); err != nil {
		t.Fatalf("ingesttest: %v", err)
	}
}

// PublishErr is Publish returning an error (for use outside the test goroutine).
func PublishErr(brokerURL string, msgs []Message) error {
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).
		SetClientID(fmt.Sprintf("ingesttest-pub-%d-%d", os.Getpid(), time.Now().UnixNano())).
		SetCleanSession(true).SetConnectTimeout(10 * time.Second).SetMaxResumePubInFlight(1000)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return fmt.Errorf("publisher connect to %s: %w", brokerURL, errors.Join(tok.Error(), errors.New("connect timeout or failure")))
	}
	defer c.Disconnect(250)
	const window = 500 // tokens in flight at once
	toks := make([]mqtt.Token, 0, window)
	wait := func() error {
		for _, tok := range toks {
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				return fmt.Errorf("publish: %w", errors.Join(tok.Error(), errors.New("not acknowledged by the broker")))
			}
		}
		toks = toks[:0]
		return nil
	}
	for _, m := range msgs {
		toks = append(toks, c.Publish(m.Topic, 1, false, m.Payload))
		if len(toks) == window {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	return wait()
}

// Fill ingests msgs into dbPath through a private Mosquitto and the real
// ingestor, and returns when all of them are stored (the ingestor is stopped
// and the database closed, so the caller may open it).
func Fill(t testing.TB, dbPath string, msgs []Message, mutate ...func(*config.Config)) ingest.Stats {
	t.Helper()
	b := mqtttest.Start(t)
	ing := Start(t, b.URL, dbPath, mutate...)
	Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))
	st := ing.Stats()
	ing.Stop()
	return st
}

// testWriter sends log output to t.Log until the ingestor is stopped.
type testWriter struct {
	t      testing.TB
	closed atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.closed.Load() {
		w.t.Log(string(p))
	}
	return len(p), nil
}
