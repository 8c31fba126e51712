package ingest

import (
	"math"

	"github.com/corescope/corescope/internal/config"
)

// geoFilter is the ingest-side advert geo filter of INGEST §9.
type geoFilter struct {
	poly     [][2]float64 // [lat, lon]
	bufferKm float64
	box      *[4]float64 // latMin, latMax, lonMin, lonMax
}

// newGeoFilter returns nil when cfg is nil or defines no usable area.
func newGeoFilter(cfg *config.GeoFilter) *geoFilter {
	if cfg == nil {
		return nil
	}
	g := &geoFilter{bufferKm: cfg.BufferKm}
	for _, p := range cfg.Polygon {
		if len(p) >= 2 {
			g.poly = append(g.poly, [2]float64{p[0], p[1]})
		}
	}
	if len(g.poly) < 3 {
		g.poly = nil
		if cfg.LatMin == nil || cfg.LatMax == nil || cfg.LonMin == nil || cfg.LonMax == nil {
			return nil
		}
		g.box = &[4]float64{*cfg.LatMin, *cfg.LatMax, *cfg.LonMin, *cfg.LonMax}
	}
	return g
}

// contains reports whether an advert position passes the filter. (0,0) is
// "no real position" and always passes.
func (g *geoFilter) contains(lat, lon float64) bool {
	if g == nil || (lat == 0 && lon == 0) {
		return true
	}
	if g.poly != nil {
		return pointInPolygon(lat, lon, g.poly) || (g.bufferKm > 0 && nearEdge(lat, lon, g.poly, g.bufferKm))
	}
	b := g.box
	return lat >= b[0] && lat <= b[1] && lon >= b[2] && lon <= b[3]
}

// pointInPolygon is the even-odd ray casting test.
func pointInPolygon(lat, lon float64, poly [][2]float64) bool {
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

// nearEdge reports whether the point is within km of any polygon edge, with
// the flat-earth approximation of the reference (111 km per degree, longitude
// scaled by cos(lat)).
func nearEdge(lat, lon float64, poly [][2]float64, km float64) bool {
	kx := 111 * math.Cos(lat*math.Pi/180)
	const ky = 111.0
	px, py := lon*kx, lat*ky
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		ax, ay := poly[j][1]*kx, poly[j][0]*ky
		bx, by := poly[i][1]*kx, poly[i][0]*ky
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
		}
		cx, cy := ax+t*dx-px, ay+t*dy-py
		if math.Hypot(cx, cy) <= km {
			return true
		}
	}
	return false
}
