package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/config"
)

// Run connects every source and ingests until ctx is cancelled, then shuts
// down gracefully: stop taking messages, write and acknowledge what is
// queued, disconnect, checkpoint and close the database. It returns an error
// when no source connects within its connect timeout (the process supervisor
// restarts the ingestor) or when the embedded broker cannot start.
func (ing *Ingestor) Run(ctx context.Context) (err error) {
	defer func() {
		ing.closeMetrics()
		if cerr := ing.writer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close database: %w", cerr)
		}
	}()

	var broker *embeddedBroker
	if addr := strings.TrimSpace(ing.cfg.EmbeddedBroker); addr != "" {
		broker, err = startEmbeddedBroker(addr, ing.base)
		if err != nil {
			return err
		}
		defer broker.close()
	}

	srcCfgs := ing.cfg.MQTTSources()
	if broker != nil {
		srcCfgs = withEmbeddedSource(srcCfgs, broker.url)
	}
	set := defaultSourceSettings()
	if ing.opts.KeepAlive > 0 {
		set.keepAlive = ing.opts.KeepAlive
	}
	if ing.opts.StallAfter > 0 {
		set.stallAfter = ing.opts.StallAfter
		set.stallRecheck = min(set.stallRecheck, ing.opts.StallAfter)
	}
	seen := map[string]bool{}
	sources := make([]*source, 0, len(srcCfgs))
	for _, sc := range srcCfgs {
		if seen[sc.Name] {
			ing.log.Error("duplicate mqtt source name; names must be unique", "source", sc.Name)
		}
		seen[sc.Name] = true
		id := clientIDFor(sc.Name, sc.Broker, ing.cfg.DBPath)
		log := ing.log.With("source", sc.Name)
		sources = append(sources, newSource(sc, id, set, log, ing.handle))
	}
	ing.mu.Lock()
	ing.sources = sources
	ing.mu.Unlock()

	var wg, workers sync.WaitGroup
	for range ing.workers {
		workers.Add(1)
		go func() { defer workers.Done(); ing.prepareLoop() }()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		ing.writeLoop()
	}()
	bgCtx, stopBG := context.WithCancel(context.Background())
	ing.serveMetrics(bgCtx, &wg)
	wg.Add(3)
	go func() { defer wg.Done(); ing.statsLoop(bgCtx) }()
	go func() { defer wg.Done(); ing.watchLoop(bgCtx) }()
	go func() { defer wg.Done(); ing.maintenanceLoop(bgCtx) }()

	for _, s := range sources {
		s.start() // paho retries in the background; progress is visible in s.connected
	}
	err = ing.waitConnected(ctx, sources, srcCfgs)

	if err == nil {
		ing.log.Info("ingestor running", "sources", len(sources), "db", ing.cfg.DBPath, "stats_file", ing.statsPath)
		<-ctx.Done()
	}

	// Shutdown. Handlers stop enqueueing; the writer drains the queue and
	// acknowledges it; only then are the clients disconnected, so the acks
	// leave before DISCONNECT. Anything not acknowledged is redelivered to
	// the persistent session next time.
	ing.log.Info("ingestor stopping")
	close(ing.stopping)
	hard := time.AfterFunc(15*time.Second, func() { close(ing.hardStop) })
	workers.Wait()
	close(ing.writerStop)
	<-writerDone
	hard.Stop()
	for _, s := range sources {
		s.stop(500 * time.Millisecond)
	}
	stopBG()
	wg.Wait()
	ing.writeStats()
	st := ing.Stats()
	ing.log.Info("ingestor stopped", "received", st.Received, "acked", st.Acked,
		"tx_inserted", st.TxInserted, "obs_inserted", st.ObsInserted, "dropped", st.Dropped())
	return err
}

// waitConnected waits until at least one source is connected. Sources that
// are slower keep retrying in the background; if none connects within the
// longest connect timeout, Run fails.
func (ing *Ingestor) waitConnected(ctx context.Context, sources []*source, cfgs []config.MQTTSource) error {
	timeout := ing.opts.ConnectTimeout
	if timeout <= 0 {
		for _, c := range cfgs {
			timeout = max(timeout, time.Duration(c.ConnectTimeoutSec)*time.Second)
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, s := range sources {
			if s.connected.Load() {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			names := make([]string, len(sources))
			for i, s := range sources {
				names[i] = s.cfg.Name + " (" + redactBroker(s.cfg.Broker) + ")"
			}
			return fmt.Errorf("no mqtt source connected within %s: %s", timeout, strings.Join(names, ", "))
		case <-tick.C:
		}
	}
}

// withEmbeddedSource adds a source for the embedded broker unless one of the
// configured sources already points at it.
func withEmbeddedSource(srcs []config.MQTTSource, url string) []config.MQTTSource {
	for _, s := range srcs {
		if brokerURL(s.Broker) == url || s.Name == "embedded" {
			return srcs
		}
	}
	// config.MQTTSources falls back to tcp://localhost:1883 when nothing is
	// configured; with an embedded broker that default is not wanted.
	if len(srcs) == 1 && srcs[0].Name == "local" {
		srcs = nil
	}
	return append(srcs, config.MQTTSource{Name: "embedded", Broker: url, Topics: []string{config.DefaultTopic}, ConnectTimeoutSec: 30})
}

// Stats returns a snapshot of the counters and per-source status.
func (ing *Ingestor) Stats() Stats {
	c := &ing.ctr
	st := Stats{
		SampledAt:       time.Now().UTC().Format(time.RFC3339),
		TxInserted:      c.txInserted.Load(),
		ObsInserted:     c.obsInserted.Load(),
		TxDupes:         c.txDupes.Load(),
		NodeUpserts:     c.nodeUpserts.Load(),
		ObserverUpserts: c.observerUpserts.Load(),
		WriteErrors:     c.writeErrors.Load(),
		SigDrops:        c.sigDrops.Load(),
		WALCommits:      c.walCommits.Load(),
		BackfillUpdates: map[string]uint64{},
		StartedAt:       ing.started.UTC().Format(time.RFC3339),
		Received:        c.received.Load(),
		Acked:           c.acked.Load(),
		ObsDupes:        c.obsDupes.Load(),
		MetricsWritten:  c.metricsWritten.Load(),
		BatchRetries:    c.batchRetries.Load(),
		QueueDepth:      len(ing.queue),
		QueueCapacity:   cap(ing.queue),
		Drops:           make(map[string]uint64, len(dropReasons)),
	}
	// Our group commit is real: every committed batch is one flush.
	st.GroupCommitFlushes = st.WALCommits
	for i, r := range dropReasons {
		st.Drops[r] = c.drops[i].Load()
	}
	ing.mu.Lock()
	srcs := ing.sources
	ing.mu.Unlock()
	st.RateLimited = ing.rate.limited()
	st.Sources = make([]SourceStats, 0, len(srcs))
	for _, s := range srcs {
		st.Sources = append(st.Sources, s.stats())
	}
	return st
}

func (ing *Ingestor) writeStats() {
	if ing.statsPath == "" {
		return
	}
	st := ing.Stats()
	st.ProcIO = ing.procIO.Sample(time.Now())
	b, err := encodeStats(&st)
	if err == nil {
		err = writeFileAtomic(ing.statsPath, b)
	}
	if err != nil {
		if ok, _ := ing.logLimit.allow("stats_file", time.Now()); ok {
			ing.log.Warn("stats file not written", "path", ing.statsPath, "err", err)
		}
	}
}

func (ing *Ingestor) statsLoop(ctx context.Context) {
	iv := ing.opts.StatsInterval
	if iv <= 0 {
		iv = time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	logT := time.NewTicker(5 * time.Minute)
	defer logT.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ing.writeStats()
		case <-logT.C:
			st := ing.Stats()
			ing.log.Info("ingest stats", "tx_inserted", st.TxInserted, "tx_dupes", st.TxDupes,
				"obs_inserted", st.ObsInserted, "node_upserts", st.NodeUpserts,
				"observer_upserts", st.ObserverUpserts, "write_errors", st.WriteErrors,
				"sig_drops", st.SigDrops, "dropped", st.Dropped(), "queue_depth", st.QueueDepth)
		}
	}
}

func (ing *Ingestor) watchLoop(ctx context.Context) {
	iv := ing.opts.WatchInterval
	if iv <= 0 {
		iv = 60 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			ing.mu.Lock()
			srcs := ing.sources
			ing.mu.Unlock()
			for _, s := range srcs {
				s.watch(now)
			}
		}
	}
}
