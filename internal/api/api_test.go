package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// TestFixtureServesEveryCoreEndpoint runs every core endpoint against the
// database written by the original CoreScope.
func TestFixtureServesEveryCoreEndpoint(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	_, ts := newServer(t, testConfig(nil), st, nil)

	var list struct {
		Packets []map[string]any `json:"packets"`
		Total   int              `json:"total"`
	}
	getJSON(t, ts.URL+"/api/packets?limit=5", 200, &list)
	if len(list.Packets) != 5 || list.Total != 499 {
		t.Fatalf("packets: got %d items, total %d; want 5, 499", len(list.Packets), list.Total)
	}
	hash := list.Packets[0]["hash"].(string)
	id := int64(list.Packets[0]["id"].(float64))

	for _, path := range []string{
		"/api/healthz", "/api/health", "/api/stats",
		"/api/config/cache", "/api/config/client", "/api/config/regions", "/api/config/theme",
		"/api/config/map", "/api/config/geo-filter", "/api/config/areas", "/api/config/areas/polygons",
		"/api/packets", "/api/packets?expand=observations&limit=20", "/api/packets?groupByHash=true",
		"/api/packets?type=5&limit=100", "/api/packets?order=asc&since=2020-01-01T00:00:00Z",
		"/api/packets/timestamps?since=2020-01-01T00:00:00Z",
		"/api/packets/" + hash, "/api/packets/" + strconv.FormatInt(id, 10),
		"/api/observers", "/api/traces/" + hash, "/api/iata-coords",
	} {
		getJSON(t, ts.URL+path, 200, nil)
	}
	code, _, body := fetch(t, http.MethodPost, ts.URL+"/api/packets/observations", `{"hashes":["`+hash+`","0000000000000000"]}`, nil)
	if code != 200 {
		t.Fatalf("batch observations: %d %s", code, body)
	}
	var batch struct {
		Results map[string][]map[string]any `json:"results"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch.Results[hash]) == 0 || batch.Results["0000000000000000"] == nil {
		t.Fatalf("batch observations: got %s", trunc(body))
	}
}
