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
	// A real adjacent hop pair for subpath-detail.
	var bulk struct {
		Results []struct {
			Subpaths []struct {
				RawHops []string `json:"rawHops"`
			} `json:"subpaths"`
		} `json:"results"`
	}
	getJSON(t, base+"/api/analytics/subpaths-bulk?groups=2-2:1", 200, &bulk)
	hopA, hopB := "AA", "BB"
	if len(bulk.Results) == 1 && len(bulk.Results[0].Subpaths) == 1 {
		hopA, hopB = bulk.Results[0].Subpaths[0].RawHops[0], bulk.Results[0].Subpaths[0].RawHops[1]
	}
	return []contractCase{
		{"GET", "/api/analytics/roles", "", 200, &pb.AnalyticsRoles{}, asIs},
		{"GET", "/api/analytics/rf", "", 200, &pb.AnalyticsRF{}, asIs},
		{"GET", "/api/analytics/rf?region=SJC&window=7d", "", 200, &pb.AnalyticsRF{}, asIs},
		{"GET", "/api/analytics/rf?area=bay", "", 200, &pb.AnalyticsRF{}, asIs},
		{"GET", "/api/analytics/topology", "", 200, &pb.AnalyticsTopology{}, asIs},
		{"GET", "/api/analytics/topology?region=SJC&from=2020-01-01T00:00:00Z", "", 200, &pb.AnalyticsTopology{}, asIs},
		{"GET", "/api/analytics/channels", "", 200, &pb.AnalyticsChannels{}, asIs},
		{"GET", "/api/analytics/channels?window=24h", "", 200, &pb.AnalyticsChannels{}, asIs},
		{"GET", "/api/analytics/distance", "", 200, &pb.AnalyticsDistance{}, asIs},
		{"GET", "/api/analytics/distance?area=bay", "", 200, &pb.AnalyticsDistance{}, asIs},
		{"GET", "/api/analytics/hash-sizes", "", 200, &pb.AnalyticsHashSizes{}, asIs},
		{"GET", "/api/analytics/hash-sizes?region=SJC", "", 200, &pb.AnalyticsHashSizes{}, asIs},
		{"GET", "/api/analytics/hash-collisions", "", 200, &pb.AnalyticsHashCollisions{}, asIs},
		{"GET", "/api/analytics/hash-collisions?region=SJC", "", 200, &pb.AnalyticsHashCollisions{}, asIs},
		{"GET", "/api/analytics/subpaths", "", 200, &pb.AnalyticsSubpaths{}, asIs},
		{"GET", "/api/analytics/subpaths-bulk?groups=2-2:50,3-3:30,4-4:20,5-8:15", "", 200, &pb.AnalyticsSubpathsBulk{}, asIs},
		{"GET", "/api/analytics/subpaths-bulk?groups=2-3:5&region=SJC", "", 200, &pb.AnalyticsSubpathsBulk{}, asIs},
		{"GET", "/api/analytics/subpath-detail?hops=" + hopA + "," + hopB, "", 200, &pb.AnalyticsSubpathDetail{}, asIs},
		{"GET", "/api/analytics/neighbor-graph", "", 200, &pb.AnalyticsNeighborGraph{}, asIs},
		{"GET", "/api/analytics/neighbor-graph?min_count=1&min_score=0", "", 200, &pb.AnalyticsNeighborGraph{}, asIs},
		{"GET", "/api/analytics/neighbor-graph?min_count=2&role=repeater&region=SJC", "", 200, &pb.AnalyticsNeighborGraph{}, asIs},
		{"GET", "/api/scope-stats", "", 200, &pb.ScopeStats{}, asIs},
		{"GET", "/api/scope-stats?window=7d", "", 200, &pb.ScopeStats{}, asIs},
		{"GET", "/api/scope-stats?window=2d", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/analytics/rf?window=forever", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/analytics/subpaths-bulk", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/analytics/subpath-detail?hops=AB", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/analytics/neighbor-graph?min_count=0", "", 400, &pb.Error{}, asIs},
	}
}

// waitAnalytics waits until the first background pass has published every
// precomputed analysis (their default shapes answer 200 instead of 503).
func waitAnalytics(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, path := range []string{"/api/analytics/roles", "/api/analytics/rf", "/api/analytics/topology",
		"/api/analytics/channels", "/api/analytics/distance", "/api/analytics/hash-sizes",
		"/api/analytics/hash-collisions", "/api/analytics/subpaths-bulk?groups=" + defaultSubpathGroups,
		"/api/analytics/neighbor-graph", "/api/scope-stats"} {
		for {
			code, _, body := fetch(t, http.MethodGet, base+path, "", nil)
			if code == http.StatusOK {
				break
			}
			if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("%s not ready: %d %s", path, code, trunc(body))
			}
			time.Sleep(20 * time.Millisecond)
		}
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
