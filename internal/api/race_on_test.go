//go:build race

package api

// raceEnabled: the race detector slows SQLite (pure Go) by an order of
// magnitude, so timing thresholds widen.
const raceEnabled = true
