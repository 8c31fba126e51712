package config

import "testing"

func TestGeoFilterAndAreaContains(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	square := [][]float64{{47, -123}, {48, -123}, {48, -122}, {47, -122}}
	poly := (&GeoFilter{Polygon: square, BufferKm: 10}).Contains()
	box := (&GeoFilter{LatMin: f(30), LatMax: f(40), LonMin: f(-125), LonMax: f(-115)}).Contains()
	area := Area{Polygon: square}.Contains()
	tests := []struct {
		name     string
		in       func(lat, lon float64) bool
		lat, lon float64
		want     bool
	}{
		{"inside polygon", poly, 47.5, -122.5, true},
		{"outside polygon", poly, 45, -122.5, false},
		{"within buffer", poly, 47.5, -123.1, true}, // ~7.5 km west of the edge
		{"beyond buffer", poly, 47.5, -123.3, false},
		{"zero position passes the geo filter", poly, 0, 0, true},
		{"inside box", box, 35, -120, true},
		{"outside box", box, 45, -120, false},
		{"area inside", area, 47.5, -122.5, true},
		{"area has no buffer", area, 47.5, -123.1, false},
		{"area: zero position is a position", area, 0, 0, false},
	}
	for _, tc := range tests {
		if got := tc.in(tc.lat, tc.lon); got != tc.want {
			t.Errorf("%s: contains(%v,%v) = %v, want %v", tc.name, tc.lat, tc.lon, got, tc.want)
		}
	}
	var none *GeoFilter
	if none.Contains() != nil {
		t.Error("nil geo filter must mean no filter")
	}
	if (&GeoFilter{Polygon: [][]float64{{1, 2}}}).Contains() != nil {
		t.Error("a 1-point polygon without a box must mean no filter")
	}
	if (Area{Label: "x", LatMin: f(1)}).Contains() != nil {
		t.Error("an incomplete box must mean no area")
	}
}
