package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Retention says how long rows are kept; a value <= 0 keeps them forever.
// Field names match config.Retention (plus neighborEdgesMaxAgeDays and
// db.incrementalVacuumPages).
type Retention struct {
	PacketDays          int // transmissions and their observations, by first_seen
	NodeDays            int // nodes not heard → inactive_nodes
	ObserverDays        int // observers silent → inactive = 1 (and their metrics deleted)
	MetricsDays         int // observer_metrics and dropped_packets
	NeighborEdgeDays    int // neighbor_edges by last_seen
	VacuumPages         int // PRAGMA incremental_vacuum(N) after deletions; 0 = 1024
	BatchSize           int // rows per short transaction; 0 = 1000
	PauseBetweenBatches time.Duration
}

// Retention statements; each is index-covered (TestQueriesUseIndexes).
var (
	sqlPruneTxIDs            = "SELECT id FROM transmissions WHERE first_seen < ? ORDER BY first_seen LIMIT ?"
	sqlPruneObs              = "DELETE FROM observations WHERE transmission_id IN (SELECT value FROM json_each(?))"
	sqlPruneTx               = "DELETE FROM transmissions WHERE id IN (SELECT value FROM json_each(?))"
	sqlStaleNodes            = "SELECT public_key FROM nodes WHERE last_seen < ? LIMIT ?"
	sqlMoveNodes             = "INSERT OR REPLACE INTO inactive_nodes (" + nodeColumnList + ") SELECT " + nodeColumnList + " FROM nodes WHERE public_key IN (SELECT value FROM json_each(?))"
	sqlDeleteNodes           = "DELETE FROM nodes WHERE public_key IN (SELECT value FROM json_each(?))"
	sqlDeleteInactiveNodes   = "DELETE FROM inactive_nodes WHERE public_key IN (SELECT value FROM json_each(?))"
	sqlInactivateObservers   = "UPDATE observers SET inactive = 1 WHERE last_seen < ? AND COALESCE(inactive, 0) = 0"
	sqlDeleteInactiveMetrics = "DELETE FROM observer_metrics WHERE observer_id IN (SELECT id FROM observers WHERE inactive = 1)"
	sqlPruneMetrics          = "DELETE FROM observer_metrics WHERE rowid IN (SELECT rowid FROM observer_metrics WHERE timestamp < ? LIMIT ?)"
	sqlPruneDropped          = "DELETE FROM dropped_packets WHERE id IN (SELECT id FROM dropped_packets WHERE dropped_at < ? LIMIT ?)"
	sqlPruneEdges            = "DELETE FROM neighbor_edges WHERE rowid IN (SELECT rowid FROM neighbor_edges WHERE last_seen < ? LIMIT ?)"
)

// PruneResult counts what Prune changed.
type PruneResult struct {
	Transmissions, Observations, NodesMoved, ObserversInactivated int64
	Metrics, Dropped, NeighborEdges                               int64
}

// Total is the number of rows deleted or moved.
func (r PruneResult) Total() int64 {
	return r.Transmissions + r.Observations + r.NodesMoved + r.ObserversInactivated + r.Metrics + r.Dropped + r.NeighborEdges
}

// Prune applies retention relative to now. Deletions run in batches of
// BatchSize rows, each its own short transaction, so ingest batches
// interleave and the writer is never held for long ([improve]: the original
// deleted everything in one transaction). Afterwards it frees pages with
// incremental_vacuum. Cancelling ctx stops between batches; what was done
// stays done and is counted.
func (w *Writer) Prune(ctx context.Context, r Retention, now time.Time) (PruneResult, error) {
	var res PruneResult
	if r.BatchSize <= 0 {
		r.BatchSize = 1000
	}
	if r.VacuumPages <= 0 {
		r.VacuumPages = 1024
	}
	cutoff := func(days int) string { return FormatTime(now.Add(-time.Duration(days) * 24 * time.Hour)) }

	if r.PacketDays > 0 {
		c := cutoff(r.PacketDays)
		err := w.batches(ctx, r, func(tx *sql.Tx) (int64, error) {
			ids, err := collect[int64](ctx, tx, sqlPruneTxIDs, c, r.BatchSize)
			if err != nil || len(ids) == 0 {
				return 0, err
			}
			list, _ := json.Marshal(ids)
			n, err := execCount(ctx, tx, sqlPruneObs, string(list))
			if err != nil {
				return 0, err
			}
			res.Observations += n
			n, err = execCount(ctx, tx, sqlPruneTx, string(list))
			res.Transmissions += n
			if n > 0 {
				// Inside the writer lock, before the next ingest batch: a
				// cached id of a deleted row would turn a re-heard packet
				// into a "duplicate" and attach its observation to nothing.
				w.txIDs.reset()
			}
			return n, err
		})
		if err != nil {
			return res, fmt.Errorf("prune transmissions: %w", err)
		}
	}

	if r.NodeDays > 0 {
		c := cutoff(r.NodeDays)
		err := w.batches(ctx, r, func(tx *sql.Tx) (int64, error) {
			keys, err := collect[string](ctx, tx, sqlStaleNodes, c, r.BatchSize)
			if err != nil || len(keys) == 0 {
				return 0, err
			}
			list, _ := json.Marshal(keys)
			if _, err := tx.ExecContext(ctx, sqlMoveNodes, string(list)); err != nil {
				return 0, err
			}
			n, err := execCount(ctx, tx, sqlDeleteNodes, string(list))
			res.NodesMoved += n
			return n, err
		})
		if err != nil {
			return res, fmt.Errorf("prune nodes: %w", err)
		}
	}

	if r.ObserverDays > 0 {
		c := cutoff(r.ObserverDays)
		err := w.inTx(ctx, func(tx *sql.Tx) error {
			n, err := execCount(ctx, tx, sqlInactivateObservers, c)
			if err != nil {
				return err
			}
			res.ObserversInactivated = n
			if n > 0 {
				m, err := execCount(ctx, tx, sqlDeleteInactiveMetrics)
				res.Metrics += m
				return err
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("prune observers: %w", err)
		}
	}

	if r.MetricsDays > 0 {
		c := cutoff(r.MetricsDays)
		err := w.batches(ctx, r, func(tx *sql.Tx) (int64, error) {
			n, err := execCount(ctx, tx, sqlPruneMetrics, c, r.BatchSize)
			res.Metrics += n
			return n, err
		})
		if err != nil {
			return res, fmt.Errorf("prune observer metrics: %w", err)
		}
		err = w.batches(ctx, r, func(tx *sql.Tx) (int64, error) {
			n, err := execCount(ctx, tx, sqlPruneDropped, c, r.BatchSize)
			res.Dropped += n
			return n, err
		})
		if err != nil {
			return res, fmt.Errorf("prune dropped packets: %w", err)
		}
	}

	if r.NeighborEdgeDays > 0 {
		c := cutoff(r.NeighborEdgeDays)
		err := w.batches(ctx, r, func(tx *sql.Tx) (int64, error) {
			n, err := execCount(ctx, tx, sqlPruneEdges, c, r.BatchSize)
			res.NeighborEdges += n
			return n, err
		})
		if err != nil {
			return res, fmt.Errorf("prune neighbor edges: %w", err)
		}
	}

	if res.Total() > 0 {
		// The caller logs the result (with its duration); logging here too
		// printed every retention pass twice.
		if err := w.IncrementalVacuum(ctx, r.VacuumPages); err != nil {
			return res, err
		}
	}
	return res, nil
}

// batches runs fn in short transactions until it reports 0 rows.
func (w *Writer) batches(ctx context.Context, r Retention, fn func(*sql.Tx) (int64, error)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int64
		err := w.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = fn(tx)
			return err
		})
		if err != nil || n == 0 {
			return err
		}
		if r.PauseBetweenBatches > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(r.PauseBetweenBatches):
			}
		}
	}
}

// inTx runs fn in one transaction holding the writer lock.
func (w *Writer) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	w.dirty = true
	return nil
}

func execCount(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	r, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func collect[T any](ctx context.Context, tx *sql.Tx, q string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// IncrementalVacuum returns up to pages free pages to the file system (only
// effective when auto_vacuum is INCREMENTAL; see Vacuum).
func (w *Writer) IncrementalVacuum(ctx context.Context, pages int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.db.ExecContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", pages)); err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	return nil
}

// Vacuum switches a database whose auto_vacuum is not INCREMENTAL (files made
// by the original) to INCREMENTAL with a full VACUUM (config
// db.vacuumOnStartup). It blocks writes for as long as it takes (minutes on
// big files) and needs free disk of about the file's size. It reports whether
// it ran. Safe for observers: idx is an explicit primary key, which VACUUM
// preserves.
func (w *Writer) Vacuum(ctx context.Context) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var mode int
	if err := w.db.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return false, fmt.Errorf("vacuum: %w", err)
	}
	if mode == 2 {
		return false, nil
	}
	start := time.Now()
	w.log.Warn("full VACUUM to enable incremental auto-vacuum; writes wait until it finishes")
	if _, err := w.db.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return false, fmt.Errorf("vacuum: set auto_vacuum: %w", err)
	}
	if _, err := w.db.ExecContext(ctx, "VACUUM"); err != nil {
		return false, fmt.Errorf("vacuum: %w", err)
	}
	w.log.Info("vacuum done", "took", time.Since(start).Round(time.Millisecond))
	return true, nil
}

// CheckpointResult is the outcome of PRAGMA wal_checkpoint.
type CheckpointResult struct {
	Busy         bool // a reader or writer prevented completing the checkpoint
	LogPages     int  // frames in the WAL
	Checkpointed int  // frames copied back into the database
}

// Checkpoint runs PRAGMA wal_checkpoint(mode); mode is PASSIVE, FULL,
// RESTART or TRUNCATE.
func (w *Writer) Checkpoint(ctx context.Context, mode string) (CheckpointResult, error) {
	mode = strings.ToUpper(mode)
	switch mode {
	case "PASSIVE", "FULL", "RESTART", "TRUNCATE":
	default:
		return CheckpointResult{}, fmt.Errorf("checkpoint: unknown mode %q", mode)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var busy int
	var r CheckpointResult
	if err := w.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &r.LogPages, &r.Checkpointed); err != nil {
		return r, fmt.Errorf("checkpoint %s: %w", mode, err)
	}
	r.Busy = busy != 0
	return r, nil
}

// RunCheckpointer owns the WAL policy until ctx ends: every interval, if
// anything was written since the last tick, a PASSIVE checkpoint (never
// blocks readers or the writer); on the first tick with no writes, a
// TRUNCATE checkpoint that shrinks the WAL file back to zero while the mesh is
// quiet. SQLite's own auto-checkpoint (every 1000 pages) still runs between
// ticks.
func (w *Writer) RunCheckpointer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	truncated := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		dirty := w.dirty
		w.dirty = false
		w.mu.Unlock()
		mode := "PASSIVE"
		if !dirty {
			if truncated {
				continue
			}
			mode = "TRUNCATE"
		}
		r, err := w.Checkpoint(ctx, mode)
		switch {
		case err != nil:
			w.log.Warn("wal checkpoint failed", "mode", mode, "err", err)
		case r.Busy:
			w.log.Info("wal checkpoint incomplete, readers busy", "mode", mode, "wal_pages", r.LogPages, "checkpointed", r.Checkpointed)
		default:
			w.log.Debug("wal checkpoint", "mode", mode, "wal_pages", r.LogPages, "checkpointed", r.Checkpointed)
		}
		truncated = mode == "TRUNCATE" && err == nil && !r.Busy
	}
}
