package api

import (
	"testing"

	pb "github.com/corescope/corescope/proto"
)

// apimiscContractCases are the contract cases of the operator routes,
// perf/sqlite, paths/inspect and audio-lab (the contract run sends the API
// key to every route in keyRoutes; msg nil = a binary download).
func apimiscContractCases(t *testing.T, base string) []contractCase {
	t.Helper()
	return []contractCase{
		{"GET", "/api/perf/sqlite", "", 200, &pb.PerfSqlite{}, asIs},
		{"GET", "/api/dropped-packets", "", 200, &pb.DroppedPacketList{}, items},
		{"POST", "/api/admin/prune-geo-filter", "", 200, &pb.PruneGeoFilter{}, asIs},
		{"GET", "/api/admin/prune-geo-filter/status?id=0123abcd", "", 404, &pb.Error{}, asIs},
		{"GET", "/api/backup", "", 200, nil, asIs},
	}
}
