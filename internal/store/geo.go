package store

import "github.com/corescope/corescope/internal/config"

// The geo filter (config geo_filter, API.md §5.5) hides nodes whose advertised
// position lies outside the operator's region from the node lists (Nodes,
// SearchNodes). Nodes without GPS (or at 0,0) and nodes the ingestor flagged
// `foreign` are always kept, as in the original: the UI shows foreign nodes
// with their flag. It is applied before paging, so `total` counts the
// filtered list (the original filtered the SQL page and then replaced total
// by the rows left on that page).

// geoTest is the compiled point test; a nil contains means no filter.
type geoTest struct {
	contains func(lat, lon float64) bool
}

// SetGeoFilter replaces the geo filter (nil or an unusable shape = off). Safe
// to call at any time: readers see the old or the new filter, never a mix.
func (s *Store) SetGeoFilter(g *config.GeoFilter) {
	s.geo.Store(&geoTest{contains: g.Contains()})
}

// geoKeep reports whether the node passes the current geo filter.
func (s *Store) geoKeep(g *geoTest, n *Node) bool {
	if g == nil || g.contains == nil || n.Foreign || !hasGPS(n) {
		return true
	}
	return g.contains(n.Lat.V, n.Lon.V)
}
