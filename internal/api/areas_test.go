package api

import (
	"testing"

	"github.com/corescope/corescope/internal/config"
)

func TestAreaPointTests(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	areas := buildAreas(map[string]config.Area{
		"tri": {Label: "T", Polygon: [][]float64{{0, 0}, {10, 0}, {0, 10}}},
		"box": {Label: "B", LatMin: f64(40), LatMax: f64(41), LonMin: f64(-75), LonMax: f64(-73)},
		"bad": {Label: "nothing usable"},
	})
	cases := []struct {
		key      string
		lat, lon float64
		in       bool
	}{
		{"tri", 2, 2, true}, {"tri", 8, 8, false}, {"tri", -1, 1, false},
		{"box", 40.5, -74, true}, {"box", 42, -74, false},
	}
	for _, c := range cases {
		if got := areas[c.key](c.lat, c.lon); got != c.in {
			t.Errorf("%s (%v, %v): %v, want %v", c.key, c.lat, c.lon, got, c.in)
		}
	}
	if _, ok := areas["bad"]; ok {
		t.Fatal("an area without geometry got a point test")
	}
}

func TestAreaFilterOnNodesAndPackets(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, all := newServer(t, testConfig(nil), st, nil)
	var nodes struct {
		Nodes []struct {
			PublicKey string   `json:"public_key"`
			Lat       *float64 `json:"lat"`
			Lon       *float64 `json:"lon"`
		} `json:"nodes"`
		Total int `json:"total"`
	}
	getJSON(t, all.URL+"/api/nodes?limit=10000", 200, &nodes)
	var lat, lon float64
	found := false
	for _, n := range nodes.Nodes {
		if n.Lat != nil && n.Lon != nil && (*n.Lat != 0 || *n.Lon != 0) {
			lat, lon, found = *n.Lat, *n.Lon, true
			break
		}
	}
	if !found {
		t.Fatal("fixture has no node with GPS")
	}
	allTotal := nodes.Total
	cfg := testConfig(func(c *config.Config) {
		c.Areas = map[string]config.Area{"here": {Label: "Here", Polygon: [][]float64{
			{lat - 0.01, lon - 0.01}, {lat + 0.01, lon - 0.01}, {lat + 0.01, lon + 0.01}, {lat - 0.01, lon + 0.01}}}}
	})
	_, ts := newServer(t, cfg, st, nil)
	getJSON(t, ts.URL+"/api/nodes?limit=10000&area=here", 200, &nodes)
	if nodes.Total < 1 || nodes.Total >= allTotal {
		t.Fatalf("area filter kept %d of %d nodes", nodes.Total, allTotal)
	}
	for _, n := range nodes.Nodes {
		if n.Lat == nil || *n.Lat < lat-0.01 || *n.Lat > lat+0.01 {
			t.Fatalf("node %s outside the area listed", n.PublicKey)
		}
	}
	getJSON(t, ts.URL+"/api/nodes?limit=10000&area=unknown", 200, &nodes)
	if nodes.Total != allTotal {
		t.Fatalf("unknown area filtered: %d of %d", nodes.Total, allTotal)
	}
	var pk struct {
		Packets []struct {
			PayloadType int `json:"payload_type"`
		} `json:"packets"`
	}
	getJSON(t, ts.URL+"/api/packets?limit=500&area=here", 200, &pk)
	for _, p := range pk.Packets {
		if p.PayloadType != 4 {
			t.Fatalf("area packet filter returned payload type %d (only adverts carry a sender position)", p.PayloadType)
		}
	}
}
