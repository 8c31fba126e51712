package analytics

import (
	"testing"
	"time"

	"github.com/corescope/corescope/internal/store"
)

func TestBetweennessKnownGraphs(t *testing.T) {
	// a - b - c - d, plus e hanging off b: b lies on a–c, a–d, a–e, c–e, d–e
	// (5 of the 6 pairs without it), c on a–d, b–d, d–e (3 of 6).
	got := Betweenness([][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}, {"b", "e"}, {"c", "b"}})
	want := map[string]float64{"a": 0, "b": 5.0 / 6, "c": 3.0 / 6, "d": 0, "e": 0}
	for k, v := range want {
		if d := got[k] - v; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// A cycle has no bridge beyond the shared shortest paths: square a-b-c-d.
	sq := Betweenness([][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "a"}})
	for k, v := range sq {
		if d := v - 1.0/6; d > 1e-9 || d < -1e-9 {
			t.Errorf("square %s = %v, want 1/6", k, v)
		}
	}
}

// TestNodeScoresHandMesh: node 2 relays every message (share 1), the others
// none; every advert was sent with 1-byte hashes.
func TestNodeScoresHandMesh(t *testing.T) {
	m := newHandMesh(t)
	st := m.run(t)
	var adverts []*store.Transmission
	for _, tx := range st.Transmissions() {
		if tx.PayloadType == 4 {
			adverts = append(adverts, tx)
		}
	}
	sc := ComputeNodeScores(NodeScoresInput{Txs: st.Transmissions(), Adverts: adverts, Now: m.now, Window: 24 * time.Hour,
		Edges: [][2]string{{m.nodes[0], m.nodes[2]}, {m.nodes[2], m.nodes[1]}}})
	if s := sc[m.nodes[2]]; s.TrafficShare == nil || *s.TrafficShare != 1 || s.Bridge == nil || *s.Bridge != 1 {
		t.Fatalf("node 2 scores %+v", s)
	}
	for _, i := range []int{0, 1, 3} {
		s := sc[m.nodes[i]]
		if s.TrafficShare != nil || s.MultiByteStatus != "unknown" || s.MultiByteMaxHashSize != 1 {
			t.Errorf("node %d scores %+v", i, s)
		}
	}
	if advertHashSize([]byte{0x11, 0x80}) != 3 || advertHashSize([]byte{0x10, 1, 2, 3, 4, 0x40}) != 2 {
		t.Error("advertHashSize misreads the path-length byte")
	}
}
