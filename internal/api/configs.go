package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/corescope/corescope/internal/config"
)

// Config endpoints (API.md §5.1): everything here is derived from the
// config loaded at startup (plus theme.json, re-read per request as the
// original did, so operators can restyle without a restart).

//go:embed assets/iata-coords.json
var iataCoords []byte

func (s *Server) iataCoords(w http.ResponseWriter, _ *http.Request) {
	writeRaw(w, http.StatusOK, iataCoords)
}

func (s *Server) configCache(w http.ResponseWriter, _ *http.Request) {
	if len(s.cfg.CacheTTL) == 0 || string(s.cfg.CacheTTL) == "null" {
		writeRaw(w, http.StatusOK, []byte("{}\n"))
		return
	}
	writeRaw(w, http.StatusOK, append(append([]byte{}, s.cfg.CacheTTL...), '\n'))
}

type healthThresholdsMs struct {
	InfraDegradedMs int64 `json:"infraDegradedMs"`
	InfraSilentMs   int64 `json:"infraSilentMs"`
	NodeDegradedMs  int64 `json:"nodeDegradedMs"`
	NodeSilentMs    int64 `json:"nodeSilentMs"`
}

type clientConfig struct {
	Roles               json.RawMessage    `json:"roles"`
	HealthThresholds    healthThresholdsMs `json:"healthThresholds"`
	Tiles               json.RawMessage    `json:"tiles"`
	SNRThresholds       json.RawMessage    `json:"snrThresholds"`
	DistThresholds      json.RawMessage    `json:"distThresholds"`
	MaxHopDist          *float64           `json:"maxHopDist"`
	Limits              json.RawMessage    `json:"limits"`
	PerfSlowMs          *int               `json:"perfSlowMs"`
	WSReconnectMs       *int               `json:"wsReconnectMs"`
	CacheInvalidateMs   *int               `json:"cacheInvalidateMs"`
	ExternalURLs        json.RawMessage    `json:"externalUrls"`
	PropagationBufferMs int                `json:"propagationBufferMs"`
	Timestamps          config.Timestamps  `json:"timestamps"`
	DebugAffinity       bool               `json:"debugAffinity,omitempty"`
	MapDarkTileProvider string             `json:"mapDarkTileProvider,omitempty"`
}

func rawOrNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

func hoursToMs(h float64) int64 { return int64(math.Round(h * 3600 * 1000)) }

func (s *Server) configClient(w http.ResponseWriter, _ *http.Request) {
	c := s.cfg
	ht := c.HealthThresholds
	pb := c.LiveMap.PropagationBufferMs
	if pb <= 0 {
		pb = 5000
	}
	writeJSON(w, http.StatusOK, clientConfig{
		Roles: rawOrNull(c.Roles),
		HealthThresholds: healthThresholdsMs{
			InfraDegradedMs: hoursToMs(ht.InfraDegradedHours), InfraSilentMs: hoursToMs(ht.InfraSilentHours),
			NodeDegradedMs: hoursToMs(ht.NodeDegradedHours), NodeSilentMs: hoursToMs(ht.NodeSilentHours),
		},
		Tiles: rawOrNull(c.Tiles), SNRThresholds: rawOrNull(c.SNRThresholds), DistThresholds: rawOrNull(c.DistThresholds),
		MaxHopDist: c.MaxHopDist, Limits: rawOrNull(c.Limits), PerfSlowMs: c.PerfSlowMs,
		WSReconnectMs: c.WSReconnectMs, CacheInvalidateMs: c.CacheInvalidateMs,
		ExternalURLs: rawOrNull(c.ExternalURLs), PropagationBufferMs: pb, Timestamps: c.Timestamps,
		DebugAffinity: c.DebugAffinity, MapDarkTileProvider: c.MapDarkTileProvider,
	})
}

// configRegions serves the IATA → label map: configured regions plus every
// observer IATA code (label = the code).
func (s *Server) configRegions(w http.ResponseWriter, _ *http.Request) {
	out := make(map[string]string, len(s.cfg.Regions))
	for k, v := range s.cfg.Regions {
		out[k] = v
	}
	if st, err := s.getStore(); err == nil {
		for _, code := range st.ObserverIATAs() {
			if _, ok := out[code]; !ok && code != "" {
				out[code] = code
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type mapConfig struct {
	Center []float64 `json:"center"`
	Zoom   int       `json:"zoom"`
}

func (s *Server) configMap(w http.ResponseWriter, _ *http.Request) {
	m := mapConfig{Center: []float64{37.45, -122.0}, Zoom: 9}
	if len(s.cfg.MapDefaults.Center) == 2 {
		m.Center = s.cfg.MapDefaults.Center
	}
	if s.cfg.MapDefaults.Zoom > 0 {
		m.Zoom = s.cfg.MapDefaults.Zoom
	}
	writeJSON(w, http.StatusOK, m)
}

// areaItem is an area of /api/config/areas/polygons: its key, then the
// config fields (label, polygon or box) flattened by encoding/json.
type areaItem struct {
	Key string `json:"key"`
	config.Area
}

// configAreas lists labelled areas in a stable order (by key; the original
// used map order).
func (s *Server) configAreas(w http.ResponseWriter, _ *http.Request) {
	type item struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	}
	out := []item{}
	for _, k := range sortedAreaKeys(s.cfg.Areas) {
		if a := s.cfg.Areas[k]; a.Label != "" {
			out = append(out, item{Key: k, Label: a.Label})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) configAreaPolygons(w http.ResponseWriter, _ *http.Request) {
	out := []areaItem{}
	for _, k := range sortedAreaKeys(s.cfg.Areas) {
		a := s.cfg.Areas[k]
		out = append(out, areaItem{Key: k, Area: a})
	}
	writeJSON(w, http.StatusOK, out)
}

func sortedAreaKeys(m map[string]config.Area) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// geoFilterBody is GET/PUT /api/config/geo-filter.
type geoFilterBody struct {
	Polygon      [][]float64 `json:"polygon"`
	BufferKm     float64     `json:"bufferKm"`
	WriteEnabled *bool       `json:"writeEnabled,omitempty"`
}

func (s *Server) getGeoFilter(w http.ResponseWriter, _ *http.Request) {
	strong := s.cfg.APIKeyStrong()
	out := geoFilterBody{WriteEnabled: &strong}
	if gf := s.geoFilter.Load(); gf != nil && len(gf.Polygon) >= 3 {
		out.Polygon, out.BufferKm = gf.Polygon, gf.BufferKm
	}
	writeJSON(w, http.StatusOK, out)
}

// putGeoFilter validates and saves the polygon into config.json (atomic
// rewrite, other keys preserved), then swaps the in-memory filter.
func (s *Server) putGeoFilter(w http.ResponseWriter, r *http.Request) {
	var body geoFilterBody
	if err := decodeBody(r, 1<<20, &body); err != nil {
		if _, msg := statusOf(err); msg == "invalid JSON body" {
			err = badRequest("invalid JSON")
		}
		s.writeError(w, r, err)
		return
	}
	if err := validateGeoFilter(body); err != nil {
		s.writeError(w, r, err)
		return
	}
	var gf *config.GeoFilter
	if len(body.Polygon) > 0 {
		gf = &config.GeoFilter{Polygon: body.Polygon, BufferKm: body.BufferKm}
	}
	s.geoMu.Lock()
	err := saveGeoFilter(s.configPath, gf)
	if err == nil {
		s.geoFilter.Store(gf)
		if b := s.store.Load(); b != nil {
			b.s.SetGeoFilter(gf)
		}
		if s.cache != nil {
			s.cache.clear() // node lists depend on the filter, not the generation
		}
	}
	s.geoMu.Unlock()
	if err != nil {
		s.log.Error("save geo filter", "path", s.configPath, "err", err)
		s.writeError(w, r, statusError(http.StatusInternalServerError, "failed to save config"))
		return
	}
	out := geoFilterBody{}
	if gf != nil {
		out.Polygon, out.BufferKm = gf.Polygon, gf.BufferKm
	}
	writeJSON(w, http.StatusOK, out)
}

func validateGeoFilter(b geoFilterBody) error {
	n := len(b.Polygon)
	if n > 0 && n < 3 {
		return badRequest("polygon must have at least 3 points")
	}
	if n > 1000 {
		return badRequest("polygon must have at most 1000 points")
	}
	for i, p := range b.Polygon {
		if len(p) != 2 || !finite(p[0]) || !finite(p[1]) || p[0] < -90 || p[0] > 90 || p[1] < -180 || p[1] > 180 {
			return badRequest("polygon point %d must be [lat, lon] with lat in [-90, 90] and lon in [-180, 180]", i)
		}
	}
	if !finite(b.BufferKm) || b.BufferKm < 0 || b.BufferKm > 20000 {
		return badRequest("bufferKm must be between 0 and 20000")
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// saveGeoFilter rewrites path with geo_filter replaced (or removed), keeping
// every other key byte for byte, via a temp file and rename.
func saveGeoFilter(path string, gf *config.GeoFilter) error {
	if path == "" {
		return errors.New("no config file path")
	}
	doc := map[string]json.RawMessage{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, &doc); err != nil {
				return fmt.Errorf("parse %s: %w", path, err)
			}
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("read %s: %w", path, err)
	}
	if gf == nil {
		delete(doc, "geo_filter")
	} else {
		enc, err := json.Marshal(gf)
		if err != nil {
			return fmt.Errorf("encode geo_filter: %w", err)
		}
		doc["geo_filter"] = enc
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeFileAtomic(path, append(out, '\n'))
}

// themeSections are the keys of /api/config/theme, each built-in defaults ←
// config.json ← theme.json (shallow merge per section).
var themeSections = []string{"branding", "theme", "themeDark", "nodeColors", "typeColors", "home"}

func (s *Server) configTheme(w http.ResponseWriter, r *http.Request) {
	out := map[string]map[string]json.RawMessage{}
	for _, sec := range themeSections {
		out[sec] = map[string]json.RawMessage{}
		mergeSection(out[sec], defaultTheme[sec])
	}
	c := s.cfg
	for sec, raw := range map[string]json.RawMessage{
		"branding": c.Branding, "theme": c.Theme, "themeDark": c.ThemeDark,
		"nodeColors": c.NodeColors, "typeColors": c.TypeColors, "home": c.Home,
	} {
		mergeSection(out[sec], raw)
	}
	if data, path := s.readThemeFile(); data != nil {
		var file map[string]json.RawMessage
		if err := json.Unmarshal(data, &file); err != nil {
			s.log.Warn("theme.json is not valid JSON; ignoring it", "path", path, "err", err)
		} else {
			for _, sec := range themeSections {
				mergeSection(out[sec], file[sec])
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// mergeSection overlays the keys of a JSON object onto dst; anything that is
// not an object is ignored.
func mergeSection(dst map[string]json.RawMessage, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	for k, v := range m {
		if !strings.HasPrefix(k, "_comment") {
			dst[k] = v
		}
	}
}

func (s *Server) readThemeFile() ([]byte, string) {
	for _, p := range []string{filepath.Join(s.configDir, "theme.json"), filepath.Join(s.configDir, "data", "theme.json")} {
		if b, err := os.ReadFile(p); err == nil {
			return b, p
		}
	}
	return nil, ""
}
