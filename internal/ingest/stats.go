package ingest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corescope/corescope/internal/procio"
)

// dropReasons lists every Drop* reason in the order they appear in the stats
// file; each has a counter slot.
var dropReasons = []string{
	DropInvalidJSON, DropOversized, DropIgnoredTopic, DropUnknownTopic, DropBlacklisted,
	DropIATAFiltered, DropDecodeError, DropInvalidAdvert, DropBadSignature, DropForeignAdvert,
	DropEmptyText, DropInvalidField, DropWriteError,
	DropObserverDenied, DropRateLimited, DropGeoFiltered,
}

func dropIndex(reason string) int {
	for i, r := range dropReasons {
		if r == reason {
			return i
		}
	}
	return dropIndex(DropWriteError) // unknown reasons are errors
}

// counters are the process-wide ingest counters. They are atomics so the
// per-message path never takes a lock.
type counters struct {
	received        atomic.Uint64 // MQTT messages handed to us by any source
	acked           atomic.Uint64 // messages acknowledged (stored, or dropped for good)
	txInserted      atomic.Uint64
	txDupes         atomic.Uint64
	obsInserted     atomic.Uint64
	obsDupes        atomic.Uint64
	nodeUpserts     atomic.Uint64
	observerUpserts atomic.Uint64
	metricsWritten  atomic.Uint64
	writeErrors     atomic.Uint64
	sigDrops        atomic.Uint64
	walCommits      atomic.Uint64 // committed write transactions
	batchRetries    atomic.Uint64
	drops           [maxDropReasons]atomic.Uint64
}

func (c *counters) drop(reason string) { c.drops[dropIndex(reason)].Add(1) }

// SourceStats is the per-source part of the stats file (the server's MQTT
// status panel reads it). Times are RFC 3339 UTC, "" when never.
type SourceStats struct {
	Name           string   `json:"name"`
	Broker         string   `json:"broker"` // without credentials
	Topics         []string `json:"topics"`
	Connected      bool     `json:"connected"`
	LastConnect    string   `json:"lastConnectAt"`
	LastDisconnect string   `json:"lastDisconnectAt"`
	LastMessage    string   `json:"lastMessageAt"`
	Messages       uint64   `json:"messages"`        // messages received from this source
	Dropped        uint64   `json:"dropped"`         // of which dropped as bad/filtered input
	Errors         uint64   `json:"errors"`          // connection errors + write errors
	Attempts       uint64   `json:"connectAttempts"` // dial attempts (initial + reconnects)
	Reconnects     uint64   `json:"reconnects"`      // reconnects (incl. forced by the watchdog)
	Stalls         uint64   `json:"stalls"`          // watchdog stall detections
	LastError      string   `json:"lastError"`
}

// ProcIO are the ingestor's /proc/self/io deltas per second.
type ProcIO = procio.Rates

// Stats is the snapshot written to the stats file every second. The first
// block keeps the original CoreScope names (OPERATIONS.md §6) so the server's
// /api/perf/write-sources works unchanged; the rest is ours.
type Stats struct {
	SampledAt          string            `json:"sampledAt"`
	TxInserted         uint64            `json:"tx_inserted"`
	ObsInserted        uint64            `json:"obs_inserted"`
	TxDupes            uint64            `json:"tx_dupes"`
	NodeUpserts        uint64            `json:"node_upserts"`
	ObserverUpserts    uint64            `json:"observer_upserts"`
	WriteErrors        uint64            `json:"write_errors"`
	SigDrops           uint64            `json:"sig_drops"`
	WALCommits         uint64            `json:"walCommits"`
	GroupCommitFlushes uint64            `json:"groupCommitFlushes"`
	BackfillUpdates    map[string]uint64 `json:"backfillUpdates"`
	ProcIO             ProcIO            `json:"procIO"`

	StartedAt      string            `json:"startedAt"`
	Received       uint64            `json:"messages_received"`
	Acked          uint64            `json:"messages_acked"`
	ObsDupes       uint64            `json:"obs_dupes"`
	MetricsWritten uint64            `json:"metrics_written"`
	BatchRetries   uint64            `json:"batch_retries"`
	QueueDepth     int               `json:"queue_depth"`
	QueueCapacity  int               `json:"queue_capacity"`
	Drops          map[string]uint64 `json:"drops"`
	Sources        []SourceStats     `json:"sources"`
	// RateLimited lists observers with messages dropped by the rate limit.
	RateLimited []RateLimited `json:"rate_limited"`
}

// Dropped returns the total of all drop counters.
func (s *Stats) Dropped() uint64 {
	var n uint64
	for _, v := range s.Drops {
		n += v
	}
	return n
}

// writeFileAtomic writes b to path via a temp file in the same directory and
// a rename, so a reader never sees a partial file. Mode 0600: the stats file
// names brokers.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create temp stats file: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write temp stats file: %w", firstErr(werr, cerr))
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("chmod temp stats file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename stats file: %w", err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func encodeStats(s *Stats) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode stats: %w", err)
	}
	return append(b, '\n'), nil
}

// limiter rate-limits log lines per key: at most one line per interval, and
// the next line reports how many were suppressed in between. Bad input from a
// misbehaving bridge can arrive thousands of times a second; the log must not.
type limiter struct {
	interval time.Duration
	mu       sync.Mutex
	state    map[string]*limitState
}

type limitState struct {
	last       time.Time
	suppressed int
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, state: make(map[string]*limitState)}
}

// allow reports whether a line for key may be logged now, and how many lines
// were suppressed since the last one.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state[key]
	if st == nil {
		st = &limitState{}
		l.state[key] = st
	}
	if !st.last.IsZero() && now.Sub(st.last) < l.interval {
		st.suppressed++
		return false, 0
	}
	n := st.suppressed
	st.last, st.suppressed = now, 0
	return true, n
}
