package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NeighborBuildResult reports one BuildNeighborEdges run.
type NeighborBuildResult struct {
	Observations int   // observations read
	Edges        int   // distinct edges upserted
	LastObsID    int64 // watermark after the run
}

// Statements of the neighbour-edge builder (index-covered, see
// TestQueriesUseIndexes).
const (
	sqlEdgeWatermark = `SELECT id FROM observations WHERE timestamp > ? ORDER BY timestamp LIMIT 1`
	sqlEdgeMaxObsID  = `SELECT COALESCE(max(id), 0) FROM observations`
	sqlEdgeScan      = `SELECT o.id, o.timestamp, t.payload_type, COALESCE(t.from_pubkey, ''), COALESCE(o.path_json, ''), COALESCE(b.id, '')
FROM observations o
JOIN transmissions t ON t.id = o.transmission_id
LEFT JOIN observers b ON b.idx = o.observer_idx
WHERE o.id > ? ORDER BY o.id LIMIT ?`
	sqlEdgeUpsert = `INSERT INTO neighbor_edges (node_a, node_b, count, last_seen) VALUES (?, ?, ?, ?)
ON CONFLICT(node_a, node_b) DO UPDATE SET
    count = COALESCE(count, 0) + excluded.count,
    last_seen = max(COALESCE(last_seen, ''), excluded.last_seen)`
)

// prefixLens are the hop-prefix sizes (bytes) a path may carry.
var prefixLens = []int{1, 2, 3, 4, 6, 8}

// BuildNeighborEdges folds observations written since the last run into
// neighbor_edges (STORAGE.md §3.9): for an ADVERT, originator ↔ first hop (or
// ↔ the observer when the path is empty); for every packet, observer ↔ last
// hop. A hop prefix counts only if exactly one known node has it. Pairs are
// lowercase and ordered (node_a < node_b); count adds up, last_seen is the
// latest observation time.
//
// The watermark is the last observation id processed, kept in memory and, on
// the first run after start, derived from MAX(neighbor_edges.last_seen) as
// the original did. Work is done in chunks of chunk observations (default
// 5000), each read and written under its own short hold of the writer, until
// caught up or maxObs observations (default 200000) were read.
func (w *Writer) BuildNeighborEdges(ctx context.Context, chunk, maxObs int) (NeighborBuildResult, error) {
	if chunk <= 0 {
		chunk = 5000
	}
	if maxObs <= 0 {
		maxObs = 200000
	}
	var res NeighborBuildResult
	if err := w.seedEdgeWatermark(ctx); err != nil {
		return res, err
	}
	prefixes, err := w.nodePrefixes(ctx)
	if err != nil {
		return res, err
	}
	for res.Observations < maxObs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		edges, n, last, err := w.scanEdges(ctx, prefixes, chunk)
		if err != nil {
			return res, err
		}
		if n == 0 {
			break
		}
		if err := w.inTx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, sqlEdgeUpsert)
			if err != nil {
				return err
			}
			defer st.Close()
			for k, e := range edges {
				if _, err := st.ExecContext(ctx, k.a, k.b, e.count, FormatTime(time.Unix(e.last, 0))); err != nil {
					return fmt.Errorf("upsert edge: %w", err)
				}
			}
			return nil
		}); err != nil {
			return res, fmt.Errorf("build neighbor edges: %w", err)
		}
		w.mu.Lock()
		w.edgeWatermark = last
		w.mu.Unlock()
		res.Observations += n
		res.Edges += len(edges)
		res.LastObsID = last
		if n < chunk {
			break
		}
	}
	if res.LastObsID == 0 {
		w.mu.Lock()
		res.LastObsID = w.edgeWatermark
		w.mu.Unlock()
	}
	return res, nil
}

func (w *Writer) seedEdgeWatermark(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.edgeSeeded {
		return nil
	}
	var last sql.NullString
	if err := w.db.QueryRowContext(ctx, "SELECT max(last_seen) FROM neighbor_edges").Scan(&last); err != nil {
		return fmt.Errorf("neighbor edges watermark: %w", err)
	}
	var wm int64
	if t, err := time.Parse(time.RFC3339, last.String); last.Valid && err == nil {
		var first int64
		err := w.db.QueryRowContext(ctx, sqlEdgeWatermark, t.Unix()).Scan(&first)
		switch {
		case errors.Is(err, sql.ErrNoRows): // nothing newer: start after the newest observation
			if err := w.db.QueryRowContext(ctx, sqlEdgeMaxObsID).Scan(&wm); err != nil {
				return fmt.Errorf("neighbor edges watermark: %w", err)
			}
		case err != nil:
			return fmt.Errorf("neighbor edges watermark: %w", err)
		default:
			wm = first - 1
		}
	}
	w.edgeWatermark, w.edgeSeeded = wm, true
	return nil
}

type edgeKey struct{ a, b string }

type edgeAgg struct {
	count int
	last  int64
}

// nodePrefixes maps every hop-prefix length's lowercase hex prefix to the one
// node that has it ("" when ambiguous).
func (w *Writer) nodePrefixes(ctx context.Context) (map[string]string, error) {
	w.mu.Lock()
	keys, err := func() ([]string, error) {
		defer w.mu.Unlock()
		rows, err := w.db.QueryContext(ctx, "SELECT public_key FROM nodes")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return nil, err
			}
			out = append(out, strings.ToLower(k))
		}
		return out, rows.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("load node prefixes: %w", err)
	}
	m := make(map[string]string, len(keys)*len(prefixLens))
	for _, k := range keys {
		for _, l := range prefixLens {
			if len(k) < 2*l {
				continue
			}
			p := k[:2*l]
			if prev, ok := m[p]; ok && prev != k {
				m[p] = "" // ambiguous
			} else {
				m[p] = k
			}
		}
	}
	return m, nil
}

// scanEdges reads the next chunk of observations after the watermark and
// derives their edges. It holds the writer only while reading.
func (w *Writer) scanEdges(ctx context.Context, prefixes map[string]string, chunk int) (map[edgeKey]*edgeAgg, int, int64, error) {
	type row struct {
		id, ts      int64
		ptype       sql.NullInt64
		from, path  string
		observerHex string
	}
	w.mu.Lock()
	after := w.edgeWatermark
	rows, err := func() ([]row, error) {
		defer w.mu.Unlock()
		rs, err := w.db.QueryContext(ctx, sqlEdgeScan, after, chunk)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.ts, &r.ptype, &r.from, &r.path, &r.observerHex); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rs.Err()
	}()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("scan observations for neighbor edges: %w", err)
	}
	edges := map[edgeKey]*edgeAgg{}
	add := func(x, y string, ts int64) {
		x, y = strings.ToLower(x), strings.ToLower(y)
		if x == "" || y == "" || x == y {
			return
		}
		if y < x {
			x, y = y, x
		}
		k := edgeKey{x, y}
		e := edges[k]
		if e == nil {
			e = &edgeAgg{}
			edges[k] = e
		}
		e.count++
		if ts > e.last {
			e.last = ts
		}
	}
	resolve := func(hop string) string {
		return prefixes[strings.ToLower(hop)]
	}
	var last int64
	for _, r := range rows {
		last = r.id
		var hops []string
		if r.path != "" && json.Unmarshal([]byte(r.path), &hops) != nil {
			continue // malformed legacy path: no edges from it
		}
		observer := strings.ToLower(r.observerHex)
		if !isPubkey(observer) {
			observer = "" // e.g. "companion": not a node of the graph
		}
		if r.ptype.Valid && r.ptype.Int64 == 4 && r.from != "" {
			if len(hops) == 0 {
				add(r.from, observer, r.ts)
			} else {
				add(r.from, resolve(hops[0]), r.ts)
			}
		}
		if len(hops) > 0 {
			add(observer, resolve(hops[len(hops)-1]), r.ts)
		}
	}
	return edges, len(rows), last, nil
}

// isPubkey reports whether s is 64 lowercase hex characters.
func isPubkey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
