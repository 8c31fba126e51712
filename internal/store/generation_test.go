package store

import "testing"

// TestSetNodeScoresMovesGenerationOnlyOnChange: the recomputer rebuilds when
// the generation moves, so republishing identical scores must not move it
// (else every pass triggers the next one).
func TestSetNodeScoresMovesGenerationOnlyOnChange(t *testing.T) {
	s := &Store{}
	share := 0.5
	s.SetNodeScores(map[string]NodeScores{"aa": {TrafficShare: &share}})
	g := s.Generation()
	same := 0.5
	s.SetNodeScores(map[string]NodeScores{"aa": {TrafficShare: &same}})
	if s.Generation() != g {
		t.Fatalf("identical scores moved the generation %d → %d", g, s.Generation())
	}
	other := 0.6
	s.SetNodeScores(map[string]NodeScores{"aa": {TrafficShare: &other}})
	if s.Generation() == g {
		t.Fatal("changed scores did not move the generation")
	}
}
