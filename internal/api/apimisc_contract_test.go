package api

import (
	"encoding/json"
	"testing"

	pb "github.com/corescope/corescope/proto"
)

// apimiscContractCases are the contract cases of the operator routes,
// perf/sqlite, paths/inspect and audio-lab (the contract run sends the API
// key to every route in keyRoutes; msg nil = a binary download).
func apimiscContractCases(t *testing.T, base string) []contractCase {
	t.Helper()
	// Two-hop prefixes that resolve: the first two hops of a stored path.
	var pk struct {
		Packets []struct {
			PathJSON string `json:"path_json"`
		} `json:"packets"`
	}
	getJSON(t, base+"/api/packets?limit=500", 200, &pk)
	hops := `["ab"]`
	for _, p := range pk.Packets {
		var h []string
		if json.Unmarshal([]byte(p.PathJSON), &h) == nil && len(h) >= 2 && len(h[0]) == len(h[1]) {
			b, _ := json.Marshal(h[:2])
			hops = string(b)
			break
		}
	}
	return []contractCase{
		{"POST", "/api/paths/inspect", `{"prefixes":` + hops + `}`, 200, &pb.PathsInspect{}, asIs},
		{"POST", "/api/paths/inspect", `{"prefixes":["abc"]}`, 400, &pb.Error{}, asIs},
		{"GET", "/api/audio-lab/buckets", "", 200, &pb.AudioLabBuckets{}, audioBuckets},
		{"GET", "/api/debug/affinity", "", 200, &pb.DebugAffinity{}, asIs},
		{"GET", "/api/debug/affinity?prefix=zz", "", 400, &pb.Error{}, asIs},
		{"GET", "/api/perf/sqlite", "", 200, &pb.PerfSqlite{}, asIs},
		{"GET", "/api/dropped-packets", "", 200, &pb.DroppedPacketList{}, items},
		{"POST", "/api/admin/prune-geo-filter", "", 200, &pb.PruneGeoFilter{}, asIs},
		{"GET", "/api/admin/prune-geo-filter/status?id=0123abcd", "", 404, &pb.Error{}, asIs},
		{"GET", "/api/backup", "", 200, nil, asIs},
	}
}
