package db

// admin.go holds the few reads the server makes from SQLite on an operator's
// request (API key routes and the perf page's SQLite figures; API.md §5.2,
// §5.3): they are on demand, bounded, and never on a page's polling path.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// DroppedRow is one dropped_packets row (a packet the ingestor rejected).
type DroppedRow struct {
	ID           int64
	Hash         sql.NullString
	RawHex       sql.NullString
	Reason       string
	ObserverID   sql.NullString
	ObserverName sql.NullString
	NodePubkey   sql.NullString
	NodeName     sql.NullString
	DroppedAt    sql.NullString
}

const droppedColumns = `id, hash, raw_hex, reason, observer_id, observer_name, node_pubkey, node_name, dropped_at`

// One statement per filter shape, so each reaches its rows through an index
// (the observer or node index, or the primary key) newest first.
const (
	sqlDroppedAll      = `SELECT ` + droppedColumns + ` FROM dropped_packets ORDER BY id DESC LIMIT ?`
	sqlDroppedObserver = `SELECT ` + droppedColumns + ` FROM dropped_packets WHERE observer_id = ? ORDER BY id DESC LIMIT ?`
	sqlDroppedNode     = `SELECT ` + droppedColumns + ` FROM dropped_packets WHERE node_pubkey = ? ORDER BY id DESC LIMIT ?`
	sqlDroppedBoth     = `SELECT ` + droppedColumns + ` FROM dropped_packets WHERE observer_id = ? AND node_pubkey = ? ORDER BY id DESC LIMIT ?`
)

// ReadDropped returns up to limit dropped packets, newest first, optionally
// only those of one observer and/or one node pubkey ("" = any).
func ReadDropped(ctx context.Context, q Querier, observer, pubkey string, limit int) ([]DroppedRow, error) {
	var rows *sql.Rows
	var err error
	switch {
	case observer != "" && pubkey != "":
		rows, err = q.QueryContext(ctx, sqlDroppedBoth, observer, pubkey, limit)
	case observer != "":
		rows, err = q.QueryContext(ctx, sqlDroppedObserver, observer, limit)
	case pubkey != "":
		rows, err = q.QueryContext(ctx, sqlDroppedNode, pubkey, limit)
	default:
		rows, err = q.QueryContext(ctx, sqlDroppedAll, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read dropped packets: %w", err)
	}
	defer rows.Close()
	out := []DroppedRow{}
	for rows.Next() {
		var d DroppedRow
		if err := rows.Scan(&d.ID, &d.Hash, &d.RawHex, &d.Reason, &d.ObserverID, &d.ObserverName,
			&d.NodePubkey, &d.NodeName, &d.DroppedAt); err != nil {
			return nil, fmt.Errorf("read dropped packets: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read dropped packets: %w", err)
	}
	return out, nil
}

// NodePosition is a node with an advertised position (geo-prune preview).
type NodePosition struct {
	PublicKey string
	Name      sql.NullString
	Lat, Lon  float64
}

const sqlNodesWithGPS = `SELECT public_key, name, lat, lon FROM nodes
WHERE lat IS NOT NULL AND lon IS NOT NULL ORDER BY name, public_key`

// ReadNodePositions returns every node that has a position, ordered by name.
// It reads the whole nodes table (one row per radio): admin use only.
func ReadNodePositions(ctx context.Context, q Querier) ([]NodePosition, error) {
	rows, err := q.QueryContext(ctx, sqlNodesWithGPS)
	if err != nil {
		return nil, fmt.Errorf("read node positions: %w", err)
	}
	defer rows.Close()
	var out []NodePosition
	for rows.Next() {
		var n NodePosition
		if err := rows.Scan(&n.PublicKey, &n.Name, &n.Lat, &n.Lon); err != nil {
			return nil, fmt.Errorf("read node positions: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read node positions: %w", err)
	}
	return out, nil
}

// FileStats are the database file figures of GET /api/perf/sqlite.
type FileStats struct {
	PageCount     int64
	PageSize      int64
	FreelistCount int64
	CacheSize     int64 // PRAGMA cache_size of the reading connection (negative = KiB)
	WALBytes      int64 // size of the -wal file (0 when there is none)
}

// ReadFileStats reads the page figures through q and the WAL file size
// from the file system (path is the database file).
func ReadFileStats(ctx context.Context, q Querier, path string) (FileStats, error) {
	var fsx FileStats
	for _, p := range []struct {
		pragma string
		dst    *int64
	}{
		{"PRAGMA page_count", &fsx.PageCount},
		{"PRAGMA page_size", &fsx.PageSize},
		{"PRAGMA freelist_count", &fsx.FreelistCount},
		{"PRAGMA cache_size", &fsx.CacheSize},
	} {
		if err := q.QueryRowContext(ctx, p.pragma).Scan(p.dst); err != nil {
			return fsx, fmt.Errorf("%s: %w", p.pragma, err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	switch {
	case err == nil:
		fsx.WALBytes = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return fsx, fmt.Errorf("stat WAL of %s: %w", path, err)
	}
	return fsx, nil
}
