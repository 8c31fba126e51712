package config

import "math"

// Point tests for the configured geographic areas, shared by the ingestor's
// advert geo filter (INGEST §9) and the server's `areas` and node-list geo
// filter, so the two sides never disagree about where a node is.
// Polygons are [lat, lon] points, tested with even-odd ray casting in plain
// degrees (antimeridian crossing is not supported, as in the original).

// Contains returns the point test of the geo filter: inside the polygon (or
// within BufferKm of its edge), else inside the lat/lon box. (0,0) is "no real
// position" and always passes. It returns nil when g is nil or defines no
// usable area (a polygon needs 3 points; a box needs all four bounds).
func (g *GeoFilter) Contains() func(lat, lon float64) bool {
	if g == nil {
		return nil
	}
	in := areaTest(g.Polygon, g.LatMin, g.LatMax, g.LonMin, g.LonMax, g.BufferKm)
	if in == nil {
		return nil
	}
	return func(lat, lon float64) bool { return (lat == 0 && lon == 0) || in(lat, lon) }
}

// Contains returns the point test of the area (polygon, else box), or nil
// when it defines neither.
func (a Area) Contains() func(lat, lon float64) bool {
	return areaTest(a.Polygon, a.LatMin, a.LatMax, a.LonMin, a.LonMax, 0)
}

func areaTest(polygon [][]float64, latMin, latMax, lonMin, lonMax *float64, bufferKm float64) func(lat, lon float64) bool {
	poly := make([][2]float64, 0, len(polygon))
	for _, p := range polygon {
		if len(p) >= 2 {
			poly = append(poly, [2]float64{p[0], p[1]})
		}
	}
	if len(poly) >= 3 {
		return func(lat, lon float64) bool {
			return inPolygon(lat, lon, poly) || (bufferKm > 0 && nearEdge(lat, lon, poly, bufferKm))
		}
	}
	if latMin == nil || latMax == nil || lonMin == nil || lonMax == nil {
		return nil
	}
	b0, b1, b2, b3 := *latMin, *latMax, *lonMin, *lonMax
	return func(lat, lon float64) bool { return lat >= b0 && lat <= b1 && lon >= b2 && lon <= b3 }
}

// inPolygon is the even-odd ray casting test with lat as y and lon as x.
func inPolygon(lat, lon float64, poly [][2]float64) bool {
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
