package api

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corescope/corescope/internal/db"
	pb "github.com/corescope/corescope/proto"
)

// contractCase is one row of contractRun's table.
type contractCase = struct {
	method, path, body string
	status             int
	msg                proto.Message
	wrap               wrap
}

// analyticsContractCases are the mesh analytics routes for contractRun; it
// waits for the first background pass so that every shape answers 200.
func analyticsContractCases(t *testing.T, base string) []contractCase {
	t.Helper()
	waitAnalytics(t, base)
	return []contractCase{
		{"GET", "/api/analytics/roles", "", 200, &pb.AnalyticsRoles{}, asIs},
	}
}

// waitAnalytics waits until the first background pass has published (roles
// answers 200 instead of 503).
func waitAnalytics(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, body := fetch(t, http.MethodGet, base+"/api/analytics/roles", "", nil)
		if code == http.StatusOK {
			return
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("analytics not ready: %d %s", code, trunc(body))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openSQL opens the test database read-only for the independent SQL
// computations the analytics tests compare against.
func openSQL(t testing.TB, path string) *sql.DB {
	t.Helper()
	d, err := db.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// sqlCounts runs a two-column (key, count) query.
func sqlCounts(t testing.TB, d *sql.DB, q string, args ...any) map[string]int64 {
	t.Helper()
	rows, err := d.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAnalyticsRolesCountsNodesPerRole(t *testing.T) {
	path := fixtureDB(t)
	st := runStore(t, path, nil)
	_, ts := newServer(t, testConfig(nil), st, nil)
	waitAnalytics(t, ts.URL)
	var got struct {
		TotalNodes int `json:"totalNodes"`
		Roles      []struct {
			Role      string `json:"role"`
			NodeCount int64  `json:"nodeCount"`
			WithSkew  int64  `json:"withSkew"`
		} `json:"roles"`
	}
	_, hdr, _ := fetch(t, http.MethodGet, ts.URL+"/api/analytics/roles", "", nil)
	if hdr.Get("X-Cache-Age-Seconds") == "" {
		t.Errorf("no X-Cache-Age-Seconds on a precomputed shape")
	}
	getJSON(t, ts.URL+"/api/analytics/roles", 200, &got)
	d := openSQL(t, path)
	want := sqlCounts(t, d, `SELECT COALESCE(NULLIF(lower(trim(role)), ''), 'unknown'), count(*) FROM nodes GROUP BY 1`)
	var total int64
	for _, n := range want {
		total += n
	}
	if int64(got.TotalNodes) != total {
		t.Errorf("totalNodes = %d, SQL says %d", got.TotalNodes, total)
	}
	skew := sqlCounts(t, d, `SELECT COALESCE(NULLIF(lower(trim(n.role)), ''), 'unknown'), count(DISTINCT n.public_key)
FROM nodes n JOIN transmissions t ON t.from_pubkey = n.public_key
WHERE t.payload_type = 4 AND json_extract(t.decoded_json, '$.timestamp') > 0 GROUP BY 1`)
	if len(got.Roles) != len(want) {
		t.Fatalf("%d roles, SQL says %d: %+v", len(got.Roles), len(want), got.Roles)
	}
	for i, r := range got.Roles {
		if r.NodeCount != want[r.Role] {
			t.Errorf("role %q: nodeCount %d, SQL says %d", r.Role, r.NodeCount, want[r.Role])
		}
		if r.WithSkew != skew[r.Role] {
			t.Errorf("role %q: withSkew %d, SQL says %d", r.Role, r.WithSkew, skew[r.Role])
		}
		if i > 0 && r.NodeCount > got.Roles[i-1].NodeCount {
			t.Errorf("roles not sorted by nodeCount desc: %+v", got.Roles)
		}
	}
	if total == 0 {
		t.Fatal("fixture has no nodes")
	}
}
