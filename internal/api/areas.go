package api

import (
	"net/url"
	"strings"

	"github.com/corescope/corescope/internal/config"
)

// areaFunc tests whether a point lies in a configured area.
type areaFunc func(lat, lon float64) bool

// buildAreas turns config `areas` into point tests, once at startup:
// a polygon of [lat, lon] points (ray casting; antimeridian crossing not
// supported, as in the original) or a lat/lon box.
func buildAreas(areas map[string]config.Area) map[string]areaFunc {
	out := make(map[string]areaFunc, len(areas))
	for key, a := range areas {
		switch {
		case len(a.Polygon) >= 3:
			poly := make([][2]float64, 0, len(a.Polygon))
			for _, p := range a.Polygon {
				if len(p) == 2 {
					poly = append(poly, [2]float64{p[0], p[1]})
				}
			}
			out[key] = func(lat, lon float64) bool { return inPolygon(poly, lat, lon) }
		case a.LatMin != nil && a.LatMax != nil && a.LonMin != nil && a.LonMax != nil:
			latMin, latMax, lonMin, lonMax := *a.LatMin, *a.LatMax, *a.LonMin, *a.LonMax
			out[key] = func(lat, lon float64) bool {
				return lat >= latMin && lat <= latMax && lon >= lonMin && lon <= lonMax
			}
		}
	}
	return out
}

// inPolygon is the even-odd ray casting test with lat as y and lon as x.
func inPolygon(poly [][2]float64, lat, lon float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		yi, xi := poly[i][0], poly[i][1]
		yj, xj := poly[j][0], poly[j][1]
		if (yi > lat) != (yj > lat) && lon < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
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
