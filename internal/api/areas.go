package api

import (
	"net/url"
	"strings"

	"github.com/corescope/corescope/internal/config"
)

// areaFunc tests whether a point lies in a configured area.
type areaFunc func(lat, lon float64) bool

// buildAreas turns config `areas` into point tests, once at startup, with the
// same test the ingestor uses (config.Area.Contains: polygon of [lat, lon]
// points, else a lat/lon box). Areas defining neither are left out.
func buildAreas(areas map[string]config.Area) map[string]areaFunc {
	out := make(map[string]areaFunc, len(areas))
	for key, a := range areas {
		if f := a.Contains(); f != nil {
			out[key] = f
		}
	}
	return out
}

// areaParam resolves `area` to its key and point test; an unknown key turns
// the filter off (API.md §0.4).
func (s *Server) areaParam(q url.Values) (string, areaFunc) {
	key := strings.TrimSpace(q.Get("area"))
	if key == "" {
		return "", nil
	}
	f, ok := s.areas[key]
	if !ok {
		return "", nil
	}
	return key, f
}
