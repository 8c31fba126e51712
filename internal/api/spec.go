package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	pb "github.com/corescope/corescope/proto"
)

// routeDocs are the one-line summaries of /api/spec, keyed by "METHOD path"
// (API.md has the details). Routes without an entry get their path.
var routeDocs = map[string]string{
	"GET /api/healthz":                  "Readiness probe: 503 with a reason until the store is loaded",
	"GET /api/health":                   "Process, store, WebSocket and ingestor (MQTT) status",
	"GET /api/stats":                    "Packet, observation, node and observer counts",
	"GET /api/perf":                     "Per-route request timings, store memory, Go runtime",
	"POST /api/perf/reset":              "Reset the request timings",
	"GET /api/perf/io":                  "Server and ingestor I/O rates",
	"GET /api/perf/write-sources":       "Ingestor write counters",
	"GET /api/config/cache":             "Client cache TTLs (config cacheTTL)",
	"GET /api/config/client":            "Client settings: thresholds, tiles, timestamps",
	"GET /api/config/regions":           "IATA region code → label",
	"GET /api/config/theme":             "Branding, colours and home page texts",
	"GET /api/config/map":               "Initial map centre and zoom",
	"GET /api/config/geo-filter":        "The geo filter polygon",
	"PUT /api/config/geo-filter":        "Replace (or clear) the geo filter and save it to config.json",
	"GET /api/config/areas":             "Labelled areas",
	"GET /api/config/areas/polygons":    "Every area with its geometry",
	"GET /api/packets":                  "Packet list: filters, paging, grouped and multi-node modes",
	"POST /api/packets":                 "Inject a raw packet (stored by the ingestor via MQTT)",
	"GET /api/packets/timestamps":       "first_seen of packets after a time",
	"POST /api/packets/observations":    "Observations of up to 200 packets by hash",
	"GET /api/packets/{id}":             "One packet by hash, id or observation id, with its byte breakdown",
	"POST /api/decode":                  "Decode a raw packet (with byte breakdown)",
	"GET /api/nodes":                    "Node list: filters, sort, paging",
	"GET /api/nodes/search":             "Nodes by name or pubkey prefix",
	"GET /api/nodes/bulk-health":        "Health statistics of the most recently seen nodes",
	"GET /api/nodes/{pubkey}":           "One node and its recent adverts",
	"GET /api/nodes/{pubkey}/health":    "A node's observers and packet statistics",
	"GET /api/nodes/{pubkey}/paths":     "Paths through a node",
	"GET /api/nodes/{pubkey}/neighbors": "A node's neighbours from path adjacency",
	"GET /api/channels":                 "Channels with message counts",
	"GET /api/channels/{hash}/messages": "A channel's messages",
	"GET /api/observers":                "Active observers",
	"GET /api/observers/{id}":           "One observer",
	"GET /api/observer":                 "One observer by ?id= (for ids such as \"..\" that a URL path cannot carry)",
	"GET /api/resolve-hops":             "Hop prefixes → candidate nodes",
	"GET /api/traces/{hash}":            "Every observation of a packet, oldest first",
	"GET /api/iata-coords":              "Built-in airport coordinates",
}

// keyRoutes need the X-API-Key header.
var keyRoutes = map[string]bool{
	"PUT /api/config/geo-filter": true, "POST /api/packets": true, "POST /api/perf/reset": true,
}

var pathParam = regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)

// buildSpec renders an OpenAPI 3.1 document from the route table, so it
// lists exactly the routes that exist (the original documented parameters
// that did not), with response schemas generated from the proto/ contract
// (spec_schema.go) and the shared error shape.
func buildSpec(r *mux.Router, version string) ([]byte, error) {
	type param struct {
		Name     string            `json:"name"`
		In       string            `json:"in"`
		Required bool              `json:"required"`
		Schema   map[string]string `json:"schema"`
	}
	type op struct {
		Summary    string                `json:"summary"`
		Tags       []string              `json:"tags"`
		Parameters []param               `json:"parameters,omitempty"`
		Security   []map[string][]string `json:"security,omitempty"`
		Responses  map[string]any        `json:"responses"`
	}
	gen := newSchemaGen()
	errResp := map[string]any{"description": "Error: {\"error\": message}", "content": map[string]any{
		"application/json": map[string]any{"schema": gen.ref((&pb.Error{}).ProtoReflect().Descriptor(), false)}}}
	paths := map[string]map[string]op{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(tpl, "/api/") || strings.HasPrefix(tpl, "/api/docs") || tpl == "/api/spec" {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil
		}
		for _, m := range methods {
			if m == http.MethodHead {
				continue
			}
			key := m + " " + tpl
			ok := map[string]any{"description": "OK (see /api/docs)"}
			if d, found := routeResponses[key]; found {
				ok["content"] = map[string]any{"application/json": map[string]any{"schema": gen.response(d)}}
			}
			o := op{Summary: routeDocs[key], Responses: map[string]any{"200": ok, "default": errResp}}
			if o.Summary == "" {
				o.Summary = tpl
			}
			if parts := strings.Split(strings.TrimPrefix(tpl, "/api/"), "/"); len(parts) > 0 {
				o.Tags = []string{parts[0]}
			}
			for _, pm := range pathParam.FindAllStringSubmatch(tpl, -1) {
				o.Parameters = append(o.Parameters, param{Name: pm[1], In: "path", Required: true, Schema: map[string]string{"type": "string"}})
			}
			if keyRoutes[key] {
				o.Security = []map[string][]string{{"ApiKeyAuth": {}}}
			}
			p := pathParam.ReplaceAllString(tpl, "{$1}")
			if paths[p] == nil {
				paths[p] = map[string]op{}
			}
			paths[p][strings.ToLower(m)] = o
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]string{"title": "CoreScope API", "version": version, "description": "See /api/docs for shapes and semantics."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"ApiKeyAuth": map[string]string{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"schemas": gen.comps,
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func (s *Server) spec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeRaw(w, http.StatusOK, append(append([]byte{}, s.specDoc...), '\n'))
}
