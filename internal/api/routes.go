package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routes builds the whole HTTP surface. Every /api route is listed here, on
// one screen; unknown /api paths are 404 JSON and a wrong method is 405 JSON
// (the original fell through to the SPA with 200). Any request asking for a
// WebSocket upgrade goes to the hub, whatever its path (the SPA connects to
// "/").
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	// No path cleaning: "." and ".." are valid MQTT topic levels, hence
	// observer ids, and /api/observers/.. must reach its handler (mux would
	// redirect it to /api). Nothing else relies on cleaning: static files
	// clean their own paths.
	r.SkipClean(true)
	api := r.PathPrefix("/api").Subrouter()
	api.Use(s.measure)
	// gorilla/mux 1.8.1 loses the method mismatch across subrouters, so the
	// not-found handler checks the other methods itself.
	api.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allowed := allowedMethods(api, req); len(allowed) > 0 {
			s.methodNotAllowed(w, req)
			return
		}
		s.notFound(w, req)
	})
	api.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	s.apiRouter = api

	get := func(path string, h http.HandlerFunc) {
		api.HandleFunc(path, h).Methods(http.MethodGet, http.MethodHead)
	}
	post := func(path string, h http.HandlerFunc) { api.HandleFunc(path, h).Methods(http.MethodPost) }

	// health and stats
	get("/healthz", s.healthz)
	get("/health", s.health)
	get("/stats", s.stats)
	get("/perf", s.perfStats)
	post("/perf/reset", s.requireKey(s.perfReset))
	get("/perf/io", s.perfIO)
	get("/perf/write-sources", s.perfWriteSources)

	// config (API.md §5.1)
	get("/config/cache", s.configCache)
	get("/config/client", s.configClient)
	get("/config/regions", s.configRegions)
	get("/config/theme", s.configTheme)
	get("/config/map", s.configMap)
	get("/config/geo-filter", s.getGeoFilter)
	api.HandleFunc("/config/geo-filter", s.requireKey(s.putGeoFilter)).Methods(http.MethodPut)
	get("/config/areas", s.configAreas)
	get("/config/areas/polygons", s.configAreaPolygons)

	// packets and decode (§5.4)
	get("/packets", s.listPackets)
	post("/packets", s.requireKey(s.injectPacket))
	get("/packets/timestamps", s.packetTimestamps)
	post("/packets/observations", s.batchObservations)
	get("/packets/{id}", s.packetDetail)
	post("/decode", s.decode)

	// nodes (§5.5): fixed paths before {pubkey}
	get("/nodes", s.listNodes)
	get("/nodes/search", s.searchNodes)
	get("/nodes/bulk-health", s.bulkHealth)
	// node analytics (nodeanalytics.go): fixed paths first
	get("/nodes/network-status", s.networkStatus)
	get("/nodes/clock-skew", s.nodesClockSkew)
	get("/nodes/{pubkey}", s.getNode)
	get("/nodes/{pubkey}/health", s.nodeHealth)
	get("/nodes/{pubkey}/paths", s.nodePaths)
	get("/nodes/{pubkey}/neighbors", s.nodeNeighbors)
	get("/nodes/{pubkey}/analytics", s.nodeAnalytics)
	get("/nodes/{pubkey}/battery", s.nodeBattery)
	get("/nodes/{pubkey}/clock-skew", s.nodeClockSkew)

	// channels (§5.7)
	get("/channels", s.listChannels)
	get("/channels/{hash}/messages", s.channelMessages)

	// observers (§5.8)
	get("/observers", s.listObservers)
	// observer analytics (nodeanalytics.go): fixed paths before {id}
	get("/observers/clock-skew", s.observersClockSkew)
	get("/observers/metrics/summary", s.observerMetricsSummary)
	get("/observers/{id}", s.getObserver)
	get("/observers/{id}/analytics", s.observerAnalytics)
	get("/observers/{id}/metrics", s.observerMetrics)
	get("/observer", s.getObserver) // ?id= form for "." and ".." ids (issue 9)

	// mesh analytics (§5.6, /api/scope-stats): internal/analytics via analytics.go
	get("/analytics/roles", s.analyticsRoles)
	get("/analytics/rf", s.serveScope(s.an.rf))
	get("/analytics/topology", s.serveScope(s.an.topology))
	get("/analytics/channels", s.serveScope(s.an.channels))
	get("/analytics/distance", s.serveFilter(s.an.distance))
	get("/analytics/hash-sizes", s.serveFilter(s.an.hashSizes))
	get("/analytics/hash-collisions", s.serveFilter(s.an.hashCollisions))
	get("/analytics/subpaths", s.analyticsSubpaths)
	get("/analytics/subpaths-bulk", s.analyticsSubpathsBulk)
	get("/analytics/subpath-detail", s.analyticsSubpathDetail)
	get("/analytics/neighbor-graph", s.analyticsNeighborGraph)
	get("/scope-stats", s.scopeStats)

	// paths, hops, traces, misc (§5.9, §5.10)
	get("/resolve-hops", s.resolveHops)
	get("/traces/{hash}", s.traces)
	get("/iata-coords", s.iataCoords)
	get("/spec", s.spec)
	get("/docs", s.docs)
	get("/docs/API.md", s.docsMarkdown)

	// apimisc (issue 10 §2): operator routes, SQLite perf, paths, audio lab
	get("/perf/sqlite", s.perfSQLite)
	post("/admin/prune-geo-filter", s.requireKey(s.pruneGeoFilter))
	get("/admin/prune-geo-filter/status", s.requireKey(s.pruneStatus))
	get("/dropped-packets", s.requireKey(s.droppedPackets))
	get("/backup", s.requireKey(s.backup))
	post("/paths/inspect", s.pathsInspect)
	get("/audio-lab/buckets", s.audioLabBuckets)
	get("/debug/affinity", s.requireKey(s.debugAffinity))

	spec, err := buildSpec(r, s.version.Version)
	if err != nil {
		panic(err) // Walk over our own static table cannot fail
	}
	s.specDoc = spec

	var root http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if s.hub != nil && isUpgrade(req) {
			s.hub.ServeHTTP(w, req)
			return
		}
		if req.URL.Path == "/api" || strings.HasPrefix(req.URL.Path, "/api/") {
			// Here, not in measure: fallback 404/405 answers carry it too.
			w.Header().Set("X-CoreScope-Status", s.statusWord())
			if req.ContentLength > maxAPIBodyBytes {
				// Before any handler reads: no 100 Continue goes out (see decodeBody).
				s.writeError(w, req, errBodyTooLarge)
				return
			}
			req.Body = http.MaxBytesReader(w, req.Body, maxAPIBodyBytes)
			r.ServeHTTP(w, req)
			return
		}
		if req.URL.Path == "/metrics" { // Prometheus (ops.go)
			s.serveMetrics(w, req)
			return
		}
		s.static.ServeHTTP(w, req)
	})
	root = cors(s.cfg.CORSAllowedOrigins, root)
	if s.cfg.Compression.Gzip {
		root = newGzipper(s.cfg.Compression.Level, s.cfg.Compression.ContentTypes).wrap(root)
	}
	if s.cache != nil {
		root = s.cache.wrap(s, root) // outside gzip: keeps the compressed bytes
	}
	return s.static.securityHeaders(root)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, statusError(http.StatusNotFound, "unknown API endpoint: "+r.URL.Path))
}

// methodNotAllowed answers 405 with the Allow header (RFC 9110 §15.5.6).
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if allowed := allowedMethods(s.apiRouter, r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	s.writeError(w, r, statusError(http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path))
}

// probeMethods are the methods the route table uses, in Allow-header order.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut}

// allowedMethods lists the methods some route accepts for r's path.
func allowedMethods(api *mux.Router, r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		var rm mux.RouteMatch
		probe := r.Clone(r.Context())
		probe.Method = m
		if api.Match(probe, &rm) && rm.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
}
