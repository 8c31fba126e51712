package store

import (
	"slices"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
)

// The geo filter hides nodes with GPS outside it from Nodes and SearchNodes
// (total counts the filtered list); nodes without GPS and foreign-flagged
// nodes stay; SetGeoFilter swaps it at run time and nil turns it off.
func TestNodeGeoFilter(t *testing.T) {
	e := newTestEnv(t)
	far := 10.0
	at := e.base.Add(time.Minute)
	outside := "f1" + repeat("11", 31)
	foreign := "f2" + repeat("22", 31)
	noGPS := "f3" + repeat("33", 31)
	e.write(db.Batch{Nodes: []db.NodeUpsert{
		{PublicKey: outside, Name: "geo-outside", Role: "repeater", Lat: &far, Lon: &far, Seen: at},
		{PublicKey: foreign, Name: "geo-foreign", Role: "repeater", Lat: &far, Lon: &far, Seen: at, Foreign: true},
		{PublicKey: noGPS, Name: "geo-nogps", Role: "companion", Seen: at},
	}})
	// A box around repeaters 1 and 2 (lat 37.1, 37.2; lon -122).
	lo, hi, w, east := 37.05, 37.25, -123.0, -121.0
	box := &config.GeoFilter{LatMin: &lo, LatMax: &hi, LonMin: &w, LonMax: &east}
	s := e.start(Config{GeoFilter: box})
	waitReady(t, s)
	eventually(t, "nodes loaded", func() bool { return len(s.nodes.Load().list) == 8 })

	keys := func() []string {
		page := s.Nodes(NodeQuery{Limit: 100})
		var out []string
		for _, n := range page.Nodes {
			out = append(out, n.PublicKey)
		}
		if page.Total != len(out) {
			t.Errorf("total = %d, rows = %d", page.Total, len(out))
		}
		slices.Sort(out)
		return out
	}
	want := []string{testRepeaters[1], testRepeaters[2], foreign, noGPS}
	slices.Sort(want)
	if got := keys(); !slices.Equal(got, want) {
		t.Errorf("filtered nodes = %v, want %v", got, want)
	}
	if got := s.SearchNodes("geo-", 10); len(got) != 2 {
		t.Errorf("search geo- = %d rows, want 2 (foreign + no GPS)", len(got))
	}
	if got := s.SearchNodes("node-", 10); len(got) != 2 {
		t.Errorf("search node- = %d rows, want 2 (repeaters 1 and 2)", len(got))
	}

	// A polygon around repeater 0 only (lat 37.0) replaces the box.
	s.SetGeoFilter(&config.GeoFilter{Polygon: [][]float64{{36.95, -122.1}, {36.95, -121.9}, {37.05, -121.9}, {37.05, -122.1}}})
	want = []string{testRepeaters[0], foreign, noGPS}
	slices.Sort(want)
	if got := keys(); !slices.Equal(got, want) {
		t.Errorf("polygon: nodes = %v, want %v", got, want)
	}
	s.SetGeoFilter(nil)
	if got := keys(); len(got) != 8 {
		t.Errorf("filter off: %d nodes, want 8", len(got))
	}
}
