package db

import (
	"strings"
	"testing"
)

// TestDroppedQueriesUseIndexes: each filter shape of ReadDropped reaches its
// rows through an index or the primary key, newest first, with no sort.
func TestDroppedQueriesUseIndexes(t *testing.T) {
	w := mustOpen(t, nil)
	for _, c := range []struct{ name, q, want string }{
		{"all", sqlDroppedAll, "SCAN dropped_packets"}, // rowid order, stopped by LIMIT
		{"observer", sqlDroppedObserver, "USING INDEX idx_dropped_observer"},
		{"node", sqlDroppedNode, "USING INDEX idx_dropped_node"},
		{"both", sqlDroppedBoth, "USING INDEX idx_dropped_"},
	} {
		plan := strings.Join(explain(t, w, c.q), " | ")
		if !strings.Contains(plan, c.want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", c.name, plan, c.want)
		}
	}
}
