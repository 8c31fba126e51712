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

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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

	edgeWatermark int64 // last observation id folded into neighbor_edges
	edgeSeeded    bool
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
// file) and closes the database. Stop RunCheckpointer (cancel its ctx) and
// wait for in-flight WriteBatch/Prune calls before closing.
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
// validation, or whose own statement hits a constraint, are listed in
// Result.Rejected and skipped; the rest is written. Any other failure (disk
// full, I/O error, read-only file, cancelled ctx) returns an error and
// nothing of the batch is written: the caller must not acknowledge its
// messages, and may retry.
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
	// reject records a row-level failure, or returns the error that aborts
	// the batch when the failure is not about the row.
	reject := func(kind RowKind, i int, err error) error {
		if !rowLevel(err) {
			return fmt.Errorf("write batch: %s[%d]: %w", kind, i, err)
		}
		res.Rejected = append(res.Rejected, RowError{Kind: kind, Index: i, Err: err})
		return nil
	}

	for _, o := range mergeObservers(b.Observers, valid.observers) {
		idx, err := w.upsertObserver(ctx, s, &o, now, nowS)
		if err != nil {
			for _, i := range o.from {
				if err := reject(KindObserver, i, err); err != nil {
					return Result{}, err
				}
			}
			continue
		}
		pendingObs[o.ID] = idx
		res.ObserverUpserts += len(o.from)
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
				return Result{}, fmt.Errorf("write batch: look up duplicate %s: %w", t.Hash, err)
			}
			pendingTx[t.Hash] = id
			res.DuplicateTransmissions++
		default:
			if err := reject(KindTransmission, i, fmt.Errorf("insert transmission %s: %w", t.Hash, err)); err != nil {
				return Result{}, err
			}
		}
	}

	for _, i := range valid.observations {
		o := &b.Observations[i]
		txID, ok := pendingTx[o.TxHash]
		if !ok {
			if txID, ok = w.txIDs.get(o.TxHash); !ok {
				err := s.txByHash.QueryRowContext(ctx, o.TxHash).Scan(&txID)
				if errors.Is(err, sql.ErrNoRows) {
					err = fmt.Errorf("%w: no transmission with hash %q", ErrInvalidRow, o.TxHash)
				}
				if err != nil {
					if err := reject(KindObservation, i, err); err != nil {
						return Result{}, err
					}
					continue
				}
			}
			pendingTx[o.TxHash] = txID
		}
		obsIdx, err := w.observerIdx(ctx, s, o.ObserverID, pendingObs)
		if err != nil {
			return Result{}, fmt.Errorf("write batch: %w", err)
		}
		r, err := s.insertObs.ExecContext(ctx, txID, obsIdx, nullStr(o.Direction), o.SNR, o.RSSI, o.Score,
			nullStr(o.PathJSON), o.Timestamp, nullStr(o.RawHex), nullStr(o.ResolvedPath))
		if err != nil {
			if err := reject(KindObservation, i, fmt.Errorf("insert observation: %w", err)); err != nil {
				return Result{}, err
			}
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
			if err := reject(KindNode, i, err); err != nil {
				return Result{}, err
			}
			continue
		}
		res.NodeUpserts++
	}

	for _, i := range valid.metrics {
		m := &b.Metrics[i]
		bucket := FormatTime(m.At.UTC().Round(w.interval))
		if _, err := s.insertMetrics.ExecContext(ctx, m.ObserverID, bucket, m.NoiseFloor, m.TxAirSecs,
			m.RxAirSecs, m.RecvErrors, m.BatteryMv, m.PacketsSent, m.PacketsRecv); err != nil {
			if err := reject(KindMetrics, i, fmt.Errorf("insert metrics: %w", err)); err != nil {
				return Result{}, err
			}
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
			if err := reject(KindDropped, i, fmt.Errorf("insert dropped packet: %w", err)); err != nil {
				return Result{}, err
			}
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

// observerRow is one observer upsert after merging a batch's upserts of the
// same observer (one per packet message, typically) into one statement.
type observerRow struct {
	ObserverUpsert
	packets    int
	lastPacket time.Time
	firstSeen  time.Time // earliest Seen of the merged upserts (first_seen on insert)
	from       []int     // indexes in Batch.Observers
}

// mergeObservers folds upserts of the same observer into one row with the
// same end result as applying them in order: later non-empty values win,
// times take the maximum, packet counts add up. Upserts carrying a clock
// skew event stay separate (each event counts).
func mergeObservers(in []ObserverUpsert, valid []int) []observerRow {
	out := make([]observerRow, 0, 16)
	pos := map[string]int{}
	for _, i := range valid {
		o := in[i]
		r := observerRow{ObserverUpsert: o, firstSeen: o.Seen, from: []int{i}}
		if o.Packet {
			r.packets, r.lastPacket = 1, o.Seen
		}
		j, ok := pos[o.ID]
		if !ok || o.ClockSkewSeconds != nil || out[j].ClockSkewSeconds != nil {
			pos[o.ID] = len(out)
			out = append(out, r)
			continue
		}
		m := &out[j]
		m.from = append(m.from, i)
		m.packets += r.packets
		if r.lastPacket.After(m.lastPacket) {
			m.lastPacket = r.lastPacket
		}
		if o.Seen.After(m.Seen) {
			m.Seen = o.Seen
		}
		if !o.Seen.IsZero() && (m.firstSeen.IsZero() || o.Seen.Before(m.firstSeen)) {
			m.firstSeen = o.Seen
		}
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&m.Name, o.Name}, {&m.IATA, o.IATA}, {&m.Model, o.Model}, {&m.Firmware, o.Firmware},
			{&m.ClientVersion, o.ClientVersion}, {&m.Radio, o.Radio},
		} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
		if o.BatteryMv != nil {
			m.BatteryMv = o.BatteryMv
		}
		if o.UptimeSecs != nil {
			m.UptimeSecs = o.UptimeSecs
		}
		if o.NoiseFloor != nil {
			m.NoiseFloor = o.NoiseFloor
		}
	}
	return out
}

func (w *Writer) upsertObserver(ctx context.Context, s *boundStmts, o *observerRow, now time.Time, nowS string) (int64, error) {
	var seen, lastPacket, skewAt, dayAgo any
	first := nowS
	if !o.Seen.IsZero() {
		seen = FormatTime(o.Seen)
		first = FormatTime(o.firstSeen)
	}
	if o.packets > 0 && !o.lastPacket.IsZero() {
		lastPacket = FormatTime(o.lastPacket)
	}
	pc := o.packets
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

// rowLevel reports whether err is about one row (invalid, or a constraint
// the row violates) rather than about the database or the batch.
func rowLevel(err error) bool {
	if errors.Is(err, ErrInvalidRow) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
			return true
		}
	}
	return false
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
