package analytics

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
)

// The hand-built mesh: companion C adverts through R1 → R2 to observer O1
// (SJC); R3 relays to O2 (OAK); an unknown hop FF reaches O1; R4 is 900 km
// away from R1 and must be rejected as geographically implausible.
var (
	pkC  = "e5" + strings.Repeat("55", 31)
	pkR1 = "a1" + strings.Repeat("11", 31)
	pkR2 = "b2" + strings.Repeat("22", 31)
	pkR3 = "c3" + strings.Repeat("33", 31)
	pkR4 = "d4" + strings.Repeat("44", 31)
)

type meshEnv struct {
	t    *testing.T
	path string
	w    *db.Writer
	base time.Time
	n    int
}

func newMesh(t *testing.T) *meshEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	base := time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)
	w, err := db.OpenWriter(context.Background(), path, db.Options{Logger: quiet(), Now: func() time.Time { return base }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	m := &meshEnv{t: t, path: path, w: w, base: base}
	var b db.Batch
	for _, n := range []struct {
		pk, name, role string
		lat, lon       float64
	}{
		{pkC, "Comp", "companion", 37.30, -122.00},
		{pkR1, "R1", "repeater", 37.35, -122.00},
		{pkR2, "R2", "repeater", 37.40, -122.00},
		{pkR3, "R3", "repeater", 37.45, -122.00},
		{pkR4, "R4", "repeater", 45.50, -122.00},
	} {
		lat, lon := n.lat, n.lon
		b.Nodes = append(b.Nodes, db.NodeUpsert{PublicKey: n.pk, Name: n.name, Role: n.role, Lat: &lat, Lon: &lon, Seen: base})
	}
	b.Observers = append(b.Observers, db.ObserverUpsert{ID: "OBS1", Name: "One", IATA: "SJC", Seen: base},
		db.ObserverUpsert{ID: "OBS2", Name: "Two", IATA: "OAK", Seen: base})
	m.write(b)
	return m
}

func (m *meshEnv) write(b db.Batch) {
	m.t.Helper()
	res, err := m.w.WriteBatch(context.Background(), b)
	if err != nil || len(res.Rejected) > 0 {
		m.t.Fatalf("write: %v %v", err, res.Rejected)
	}
}

// packet writes one transmission heard by each observer with the given SNR,
// over path (hop prefixes).
func (m *meshEnv) packet(advertFrom string, path []string, heard map[string]float64) {
	m.n++
	at := m.base.Add(time.Duration(m.n) * time.Second)
	hash := fmt.Sprintf("%016x", 0xfeed000+m.n)
	tx := db.Transmission{RawHex: fmt.Sprintf("11%02X%08X", len(path), m.n), Hash: hash, FirstSeen: at, RouteType: 1, PayloadType: 2,
		DecodedJSON: `{"type":"TXT_MSG"}`}
	if advertFrom != "" {
		tx.PayloadType, tx.FromPubkey = 4, advertFrom
		tx.DecodedJSON = fmt.Sprintf(`{"type":"ADVERT","pubKey":%q}`, advertFrom)
	}
	quoted := make([]string, len(path))
	for i, h := range path {
		quoted[i] = `"` + h + `"`
	}
	b := db.Batch{Transmissions: []db.Transmission{tx}}
	for obs, snr := range heard {
		s := snr
		b.Observations = append(b.Observations, db.Observation{TxHash: hash, ObserverID: obs, SNR: &s,
			PathJSON: "[" + strings.Join(quoted, ",") + "]", Timestamp: at.Unix()})
	}
	m.write(b)
}

// view runs a store over the mesh database and returns a snapshot view at now.
func (m *meshEnv) view(now time.Time) *View {
	m.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rd, err := db.OpenReader(ctx, m.path)
	if err != nil {
		m.t.Fatal(err)
	}
	st := store.New(rd, store.Config{Logger: quiet(), PollInterval: 10 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = st.Run(ctx) }()
	m.t.Cleanup(func() { cancel(); wg.Wait(); rd.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for !st.Ready() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return &View{Snapshot: st.Snapshot(), Now: now}
}

func TestNeighborGraphOnAHandBuiltMesh(t *testing.T) {
	m := newMesh(t)
	for i := 0; i < 3; i++ {
		m.packet(pkC, []string{"A1", "B2"}, map[string]float64{"OBS1": float64(i)}) // SNR 0, 1, 2
	}
	m.packet("", []string{"C3"}, map[string]float64{"OBS2": -5})
	m.packet("", []string{"C3"}, map[string]float64{"OBS2": -7})
	m.packet("", []string{"FF"}, map[string]float64{"OBS1": 3})
	m.packet("", []string{"A1", "B2"}, map[string]float64{"OBS1": 6, "OBS2": 8})
	m.packet("", []string{"D4", "A1"}, map[string]float64{"OBS1": 1})
	last := m.base.Add(time.Duration(m.n) * time.Second)
	v := m.view(last)
	cache := &GraphCache{MaxEdgeKm: 500}

	type edge struct {
		weight int
		snr    *float64
	}
	f := func(x float64) *float64 { return &x }
	o1, o2 := "obs1", "obs2"
	// Independent expectation, counted by hand from the packets above.
	want := map[[2]string]edge{
		{pkC, pkR1}:       {3, nil},
		{pkR1, pkR2}:      {5, nil},        // 3 adverts + 2 observations of the last A1,B2 packet
		{pkR2, o1}:        {4, f(9.0 / 4)}, // SNRs 0, 1, 2, 6
		{pkR2, o2}:        {1, f(8)},       //
		{pkR3, o2}:        {2, f(-6)},      // -5, -7
		{"prefix:FF", o1}: {1, f(3)},       // unknown hop: a prefix endpoint
		{pkR1, o1}:        {1, f(1)},       // last hop of D4,A1 (D4–A1 is 900 km: rejected)
	}
	g := ComputeNeighborGraph(v, cache, GraphParams{MinCount: 1})
	if g.Stats.RejectedEdgesGeoFar != 1 {
		t.Errorf("rejected_edges_geo_far = %d, want 1 (R4–R1)", g.Stats.RejectedEdgesGeoFar)
	}
	got := map[[2]string]GraphEdge{}
	for _, e := range g.Edges {
		k := [2]string{e.Source, e.Target}
		if _, ok := want[k]; !ok {
			k = [2]string{e.Target, e.Source}
		}
		got[k] = e
	}
	if len(g.Edges) != len(want) || g.Stats.TotalEdges != len(want) {
		t.Fatalf("%d edges (stats %d), want %d: %+v", len(g.Edges), g.Stats.TotalEdges, len(want), g.Edges)
	}
	for k, w := range want {
		e, ok := got[k]
		if !ok {
			t.Errorf("missing edge %s–%s", k[0][:6], k[1])
			continue
		}
		if e.Weight != w.weight {
			t.Errorf("edge %s–%s weight %d, want %d", k[0][:6], k[1], e.Weight, w.weight)
		}
		if wantScore := float64(w.weight) / 100; abs(e.Score-wantScore) > 0.001 {
			t.Errorf("edge %s–%s score %v, want ≈ %v (count/100, seen within seconds)", k[0][:6], k[1], e.Score, wantScore)
		}
		if (e.AvgSnr == nil) != (w.snr == nil) || (w.snr != nil && abs(*e.AvgSnr-round(*w.snr, 2)) > 1e-9) {
			t.Errorf("edge %s–%s avg_snr %v, want %v", k[0][:6], k[1], ptrStr(e.AvgSnr), ptrStr(w.snr))
		}
		if strings.HasPrefix(e.Source, "prefix:") {
			t.Errorf("unresolved end as source: %+v", e)
		}
	}
	// 7 edges over 7 endpoints (C, R1, R2, R3, FF, O1, O2): 2E/N = 2.
	if g.Stats.TotalNodes != 7 || g.Stats.AvgClusterSize != round(14.0/7, 2) {
		t.Errorf("nodes %d avg_cluster_size %v, want 7 and 2", g.Stats.TotalNodes, g.Stats.AvgClusterSize)
	}
	for _, n := range g.Nodes {
		if n.Pubkey == o1 && (n.Role != "observer" || n.Name != "One" || n.NeighborCount != 3) {
			t.Errorf("observer node %+v, want role observer, name One, 3 neighbours", n)
		}
	}

	if g := ComputeNeighborGraph(v, cache, GraphParams{MinCount: 3}); len(g.Edges) != 3 {
		t.Errorf("min_count=3: %d edges, want 3 (C–R1, R1–R2, R2–O1)", len(g.Edges))
	}
	if g := ComputeNeighborGraph(v, cache, GraphParams{MinCount: 1, Region: "OAK"}); len(g.Edges) != 3 {
		t.Errorf("region OAK: %d edges, want 3 (R1–R2 via the shared packet, R2–O2, R3–O2)", len(g.Edges))
	}
	if g := ComputeNeighborGraph(v, cache, GraphParams{MinCount: 1, Role: "companion"}); len(g.Edges) != 1 {
		t.Errorf("role companion: %d edges, want 1", len(g.Edges))
	}
	if g := ComputeNeighborGraph(v, cache, GraphParams{MinCount: 1, MinScore: 0.035}); len(g.Edges) != 2 {
		t.Errorf("min_score 0.035: %d edges, want 2 (weights 5 and 4)", len(g.Edges))
	}
	// A week later every score has halved.
	later := &View{Snapshot: v.Snapshot, Now: last.Add(7 * 24 * time.Hour)}
	for _, e := range ComputeNeighborGraph(later, cache, GraphParams{MinCount: 5}).Edges {
		if e.Score != 0.025 {
			t.Errorf("after 7 days score %v, want 0.025 (half of 0.05)", e.Score)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func ptrStr(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
