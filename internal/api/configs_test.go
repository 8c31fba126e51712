package api

import (
	"encoding/json"
	"testing"

	"github.com/corescope/corescope/internal/config"
)

func TestConfigEndpointsValues(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	cfg := testConfig(func(c *config.Config) {
		c.Regions = map[string]string{"SJC": "San Jose, US", "XYZ": "Nowhere"}
		c.Areas = map[string]config.Area{
			"zeta":   {Label: "Zeta", Polygon: [][]float64{{1, 1}, {2, 2}, {3, 1}}},
			"alpha":  {Label: "Alpha", Polygon: [][]float64{{1, 1}, {2, 2}, {3, 1}}},
			"hidden": {Polygon: [][]float64{{1, 1}, {2, 2}, {3, 1}}},
		}
		c.CacheTTL = json.RawMessage(`{"stats":10,"_comment":"kept verbatim"}`)
		c.MapDefaults = config.MapDefaults{Center: []float64{47.6, -122.3}, Zoom: 11}
	})
	_, ts := newServer(t, cfg, st, nil)

	var client struct {
		HealthThresholds map[string]int64 `json:"healthThresholds"`
		Roles            any              `json:"roles"`
		Propagation      int              `json:"propagationBufferMs"`
		Timestamps       map[string]any   `json:"timestamps"`
	}
	getJSON(t, ts.URL+"/api/config/client", 200, &client)
	if client.HealthThresholds["infraDegradedMs"] != 24*3600*1000 || client.HealthThresholds["nodeDegradedMs"] != 3600*1000 {
		t.Fatalf("healthThresholds %v", client.HealthThresholds)
	}
	if client.Roles != nil || client.Propagation != 5000 || client.Timestamps["defaultMode"] != "ago" {
		t.Fatalf("client config %+v", client)
	}

	var regions map[string]string
	getJSON(t, ts.URL+"/api/config/regions", 200, &regions)
	if regions["SJC"] != "San Jose, US" || regions["XYZ"] != "Nowhere" {
		t.Fatalf("configured labels lost: %v", regions)
	}
	for code, label := range regions {
		if code != "SJC" && code != "XYZ" && label != code {
			t.Fatalf("observer region %s labelled %q, want the code", code, label)
		}
	}
	if len(regions) <= 2 {
		t.Fatalf("observer IATA codes missing: %v", regions)
	}

	var areas []struct{ Key, Label string }
	getJSON(t, ts.URL+"/api/config/areas", 200, &areas)
	if len(areas) != 2 || areas[0].Key != "alpha" || areas[1].Key != "zeta" {
		t.Fatalf("areas %+v, want alpha, zeta (sorted, labelled only)", areas)
	}
	var polys []map[string]any
	getJSON(t, ts.URL+"/api/config/areas/polygons", 200, &polys)
	if len(polys) != 3 || polys[0]["key"] != "alpha" || polys[1]["key"] != "hidden" {
		t.Fatalf("polygons %v", polys)
	}

	var cache map[string]any
	getJSON(t, ts.URL+"/api/config/cache", 200, &cache)
	if cache["stats"] != 10.0 || cache["_comment"] != "kept verbatim" {
		t.Fatalf("cache %v", cache)
	}
	var m struct {
		Center []float64 `json:"center"`
		Zoom   int       `json:"zoom"`
	}
	getJSON(t, ts.URL+"/api/config/map", 200, &m)
	if m.Zoom != 11 || m.Center[0] != 47.6 {
		t.Fatalf("map %+v", m)
	}
	var coords struct {
		Coords map[string]struct{ Lat, Lon float64 } `json:"coords"`
	}
	getJSON(t, ts.URL+"/api/iata-coords", 200, &coords)
	if len(coords.Coords) != 52 || coords.Coords["SJC"].Lat == 0 {
		t.Fatalf("iata table: %d entries", len(coords.Coords))
	}
}
