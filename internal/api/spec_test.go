package api

import (
	"strings"
	"testing"
)

func TestSpecListsExactlyTheRoutes(t *testing.T) {
	_, ts := newServer(t, testConfig(nil), nil, nil)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Summary    string                `json:"summary"`
			Security   []map[string][]string `json:"security"`
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	getJSON(t, ts.URL+"/api/spec", 200, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	if _, ok := doc.Paths["/api/docs"]; ok {
		t.Fatal("/api/docs listed")
	}
	if len(doc.Paths["/api/packets"]["post"].Security) != 1 || doc.Paths["/api/packets"]["get"].Security != nil {
		t.Fatalf("API key marking wrong: %+v", doc.Paths["/api/packets"])
	}
	if p := doc.Paths["/api/nodes/{pubkey}"]["get"].Parameters; len(p) != 1 || p[0].Name != "pubkey" || p[0].In != "path" {
		t.Fatalf("path params %+v", p)
	}
	// Every route has a written summary, and every summary names a real route.
	n := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			n++
			if _, ok := routeDocs[strings.ToUpper(method)+" "+path]; !ok {
				t.Errorf("%s %s has no summary in routeDocs", method, path)
			}
		}
	}
	if n != len(routeDocs) {
		t.Errorf("spec has %d operations, routeDocs %d: a summary names a route that does not exist", n, len(routeDocs))
	}
}
