package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	pb "github.com/corescope/corescope/proto"
)

// waitNodeAnalytics waits for the first pass of the node/observer analyses
// (their precomputed routes answer 200 instead of 503).
func waitNodeAnalytics(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range []string{"/api/nodes/network-status", "/api/nodes/clock-skew", "/api/observers/clock-skew"} {
		for {
			code, _, body := fetch(t, http.MethodGet, base+p, "", nil)
			if code == http.StatusOK {
				break
			}
			if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("%s not ready: %d %s", p, code, trunc(body))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// nodeAnalyticsContractCases are this area's routes for contractRun.
func nodeAnalyticsContractCases(t *testing.T, base, pk, observer string) []contractCase {
	t.Helper()
	waitNodeAnalytics(t, base)
	var skews []struct {
		Pubkey string `json:"pubkey"`
	}
	getJSON(t, base+"/api/nodes/clock-skew", 200, &skews)
	cases := []contractCase{
		{"GET", "/api/nodes/network-status", "", 200, &pb.NetworkStatus{}, asIs},
		{"GET", "/api/nodes/clock-skew", "", 200, &pb.NodeClockSkewList{}, items},
		{"GET", "/api/nodes/clock-skew?area=bay", "", 200, &pb.NodeClockSkewList{}, items},
		{"GET", "/api/nodes/" + pk + "/analytics", "", 200, &pb.NodeAnalytics{}, asIs},
		{"GET", "/api/nodes/" + pk + "/analytics?days=365", "", 200, &pb.NodeAnalytics{}, asIs},
		{"GET", "/api/nodes/" + pk + "/battery?days=30", "", 200, &pb.NodeBattery{}, asIs},
		{"GET", "/api/observers/" + observer + "/analytics?days=7", "", 200, &pb.ObserverAnalytics{}, asIs},
		{"GET", "/api/observers/" + observer + "/analytics?days=365", "", 200, &pb.ObserverAnalytics{}, asIs},
		{"GET", "/api/observers/" + observer + "/metrics?since=2020-01-01T00:00:00Z", "", 200, &pb.ObserverMetrics{}, asIs},
		{"GET", "/api/observers/" + observer + "/metrics?since=2020-01-01T00:00:00Z&resolution=1h", "", 200, &pb.ObserverMetrics{}, asIs},
		{"GET", "/api/observers/metrics/summary?window=3650d", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/observers/metrics/summary?window=365d", "", 200, &pb.ObserverMetricsSummaryList{}, asIs},
		{"GET", "/api/observers/clock-skew", "", 200, &pb.ObserverSkewList{}, items},
		{"GET", "/api/nodes/" + strings.Repeat("0", 64) + "/clock-skew", "", 404, &pb.Error{}, asIs},
	}
	if len(skews) > 0 {
		cases = append(cases, contractCase{"GET", "/api/nodes/" + skews[0].Pubkey + "/clock-skew", "", 200, &pb.NodeClockSkew{}, asIs},
			contractCase{"GET", "/api/nodes/" + skews[0].Pubkey + "/analytics?days=365", "", 200, &pb.NodeAnalytics{}, asIs})
	}
	return cases
}

// meshsimServer fills a database from meshsim through the real ingestor and
// serves it; it returns the base URL and the database path.
func meshsimServer(t *testing.T, seed int64, end time.Time) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	sim := meshsim.New(meshsim.Options{Seed: seed, Nodes: 40, Observers: 4, Duration: 2 * time.Hour, End: end})
	var msgs []ingesttest.Message
	for _, m := range sim.Generate(400) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
	}
	ingesttest.Fill(t, path, msgs)
	st := runStore(t, path, nil)
	_, ts := newServer(t, testConfig(nil), st, nil)
	return ts.URL, path
}

// TestNodeAnalyticsRoutesAgainstSQL checks the HTTP answers against SQL over
// the database meshsim filled: an observer's packets per 4-hour bucket and
// types, a node's packet total, the network status counts, the battery /
// metrics samples, and the error answers.
func TestNodeAnalyticsRoutesAgainstSQL(t *testing.T) {
	end := time.Now().UTC().Truncate(time.Second)
	base, path := meshsimServer(t, 21, end)
	waitNodeAnalytics(t, base)
	d := openSQL(t, path)
	ctx := context.Background()

	// Observer analytics, days=7: total observations = SQL count in the window.
	var obsList struct {
		Observers []struct {
			ID string `json:"id"`
		} `json:"observers"`
	}
	getJSON(t, base+"/api/observers", 200, &obsList)
	if len(obsList.Observers) == 0 {
		t.Fatal("no observers")
	}
	id := obsList.Observers[0].ID
	var oa struct {
		Timeline []struct {
			Label string `json:"label"`
			Count int    `json:"count"`
		} `json:"timeline"`
		PacketTypes map[string]int `json:"packetTypes"`
	}
	getJSON(t, base+"/api/observers/"+url.PathEscape(id)+"/analytics?days=7", 200, &oa)
	var want int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM observations o JOIN observers ob ON ob.rowid = o.observer_idx WHERE ob.id = ?`, id).Scan(&want); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, b := range oa.Timeline {
		got += b.Count
	}
	if got != want || want == 0 || len(oa.Timeline) != 42 {
		t.Errorf("observer %s: %d observations in %d buckets, SQL %d", id, got, len(oa.Timeline), want)
	}
	rows, err := d.QueryContext(ctx, `SELECT t.payload_type, COUNT(*) FROM observations o JOIN observers ob ON ob.rowid = o.observer_idx
		JOIN transmissions t ON t.id = o.transmission_id WHERE ob.id = ? GROUP BY 1`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pt, n int
		if err := rows.Scan(&pt, &n); err != nil {
			t.Fatal(err)
		}
		if oa.PacketTypes[fmt.Sprint(pt)] != n {
			t.Errorf("type %d: %d, SQL %d", pt, oa.PacketTypes[fmt.Sprint(pt)], n)
		}
	}
	rows.Close()

	// Network status: every node counted once, role counts = SQL.
	var ns struct {
		Total, Active, Degraded, Silent int
		RoleCounts                      map[string]int `json:"roleCounts"`
	}
	getJSON(t, base+"/api/nodes/network-status", 200, &ns)
	var nodes, repeaters int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*), SUM(role = 'repeater') FROM nodes`).Scan(&nodes, &repeaters); err != nil {
		t.Fatal(err)
	}
	if ns.Total != nodes || ns.Active+ns.Degraded+ns.Silent != nodes || ns.RoleCounts["repeater"] != repeaters {
		t.Errorf("network status %+v, SQL %d nodes %d repeaters", ns, nodes, repeaters)
	}

	// A repeater's analytics: total packets = SQL over from_pubkey or resolved path.
	var pk string
	if err := d.QueryRowContext(ctx, `SELECT public_key FROM nodes WHERE role = 'repeater' ORDER BY advert_count DESC LIMIT 1`).Scan(&pk); err != nil {
		t.Fatal(err)
	}
	var na struct {
		ComputedStats struct {
			TotalPackets int `json:"totalPackets"`
		} `json:"computedStats"`
		PacketTypeBreakdown []struct {
			PayloadType int `json:"payload_type"`
			Count       int `json:"count"`
		} `json:"packetTypeBreakdown"`
		HopDistribution []struct {
			Count int `json:"count"`
		} `json:"hopDistribution"`
		ClockSkew *struct {
			SampleCount int `json:"sampleCount"`
		} `json:"clockSkew"`
	}
	getJSON(t, base+"/api/nodes/"+pk+"/analytics?days=1", 200, &na)
	var adverts int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM transmissions WHERE from_pubkey = ? AND payload_type = 4`, pk).Scan(&adverts); err != nil {
		t.Fatal(err)
	}
	if na.ClockSkew == nil || na.ClockSkew.SampleCount != adverts {
		t.Errorf("node %s clock skew %+v, SQL %d adverts", pk, na.ClockSkew, adverts)
	}
	// Its adverts per SQL; relayed packets are resolved in memory (meshsim
	// rows carry no resolved_path), so the total is checked for consistency.
	types, hops := map[int]int{}, 0
	for _, c := range na.PacketTypeBreakdown {
		types[c.PayloadType] = c.Count
	}
	for _, h := range na.HopDistribution {
		hops += h.Count
	}
	if types[4] < adverts || adverts == 0 || hops != na.ComputedStats.TotalPackets {
		t.Errorf("node %s: adverts %d (SQL %d), hop total %d, packets %d", pk, types[4], adverts, hops, na.ComputedStats.TotalPackets)
	}

	// Node rows carry the scores once the first pass published them, and the
	// detail the relay window.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list struct {
			Nodes []map[string]any `json:"nodes"`
		}
		getJSON(t, base+"/api/nodes?limit=2000", 200, &list)
		shares, multi := 0, 0
		for _, n := range list.Nodes {
			if v, ok := n["traffic_share_score"].(float64); ok && v > 0 && n["usefulness_score"] == v {
				shares++
			}
			if _, ok := n["multi_byte_status"]; ok {
				multi++
			}
		}
		if shares > 0 && multi > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node row with scores: %d shares, %d multi-byte", shares, multi)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var det struct {
		Node struct {
			RelayWindowHours float64 `json:"relay_window_hours"`
		} `json:"node"`
	}
	getJSON(t, base+"/api/nodes/"+pk, 200, &det)
	if det.Node.RelayWindowHours != 24 {
		t.Errorf("relay_window_hours = %v", det.Node.RelayWindowHours)
	}

	// The per-node clock skew is cut from the precomputed table and says how old it is.
	code, hdr, _ := fetch(t, http.MethodGet, base+"/api/nodes/"+pk+"/clock-skew", "", nil)
	if code != 200 || hdr.Get("X-Cache-Age-Seconds") == "" {
		t.Errorf("node clock-skew: %d, X-Cache-Age-Seconds %q", code, hdr.Get("X-Cache-Age-Seconds"))
	}

	// Metrics: the raw samples of an observer = SQL rows in the window.
	var mets struct {
		Metrics []struct {
			Timestamp  string   `json:"timestamp"`
			NoiseFloor *float64 `json:"noise_floor"`
		} `json:"metrics"`
	}
	getJSON(t, base+"/api/observers/"+url.PathEscape(id)+"/metrics?since=2020-01-01T00:00:00Z", 200, &mets)
	var nm int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM observer_metrics WHERE observer_id = ?`, id).Scan(&nm); err != nil {
		t.Fatal(err)
	}
	if len(mets.Metrics) != nm {
		t.Errorf("metrics: %d samples, SQL %d", len(mets.Metrics), nm)
	}

	for _, c := range []struct {
		path   string
		status int
		param  string
	}{
		{"/api/nodes/" + pk + "/analytics?days=x", 400, "days"},
		{"/api/nodes/" + pk + "/battery?days=1.5", 400, "days"},
		{"/api/nodes/" + strings.Repeat("ab", 32) + "/analytics", 404, ""},
		{"/api/nodes/" + strings.Repeat("ab", 32) + "/battery", 404, ""},
		{"/api/observers/NOPE/analytics", 404, ""},
		{"/api/observers/NOPE/metrics", 404, ""},
		{"/api/observers/" + url.PathEscape(id) + "/metrics?resolution=2h", 400, "resolution"},
		{"/api/observers/" + url.PathEscape(id) + "/metrics?since=yesterday", 400, "since"},
		{"/api/observers/metrics/summary?window=abc", 400, "window"},
	} {
		code, _, body := fetch(t, http.MethodGet, base+c.path, "", nil)
		var e struct {
			Error string `json:"error"`
		}
		if code != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, c.param) {
			t.Errorf("%s: %d %s, want %d naming %q", c.path, code, body, c.status, c.param)
		}
	}
}

// TestNodeAnalyticsConcurrentReadsDuringSync hammers the routes while the
// ingestor's writer keeps adding packets and metrics (run with -race).
func TestNodeAnalyticsConcurrentReadsDuringSync(t *testing.T) {
	end := time.Now().UTC().Truncate(time.Second)
	base, path := meshsimServer(t, 5, end)
	waitNodeAnalytics(t, base)
	var obsList struct {
		Observers []struct {
			ID string `json:"id"`
		} `json:"observers"`
	}
	getJSON(t, base+"/api/observers", 200, &obsList)
	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	getJSON(t, base+"/api/nodes?limit=20", 200, &nodes)
	w, err := db.OpenWriter(context.Background(), path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writer: metrics and packets keep arriving
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			nf, bat := -100.0-float64(i%7), 3800+i%50
			at := time.Now().UTC()
			b := db.Batch{Metrics: []db.Metrics{{ObserverID: obsList.Observers[i%len(obsList.Observers)].ID, At: at.Add(time.Duration(i) * time.Minute), NoiseFloor: &nf, BatteryMv: &bat}}}
			h := fmt.Sprintf("%016x", 0xfeed0000+i)
			b.Transmissions = []db.Transmission{{RawHex: "1100AA", Hash: h, FirstSeen: at, RouteType: 1, PayloadType: 2, DecodedJSON: `{"type":"TXT_MSG","srcHash":"aa","destHash":"bb"}`}}
			b.Observations = []db.Observation{{TxHash: h, ObserverID: obsList.Observers[0].ID, PathJSON: "[]", Timestamp: at.Unix()}}
			if _, err := w.WriteBatch(context.Background(), b); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	paths := []string{"/api/nodes/network-status", "/api/nodes/clock-skew", "/api/observers/clock-skew", "/api/observers/metrics/summary"}
	for _, o := range obsList.Observers {
		paths = append(paths, "/api/observers/"+url.PathEscape(o.ID)+"/analytics?days=1", "/api/observers/"+url.PathEscape(o.ID)+"/metrics")
	}
	for _, n := range nodes.Nodes {
		paths = append(paths, "/api/nodes/"+n.PublicKey+"/analytics?days=3", "/api/nodes/"+n.PublicKey+"/battery")
	}
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				p := paths[(r*7+i)%len(paths)]
				if code, _, body := fetch(t, http.MethodGet, base+p, "", nil); code != 200 {
					t.Errorf("%s: %d %s", p, code, trunc(body))
				}
			}
		}(r)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
}

// TestNodeScoresDoNotRetriggerTheRecomputer: publishing the node scores
// moves the store generation only when they change, so on unchanged data the
// recomputer settles (no pass after the one that found equal scores) and the
// response cache keeps its entries.
func TestNodeScoresDoNotRetriggerTheRecomputer(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	cfg := testConfig(func(c *config.Config) { c.Analytics.DefaultIntervalSeconds = 1 })
	s, ts := newServer(t, cfg, st, nil)
	waitNodeAnalytics(t, ts.URL)
	lastBuild := func() time.Time {
		for _, j := range s.Analytics().Stats() {
			if j.Name == "nodeScores" {
				return j.LastBuild
			}
		}
		t.Fatal("nodeScores not registered")
		return time.Time{}
	}
	var first time.Time
	deadline := time.Now().Add(30 * time.Second)
	for first = lastBuild(); first.IsZero(); first = lastBuild() {
		if time.Now().After(deadline) {
			t.Fatal("no first nodeScores pass")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The first publication moved the generation: one more pass follows and
	// finds the same scores.
	var second time.Time
	for second = lastBuild(); !second.After(first); second = lastBuild() {
		if time.Now().After(deadline) {
			t.Fatal("no second pass after the first publication")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the rest of that pass
	g := st.Generation()
	time.Sleep(3 * time.Second) // three engine ticks at a 1 s cadence
	if st.Generation() != g || lastBuild() != second {
		t.Fatalf("recomputer kept going on unchanged data: generation %d → %d, last build %v → %v",
			g, st.Generation(), second, lastBuild())
	}
}
