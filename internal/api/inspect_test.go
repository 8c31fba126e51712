package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/meshcore"
	pb "github.com/corescope/corescope/proto"
)

// TestAudioLabBucketsMatchANaiveLoop: the buckets equal an independent
// computation over the database file: group by decoded type (else payload
// type name), order by raw length then id, pick i·(n−1)/7.
func TestAudioLabBucketsMatchANaiveLoop(t *testing.T) {
	path := fixtureDB(t)
	_, ts := newServer(t, testConfig(nil), runStore(t, path, nil), nil)
	body := getJSON(t, ts.URL+"/api/audio-lab/buckets", 200, nil)
	if err := strict.Unmarshal(adapt(t, body, audioBuckets), &pb.AudioLabBuckets{}); err != nil {
		t.Fatalf("contract: %v", err)
	}
	var got struct {
		Buckets map[string][]struct {
			Hash             string `json:"hash"`
			ObservationCount int    `json:"observation_count"`
			Timestamp        string `json:"timestamp"`
		} `json:"buckets"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}

	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT id, hash, COALESCE(length(raw_hex), 0), payload_type, COALESCE(decoded_json, '') FROM transmissions`)
	if err != nil {
		t.Fatal(err)
	}
	type tx struct {
		id     int64
		hash   string
		length int
	}
	groups := map[string][]tx{}
	for rows.Next() {
		var x tx
		var pt sql.NullInt64
		var dec string
		if err := rows.Scan(&x.id, &x.hash, &x.length, &pt, &dec); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Type string `json:"type"`
		}
		name := "UNKNOWN"
		if json.Unmarshal([]byte(dec), &v) == nil && v.Type != "" {
			name = v.Type
		} else if pt.Valid {
			name = meshcore.PayloadTypeName(int(pt.Int64))
		}
		groups[name] = append(groups[name], x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got.Buckets) != len(groups) || len(groups) < 5 {
		t.Fatalf("%d buckets, want %d", len(got.Buckets), len(groups))
	}
	for name, txs := range groups {
		sort.Slice(txs, func(i, j int) bool {
			if txs[i].length != txs[j].length {
				return txs[i].length < txs[j].length
			}
			return txs[i].id < txs[j].id
		})
		var want []string
		if len(txs) <= 8 {
			for _, x := range txs {
				want = append(want, x.hash)
			}
		} else {
			for i := 0; i < 8; i++ {
				want = append(want, txs[i*(len(txs)-1)/7].hash)
			}
		}
		g := got.Buckets[name]
		if len(g) != len(want) {
			t.Fatalf("bucket %s: %d samples, want %d", name, len(g), len(want))
		}
		for i := range want {
			if !strings.EqualFold(g[i].Hash, want[i]) || g[i].ObservationCount < 1 || g[i].Timestamp == "" {
				t.Fatalf("bucket %s sample %d: %+v, want hash %s", name, i, g[i], want[i])
			}
		}
	}
}

// TestPathsInspectPrefersTheLinkedRepeater: a hand-built mesh where prefix
// "ab" has two repeaters; the one with a strong, recent, short edge to the
// "cd" repeater wins, with the score the formula gives (computed here).
func TestPathsInspectPrefersTheLinkedRepeater(t *testing.T) {
	path, now, a, b, c := handMesh(t)
	_, ts := newServer(t, testConfig(nil), runStore(t, path, func() time.Time { return now }), func(o *Options) {
		o.Now = func() time.Time { return now }
	})
	code, _, body := fetch(t, "POST", ts.URL+"/api/paths/inspect", `{"prefixes":["CD","ab"],"context":{"observerId":"x"}}`, nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if err := strict.Unmarshal(body, &pb.PathsInspect{}); err != nil {
		t.Fatalf("contract: %v", err)
	}
	var got struct {
		Candidates []struct {
			Path        []string `json:"path"`
			Names       []string `json:"names"`
			Score       float64  `json:"score"`
			Speculative bool     `json:"speculative"`
			Evidence    struct {
				PerHop []struct {
					Prefix               string `json:"prefix"`
					CandidatesConsidered int    `json:"candidatesConsidered"`
					Chosen               string `json:"chosen"`
					EdgeWeight           int64  `json:"edgeWeight"`
					Alternatives         []struct {
						PublicKey string `json:"publicKey"`
					} `json:"alternatives"`
				} `json:"perHop"`
			} `json:"evidence"`
		} `json:"candidates"`
		Input struct {
			Prefixes []string `json:"prefixes"`
			Hops     int      `json:"hops"`
		} `json:"input"`
		Stats struct {
			BeamWidth     int `json:"beamWidth"`
			ExpansionsRun int `json:"expansionsRun"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Candidates) != 2 || got.Input.Hops != 2 || got.Input.Prefixes[0] != "cd" || got.Stats.BeamWidth != 20 || got.Stats.ExpansionsRun != 3 {
		t.Fatalf("answer %s", body)
	}
	// Independent arithmetic of the documented formula.
	decay := func(age time.Duration) float64 { return math.Pow(0.5, age.Hours()/168) }
	hop1 := 0.35*1 + 0.20*1 + 0.15*decay(0) + 0.30/1 // C: its strongest edge is C–A
	viaA := 0.35*1 + 0.20*1 + 0.15*decay(0) + 0.30/2
	viaB := 0.35*0.01 + 0.20*(50/200.0) + 0.15*decay(30*24*time.Hour) + 0.30/2
	for i, want := range []struct {
		node  string
		score float64
		edge  int64
	}{{a, math.Sqrt(hop1 * viaA), 100}, {b, math.Sqrt(hop1 * viaB), 1}} {
		cand := got.Candidates[i]
		if cand.Path[0] != c || cand.Path[1] != want.node || math.Abs(cand.Score-want.score) > 0.003 ||
			cand.Speculative != (cand.Score < 0.7) || cand.Evidence.PerHop[1].EdgeWeight != want.edge ||
			cand.Evidence.PerHop[1].CandidatesConsidered != 2 || len(cand.Evidence.PerHop[1].Alternatives) != 1 {
			t.Fatalf("candidate %d: %+v, want path [C %s] score %.3f edge %d", i, cand, want.node[:4], want.score, want.edge)
		}
	}
	for _, c := range []struct{ body, msg string }{
		{`{`, "invalid JSON"},
		{`{"prefixes":[]}`, "prefixes required"},
		{`{"prefixes":["abc"]}`, "even-length"},
		{`{"prefixes":["zz"]}`, "valid hex"},
		{`{"prefixes":["aabbccdd"]}`, "exceeds 3 bytes"},
		{`{"prefixes":["aa","bbcc"]}`, "mixed prefix lengths"},
		{`{"prefixes":["` + strings.Repeat(`aa","`, 64) + `aa"]}`, "too many prefixes"},
	} {
		code, hdr, body := fetch(t, "POST", ts.URL+"/api/paths/inspect", c.body, nil)
		if code != 400 || !strings.Contains(string(body), c.msg) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s, want 400 JSON with %q", c.body, code, body, c.msg)
		}
	}
}

// handMesh writes three repeaters — C ("cd33…"), A and B (both "ab…"; A 10 km
// from C, B 200 km) — and two neighbour edges: A–C seen 100 times now, B–C
// once 30 days ago.
func handMesh(t *testing.T) (path string, now time.Time, a, b, c string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "meshcore.db")
	now = time.Now().UTC().Truncate(time.Second)
	f := func(v float64) *float64 { return &v }
	c = "cd33" + strings.Repeat("0", 60)
	a = "ab11" + strings.Repeat("0", 60)
	b = "ab22" + strings.Repeat("0", 60)
	writeBatch(t, path, db.Batch{Nodes: []db.NodeUpsert{
		{PublicKey: c, Name: "C", Role: "repeater", Lat: f(37.0), Lon: f(-122.0), Seen: now},
		{PublicKey: a, Name: "A", Role: "repeater", Lat: f(37.09), Lon: f(-122.0), Seen: now}, // 10 km
		{PublicKey: b, Name: "B", Role: "repeater", Lat: f(38.8), Lon: f(-122.0), Seen: now},  // 200 km
	}})
	ctx := context.Background()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	old := now.Add(-30 * 24 * time.Hour)
	for _, e := range []struct {
		x, y  string
		count int
		at    time.Time
	}{{a, c, 100, now}, {b, c, 1, old}} {
		if _, err := w.DB().Exec(`INSERT INTO neighbor_edges (node_a, node_b, count, last_seen) VALUES (?, ?, ?, ?)`,
			e.x, e.y, e.count, db.FormatTime(e.at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, now, a, b, c
}

// TestDebugAffinityOnAHandBuiltMesh: edges, resolutions and stats equal the
// values worked out by hand for handMesh (see the comments).
func TestDebugAffinityOnAHandBuiltMesh(t *testing.T) {
	path, now, a, b, c := handMesh(t)
	_, ts := newServer(t, testConfig(func(cfg *config.Config) { cfg.APIKey = adminKey }),
		runStore(t, path, func() time.Time { return now }), func(o *Options) { o.Now = func() time.Time { return now } })
	type answer struct {
		Edges []struct {
			NodeA, NodeB, Prefix string
			NodeBName            string `json:"nodeBName"`
			Weight               int64
			Score                float64
			Ambiguous            bool
		} `json:"edges"`
		Resolutions []struct {
			Prefix        string
			Chosen        string
			ChosenJaccard float64 `json:"chosenJaccard"`
			Confidence    string
			Ratio         float64
			Tier          string
			Candidates    []struct {
				Pubkey  string
				Jaccard float64
			}
		} `json:"resolutions"`
		Stats struct {
			TotalEdges, TotalNodes, ResolvedCount, AmbiguousCount, UnresolvedCount int
			AvgConfidence, ColdStartCoverage                                       float64
		} `json:"stats"`
	}
	get := func(q string) answer {
		t.Helper()
		code, _, body := fetch(t, "GET", ts.URL+"/api/debug/affinity"+q, "", keyHdr)
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		if err := strict.Unmarshal(body, &pb.DebugAffinity{}); err != nil {
			t.Fatalf("%s: contract: %v", q, err)
		}
		var v answer
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	all := get("")
	// Edges by weight: A–C (100, seen now: score 1), B–C (1, 30 days: 0.01·2^(−720/168)).
	oldScore := math.Round(0.01*math.Pow(0.5, 720.0/168)*1000) / 1000
	if len(all.Edges) != 2 || all.Edges[0].NodeA != a || all.Edges[0].NodeB != c || all.Edges[0].Weight != 100 ||
		all.Edges[0].Score != 1 || all.Edges[0].Prefix != "CD" || all.Edges[0].NodeBName != "C" || all.Edges[0].Ambiguous ||
		all.Edges[1].NodeA != b || all.Edges[1].Score != oldScore {
		t.Fatalf("edges %+v (want B–C score %v)", all.Edges, oldScore)
	}
	// "ab": A has 100 of the prefix's 101 sightings → resolved (ratio 99 ≥ 3);
	// "cd": one candidate.
	if len(all.Resolutions) != 2 {
		t.Fatalf("resolutions %+v", all.Resolutions)
	}
	ab, cd := all.Resolutions[0], all.Resolutions[1]
	if ab.Prefix != "AB" || ab.Chosen != a || ab.Confidence != "HIGH" || ab.Ratio != 99 || ab.Tier != "edge_evidence" ||
		ab.ChosenJaccard != 0.99 || len(ab.Candidates) != 2 || ab.Candidates[1].Pubkey != b || ab.Candidates[1].Jaccard != 0.01 {
		t.Fatalf("ab: %+v", ab)
	}
	if cd.Prefix != "CD" || cd.Chosen != c || cd.Ratio != 999 || cd.Tier != "unique_prefix" || cd.ChosenJaccard != 1 {
		t.Fatalf("cd: %+v", cd)
	}
	st := all.Stats
	if st.TotalEdges != 2 || st.TotalNodes != 3 || st.ResolvedCount != 2 || st.AmbiguousCount != 0 || st.UnresolvedCount != 0 ||
		st.AvgConfidence != 0.995 || st.ColdStartCoverage != 0.8 {
		t.Fatalf("stats %+v", st)
	}
	if v := get("?node=" + b); len(v.Edges) != 1 || v.Edges[0].NodeA != b || len(v.Resolutions) != 1 || v.Resolutions[0].Prefix != "AB" {
		t.Fatalf("node filter: %+v", v)
	}
	if v := get("?prefix=CD"); len(v.Edges) != 2 || len(v.Resolutions) != 1 || v.Resolutions[0].Prefix != "CD" || v.Stats.TotalEdges != 2 {
		t.Fatalf("prefix filter: %+v", v)
	}
	if code, _, _ := fetch(t, "GET", ts.URL+"/api/debug/affinity", "", nil); code != 401 {
		t.Fatalf("no key: %d", code)
	}
}
