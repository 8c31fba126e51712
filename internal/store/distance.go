package store

// DistanceKm is the great-circle distance between two nodes in km (2 dp),
// nil unless both have a real position (internal/inspect scores paths with
// it; the same function as the neighbours' distance_km).
func DistanceKm(a, b *Node) *float64 { return distanceKm(a, b) }
