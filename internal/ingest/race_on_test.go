//go:build race

package ingest_test

// raceEnabled: timing bounds are not meaningful under the race detector
// (10× slower) on a shared machine; the tests then log them instead.
const raceEnabled = true
