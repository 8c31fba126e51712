package db

import (
	"fmt"
	"strings"
	"testing"
)

// explain returns the EXPLAIN QUERY PLAN detail lines of q with NULL
// arguments (the plan does not depend on the values).
func explain(t *testing.T, w *Writer, q string) []string {
	t.Helper()
	args := make([]any, paramCount(q))
	rows, err := w.DB().Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %q: %v", firstLine(q), err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

// TestQueriesUseIndexes checks that every statement the writer runs per
// message, and every retention statement, reaches its rows through an index:
// no full SCAN of a table that grows with traffic.
func TestQueriesUseIndexes(t *testing.T) {
	w := mustOpen(t, nil)
	big := []string{"transmissions", "observations", "nodes", "inactive_nodes", "observer_metrics", "dropped_packets", "neighbor_edges"}
	cases := []struct {
		name, q string
		// smallScans are tables allowed to be scanned (observers: one row per
		// radio, tens to hundreds).
		smallScans []string
	}{
		{"insert transmission", sqlInsertTx, nil},
		{"transmission by hash", sqlTxByHash, nil},
		{"observer by id", sqlObserverByID, nil},
		{"insert observation", sqlInsertObs, nil},
		{"upsert observer", sqlUpsertObserver, nil},
		{"revive node", sqlReviveNode, nil},
		{"delete inactive node", sqlDeleteInactive, nil},
		{"upsert node", sqlUpsertNode, nil},
		{"insert metrics", sqlInsertMetrics, nil},
		{"insert dropped", sqlInsertDropped, nil},
		{"prune: old transmission ids", sqlPruneTxIDs, nil},
		{"prune: observations", sqlPruneObs, nil},
		{"prune: transmissions", sqlPruneTx, nil},
		{"prune: stale nodes", sqlStaleNodes, nil},
		{"prune: move nodes", sqlMoveNodes, nil},
		{"prune: delete nodes", sqlDeleteNodes, nil},
		{"geo-prune: delete inactive nodes", sqlDeleteInactiveNodes, nil},
		{"prune: inactivate observers", sqlInactivateObservers, nil},
		{"prune: metrics of inactive observers", sqlDeleteInactiveMetrics, []string{"observers"}},
		{"prune: metrics", sqlPruneMetrics, nil},
		{"prune: dropped", sqlPruneDropped, nil},
		{"prune: neighbor edges", sqlPruneEdges, nil},
		{"multibyte: nodes", fmt.Sprintf(sqlSetMultibyte, "nodes"), nil},
		{"multibyte: inactive nodes", fmt.Sprintf(sqlSetMultibyte, "inactive_nodes"), nil},
		{"edges: watermark", sqlEdgeWatermark, nil},
		{"edges: scan", sqlEdgeScan, nil},
		{"edges: upsert", sqlEdgeUpsert, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := explain(t, w, c.q)
			t.Logf("%q", plan)
			for _, line := range plan {
				if !strings.HasPrefix(line, "SCAN ") {
					continue
				}
				tbl := strings.Fields(line)[1]
				if tbl == "json_each" || contains(c.smallScans, tbl) {
					continue
				}
				// "SCAN t USING INDEX" still reads the whole index: also a scan.
				t.Errorf("full scan %q in plan %q", line, plan)
			}
			for _, line := range plan {
				for _, b := range big {
					if line == "SCAN "+b {
						t.Errorf("table scan of %s", b)
					}
				}
			}
		})
	}
}

// paramCount is the number of arguments q takes: the highest ?N when
// parameters are numbered, else the number of ?.
func paramCount(q string) int {
	plain, highest := 0, 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			continue
		}
		j, n := i+1, 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			n = n*10 + int(q[j]-'0')
			j++
		}
		if j == i+1 {
			plain++
		} else if n > highest {
			highest = n
		}
	}
	return max(plain, highest)
}
