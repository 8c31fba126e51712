package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configure a Writer. Zero values get defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the ingest clock (created_at, clamping of future times). Default time.Now.
	Now func() time.Time
	// MetricsInterval is the observer_metrics bucket (metrics.sampleIntervalSec). Default 300 s.
	MetricsInterval time.Duration
	// HashCacheSize bounds the in-memory hash → transmission id cache. Default 65536.
	HashCacheSize int
}

// Writer is the single database writer (the ingestor's). All its methods are
// safe for concurrent use; they serialise on one connection.
type Writer struct {
	db       *sql.DB
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration

	mu        sync.Mutex // serialises batches, pruning and checkpoints; guards the fields below
	stmts     writerStmts
	txIDs     *idCache         // hash → transmissions.id (committed rows only)
	observers map[string]int64 // observers.id → idx (committed rows only)
	dirty     bool             // written since the last checkpoint
}

// ErrInvalidRow is wrapped by every RowError from validation.
var ErrInvalidRow = errors.New("invalid row")

// OpenWriter opens (creating if needed) the database at path as the single
// writer, applies every pending migration, and prepares the write statements.
// It returns an error wrapping ErrSchemaNewer if a newer binary migrated the
// file.
func OpenWriter(ctx context.Context, path string, opts Options) (*Writer, error) {
	db, err := Open(ctx, path)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(ctx, db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// NewWriter migrates db (opened with Open) and returns a Writer over it. The
// Writer owns db from then on: Close closes it.
func NewWriter(ctx context.Context, db *sql.DB, opts Options) (*Writer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MetricsInterval <= 0 {
		opts.MetricsInterval = 300 * time.Second
	}
	if opts.HashCacheSize <= 0 {
		opts.HashCacheSize = 1 << 16
	}
	if err := Migrate(ctx, db, opts.Logger); err != nil {
		return nil, err
	}
	w := &Writer{
		db: db, log: opts.Logger, now: opts.Now, interval: opts.MetricsInterval,
		txIDs:     newIDCache(opts.HashCacheSize),
		observers: map[string]int64{},
		dirty:     true,
	}
	if err := w.stmts.prepare(ctx, db); err != nil {
		w.stmts.close()
		return nil, err
	}
	return w, nil
}

// DB returns the underlying connection pool (one connection). Use it for
// reads in tests and tools; all writes should go through Writer methods.
func (w *Writer) DB() *sql.DB { return w.db }

// Close checkpoints the WAL (TRUNCATE, so a clean shutdown leaves a small
// file) and closes the database.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if _, err := w.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("close: checkpoint: %w", err))
	}
	w.stmts.close()
	if err := w.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close: %w", err))
	}
	return errors.Join(errs...)
}

// WriteBatch writes b in one transaction (group commit). Rows that fail
// validation, or whose own statement fails, are listed in Result.Rejected and
// skipped; the rest is written. An error is returned only when the
// transaction itself fails (nothing of the batch was written then, and the
// caller should retry or give up on the whole batch).
//
// Transmissions are de-duplicated by hash (an existing hash is a duplicate,
// its row unchanged); observations by (transmission, observer, path).
func (w *Writer) WriteBatch(ctx context.Context, b Batch) (Result, error) {
	var res Result
	valid := validate(&b, &res)

	w.mu.Lock()
	defer w.mu.Unlock()

	now := w.now().UTC()
	nowS := FormatTime(now)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("write batch: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	s := w.stmts.bind(ctx, tx)
	defer s.close()
	// Ids learnt inside this transaction are only valid if it commits.
	pendingObs := map[string]int64{}
	pendingTx := map[string]int64{}
	newTx := map[string]bool{}
	reject := func(kind RowKind, i int, err error) {
		res.Rejected = append(res.Rejected, RowError{Kind: kind, Index: i, Err: err})
	}

	for _, i := range valid.observers {
		o := &b.Observers[i]
		idx, err := w.upsertObserver(ctx, s, o, now, nowS)
		if err != nil {
			reject(KindObserver, i, err)
			continue
		}
		pendingObs[o.ID] = idx
		res.ObserverUpserts++
	}

	for _, i := range valid.transmissions {
		t := &b.Transmissions[i]
		if _, ok := pendingTx[t.Hash]; ok {
			res.DuplicateTransmissions++
			continue
		}
		if id, ok := w.txIDs.get(t.Hash); ok {
			pendingTx[t.Hash] = id
			res.DuplicateTransmissions++
			continue
		}
		var id int64
		err := s.insertTx.QueryRowContext(ctx, t.RawHex, t.Hash, FormatTime(t.FirstSeen), t.RouteType,
			t.PayloadType, t.PayloadVersion, nullStr(t.DecodedJSON), nowS, nullStr(t.ChannelHash),
			nullStr(strings.ToLower(t.FromPubkey)), t.ScopeName).Scan(&id)
		switch {
		case err == nil:
			pendingTx[t.Hash] = id
			newTx[t.Hash] = true
			res.NewTransmissions++
		case errors.Is(err, sql.ErrNoRows): // hash already stored
			if err := s.txByHash.QueryRowContext(ctx, t.Hash).Scan(&id); err != nil {
				reject(KindTransmission, i, fmt.Errorf("look up duplicate %s: %w", t.Hash, err))
				continue
			}
			pendingTx[t.Hash] = id
			res.DuplicateTransmissions++
		default:
			reject(KindTransmission, i, fmt.Errorf("insert transmission %s: %w", t.Hash, err))
		}
	}

	for _, i := range valid.observations {
		o := &b.Observations[i]
		txID, ok := pendingTx[o.TxHash]
		if !ok {
			if txID, ok = w.txIDs.get(o.TxHash); !ok {
				err := s.txByHash.QueryRowContext(ctx, o.TxHash).Scan(&txID)
				if err != nil {
					reject(KindObservation, i, fmt.Errorf("%w: no transmission with hash %q", ErrInvalidRow, o.TxHash))
					continue
				}
			}
			pendingTx[o.TxHash] = txID
		}
		obsIdx, err := w.observerIdx(ctx, s, o.ObserverID, pendingObs)
		if err != nil {
			reject(KindObservation, i, err)
			continue
		}
		r, err := s.insertObs.ExecContext(ctx, txID, obsIdx, nullStr(o.Direction), o.SNR, o.RSSI, o.Score,
			nullStr(o.PathJSON), o.Timestamp, nullStr(o.RawHex), nullStr(o.ResolvedPath))
		if err != nil {
			reject(KindObservation, i, fmt.Errorf("insert observation: %w", err))
			continue
		}
		if n, _ := r.RowsAffected(); n > 0 {
			res.NewObservations++
		} else {
			res.DuplicateObservations++
		}
	}

	counted := map[string]bool{}
	for _, i := range valid.nodes {
		n := &b.Nodes[i]
		inc := 0
		key := n.AdvertHash + "|" + strings.ToLower(n.PublicKey)
		if newTx[n.AdvertHash] && !counted[key] {
			inc = 1
			counted[key] = true
		}
		if err := upsertNode(ctx, s, n, inc, nowS); err != nil {
			reject(KindNode, i, err)
			continue
		}
		res.NodeUpserts++
	}

	for _, i := range valid.metrics {
		m := &b.Metrics[i]
		bucket := FormatTime(m.At.UTC().Round(w.interval))
		if _, err := s.insertMetrics.ExecContext(ctx, m.ObserverID, bucket, m.NoiseFloor, m.TxAirSecs,
			m.RxAirSecs, m.RecvErrors, m.BatteryMv, m.PacketsSent, m.PacketsRecv); err != nil {
			reject(KindMetrics, i, fmt.Errorf("insert metrics: %w", err))
			continue
		}
		res.Metrics++
	}

	for _, i := range valid.dropped {
		d := &b.Dropped[i]
		at := d.At
		if at.IsZero() {
			at = now
		}
		if _, err := s.insertDropped.ExecContext(ctx, nullStr(d.Hash), nullStr(d.RawHex), d.Reason,
			nullStr(d.ObserverID), nullStr(d.ObserverName), nullStr(strings.ToLower(d.NodePubkey)),
			nullStr(d.NodeName), FormatTime(at)); err != nil {
			reject(KindDropped, i, fmt.Errorf("insert dropped packet: %w", err))
			continue
		}
		res.Dropped++
	}

	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("write batch: commit: %w", err)
	}
	for h, id := range pendingTx {
		w.txIDs.put(h, id)
	}
	for id, idx := range pendingObs {
		w.observers[id] = idx
	}
	w.dirty = true
	return res, nil
}

func (w *Writer) upsertObserver(ctx context.Context, s *boundStmts, o *ObserverUpsert, now time.Time, nowS string) (int64, error) {
	var seen, lastPacket, skewAt, dayAgo any
	first := nowS
	if !o.Seen.IsZero() {
		seen = FormatTime(o.Seen)
		first = seen.(string)
		if o.Packet {
			lastPacket = seen
		}
	}
	pc := 0
	if o.Packet {
		pc = 1
	}
	skewCount := 0
	if o.ClockSkewSeconds != nil {
		at := o.Seen
		if at.IsZero() {
			at = now
		}
		skewAt = FormatTime(at)
		dayAgo = FormatTime(at.Add(-24 * time.Hour))
		skewCount = 1
	}
	var idx int64
	err := s.upsertObserver.QueryRowContext(ctx,
		o.ID, nullStr(o.Name), nullStr(strings.ToUpper(strings.TrimSpace(o.IATA))), seen, first, pc,
		nullStr(o.Model), nullStr(o.Firmware), nullStr(o.ClientVersion), nullStr(o.Radio),
		o.BatteryMv, o.UptimeSecs, o.NoiseFloor, lastPacket, o.ClockSkewSeconds, skewCount, skewAt,
		nowS, dayAgo).Scan(&idx)
	if err != nil {
		return 0, fmt.Errorf("upsert observer %q: %w", o.ID, err)
	}
	return idx, nil
}

// observerIdx resolves an observer id to observers.idx; nil (NULL) when the
// id is empty or no such observer exists.
func (w *Writer) observerIdx(ctx context.Context, s *boundStmts, id string, pending map[string]int64) (any, error) {
	if id == "" {
		return nil, nil
	}
	if idx, ok := pending[id]; ok {
		return idx, nil
	}
	if idx, ok := w.observers[id]; ok {
		return idx, nil
	}
	var idx int64
	err := s.observerByID.QueryRowContext(ctx, id).Scan(&idx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("look up observer %q: %w", id, err)
	}
	pending[id] = idx
	return idx, nil
}

func upsertNode(ctx context.Context, s *boundStmts, n *NodeUpsert, inc int, nowS string) error {
	pk := strings.ToLower(n.PublicKey)
	// [improve] a node that retention moved to inactive_nodes comes back with
	// its history instead of starting a second, fresh row.
	if _, err := s.reviveNode.ExecContext(ctx, pk); err != nil {
		return fmt.Errorf("revive node %s: %w", n.PublicKey, err)
	}
	if _, err := s.deleteInactive.ExecContext(ctx, pk); err != nil {
		return fmt.Errorf("revive node %s: %w", n.PublicKey, err)
	}
	lat, lon := n.Lat, n.Lon
	if lat == nil || lon == nil {
		lat, lon = nil, nil
	}
	foreign := 0
	if n.Foreign {
		foreign = 1
	}
	if _, err := s.upsertNode.ExecContext(ctx, pk, nullStr(n.Name), nullStr(n.Role), lat, lon,
		FormatTime(n.Seen), inc, n.BatteryMv, n.TemperatureC, foreign, n.DefaultScope, nowS); err != nil {
		return fmt.Errorf("upsert node %s: %w", n.PublicKey, err)
	}
	return nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
