package main

import "testing"

// TestSoftLimitLeavesBoundedHeadroom: the automatic limit stays within
// 1.25× live + 48 MiB, so a burst of large responses cannot double RSS.
func TestSoftLimitLeavesBoundedHeadroom(t *testing.T) {
	for _, live := range []int64{0, 10 << 20, 130 << 20, 1 << 30} {
		got := softLimit(live)
		if got < live+48<<20 || got > live*5/4+48<<20 {
			t.Errorf("softLimit(%d MiB) = %d MiB", live>>20, got>>20)
		}
	}
}
