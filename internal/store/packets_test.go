package store

import (
	"math/rand"
	"testing"
)

func TestIntersectTxMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	all := make([]*Transmission, 500)
	for i := range all {
		all[i] = &Transmission{ID: int64(i*3 + 1)}
	}
	pick := func(p float64) []*Transmission {
		var out []*Transmission
		for _, t := range all {
			if r.Float64() < p {
				out = append(out, t)
			}
		}
		return out
	}
	for trial := 0; trial < 50; trial++ {
		a, b := pick(r.Float64()), pick(r.Float64())
		in := map[int64]bool{}
		for _, t := range b {
			in[t.ID] = true
		}
		var want []int64
		for _, t := range a {
			if in[t.ID] {
				want = append(want, t.ID)
			}
		}
		got := intersectTx(a, b)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d elements, want %d", trial, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i] {
				t.Fatalf("trial %d: element %d = %d, want %d", trial, i, got[i].ID, want[i])
			}
		}
	}
}
