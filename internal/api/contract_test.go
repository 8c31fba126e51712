package api

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	pb "github.com/corescope/corescope/proto"
)

// strict rejects any JSON key the contract does not define.
var strict = protojson.UnmarshalOptions{DiscardUnknown: false}

// wrap adapts bodies protojson cannot take as they are: bare arrays become
// {"items": …}, bare maps {"entries": …}, and the arrays inside the batch
// observations map (and the audio-lab buckets map) {"items": …}.
type wrap int

const (
	asIs wrap = iota
	items
	entries
	batchResults
	audioBuckets
)

func adapt(t *testing.T, body []byte, w wrap) []byte {
	t.Helper()
	switch w {
	case items:
		return []byte(`{"items":` + string(body) + `}`)
	case entries:
		return []byte(`{"entries":` + string(body) + `}`)
	case batchResults:
		return wrapMapOfLists(t, body, "results")
	case audioBuckets:
		return wrapMapOfLists(t, body, "buckets")
	}
	return body
}

// wrapMapOfLists turns {key: {name: [...]}} into {key: {name: {"items": [...]}}}.
func wrapMapOfLists(t *testing.T, body []byte, key string) []byte {
	t.Helper()
	var in map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("%s body: %v", key, err)
	}
	out := map[string]map[string]json.RawMessage{key: {}}
	for k, v := range in[key] {
		out[key][k] = json.RawMessage(`{"items":` + string(v) + `}`)
	}
	b, _ := json.Marshal(out)
	return b
}

// TestContractEveryEndpoint requests every endpoint on the fixture database
// (written by the original CoreScope) and decodes each response into its
// proto message with unknown fields rejected.
func TestContractEveryEndpoint(t *testing.T) {
	contractRun(t, fixtureDB(t), 1)
}

// TestContractOnMeshsimDatabase runs the same checks on a database our own
// ingestor filled from meshsim traffic through Mosquitto (resolved paths,
// decrypted channels, observer status fields the fixture lacks).
func TestContractOnMeshsimDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	sim := meshsim.New(meshsim.Options{Seed: 11, Nodes: 60, Observers: 4, Duration: time.Hour, End: time.Now().UTC().Truncate(time.Second)})
	var msgs []ingesttest.Message
	for _, m := range sim.Generate(300) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
	}
	ingesttest.Fill(t, path, msgs)
	contractRun(t, path, 1)
}

// contractRun checks every endpoint on dbPath; minRelayed repeater rows must
// show last_relayed.
func contractRun(t *testing.T, dbPath string, minRelayed int) {
	dir := t.TempDir()
	cfg := testConfig(func(c *config.Config) {
		c.APIKey = "a-very-strong-key-0123"
		c.Areas = map[string]config.Area{"bay": {Label: "Bay", Polygon: [][]float64{{37, -123}, {38, -123}, {38, -121}}}}
		c.Regions = map[string]string{"SJC": "San Jose"}
		c.DBPath = dbPath // admin routes read it
		// The whole world: prune-geo-filter previews, node lists stay whole.
		c.GeoFilter = &config.GeoFilter{Polygon: [][]float64{{-89, -179}, {89, -179}, {89, 179}, {-89, 179}}}
	})
	st := runStore(t, dbPath, nil)
	_, ts := newServer(t, cfg, st, func(o *Options) {
		o.Publisher = &recordingPublisher{}
		o.ConfigPath = dir + "/config.json"
		o.IngestorStatsPath = writeStatsFile(t, dir)
	})

	// Pick real keys from the data.
	var pkts struct {
		Packets []struct {
			ID   int64  `json:"id"`
			Hash string `json:"hash"`
		} `json:"packets"`
	}
	getJSON(t, ts.URL+"/api/packets?limit=1", 200, &pkts)
	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	getJSON(t, ts.URL+"/api/nodes?limit=1&sortBy=packetCount", 200, &nodes)
	var obs struct {
		Observers []struct {
			ID string `json:"id"`
		} `json:"observers"`
	}
	getJSON(t, ts.URL+"/api/observers", 200, &obs)
	var chans struct {
		Channels []struct {
			Hash string `json:"hash"`
		} `json:"channels"`
	}
	getJSON(t, ts.URL+"/api/channels?includeEncrypted=true", 200, &chans)
	if len(pkts.Packets) == 0 || len(nodes.Nodes) == 0 || len(obs.Observers) == 0 || len(chans.Channels) == 0 {
		t.Fatalf("fixture lacks data: %d packets, %d nodes, %d observers, %d channels",
			len(pkts.Packets), len(nodes.Nodes), len(obs.Observers), len(chans.Channels))
	}
	hash, pk := pkts.Packets[0].Hash, nodes.Nodes[0].PublicKey
	key := map[string]string{"X-API-Key": "a-very-strong-key-0123"}

	cases := []struct {
		method, path, body string
		status             int
		msg                proto.Message
		wrap               wrap
	}{
		{"GET", "/api/healthz", "", 200, &pb.Healthz{}, asIs},
		{"GET", "/api/health", "", 200, &pb.Health{}, asIs},
		{"GET", "/api/stats", "", 200, &pb.Stats{}, asIs},
		{"GET", "/api/perf", "", 200, &pb.Perf{}, asIs},
		{"GET", "/api/perf/io", "", 200, &pb.PerfIO{}, asIs},
		{"GET", "/api/perf/write-sources", "", 200, &pb.WriteSources{}, asIs},
		{"GET", "/api/config/cache", "", 200, &structpb.Struct{}, asIs},
		{"GET", "/api/config/client", "", 200, &pb.ConfigClient{}, asIs},
		{"GET", "/api/config/regions", "", 200, &pb.ConfigRegionsMap{}, entries},
		{"GET", "/api/config/theme", "", 200, &pb.ConfigTheme{}, asIs},
		{"GET", "/api/config/map", "", 200, &pb.ConfigMap{}, asIs},
		{"GET", "/api/config/geo-filter", "", 200, &pb.GeoFilter{}, asIs},
		{"GET", "/api/config/areas", "", 200, &pb.AreaList{}, items},
		{"GET", "/api/config/areas/polygons", "", 200, &pb.AreaList{}, items},
		{"GET", "/api/packets", "", 200, &pb.PacketList{}, asIs},
		{"GET", "/api/packets?limit=2000&expand=observations&since=2020-01-01T00:00:00Z", "", 200, &pb.PacketList{}, asIs},
		{"GET", "/api/packets?type=5&limit=1000", "", 200, &pb.PacketList{}, asIs},
		{"GET", "/api/packets?groupByHash=true&limit=100", "", 200, &pb.GroupedList{}, asIs},
		{"GET", "/api/packets?nodes=" + pk, "", 200, &pb.PacketList{}, asIs},
		{"GET", "/api/packets/timestamps?since=2020-01-01T00:00:00Z", "", 200, &pb.StringList{}, items},
		{"GET", "/api/packets/" + hash, "", 200, &pb.PacketDetail{}, asIs},
		{"GET", "/api/packets/" + strconv.FormatInt(pkts.Packets[0].ID, 10), "", 200, &pb.PacketDetail{}, asIs},
		{"POST", "/api/packets/observations", `{"hashes":["` + hash + `","0000000000000000"]}`, 200, &pb.BatchObservations{}, batchResults},
		{"POST", "/api/decode", `{"hex":"` + goldenTxtMsg + `"}`, 200, &pb.Decode{}, asIs},
		{"POST", "/api/packets", `{"hex":"` + goldenTxtMsg + `"}`, 200, &pb.Inject{}, asIs},
		{"GET", "/api/nodes?limit=2000", "", 200, &pb.NodeList{}, asIs},
		{"GET", "/api/nodes/search?q=" + pk[:4], "", 200, &pb.NodeSearch{}, asIs},
		{"GET", "/api/nodes/bulk-health?limit=200", "", 200, &pb.BulkHealthList{}, items},
		{"GET", "/api/nodes?area=bay&limit=100", "", 200, &pb.NodeList{}, asIs},
		{"GET", "/api/packets?area=bay&limit=100", "", 200, &pb.PacketList{}, asIs},
		{"GET", "/api/nodes/" + pk, "", 200, &pb.NodeDetail{}, asIs},
		{"GET", "/api/nodes/" + pk + "/health", "", 200, &pb.NodeHealth{}, asIs},
		{"GET", "/api/nodes/" + pk + "/paths", "", 200, &pb.NodePaths{}, asIs},
		{"GET", "/api/nodes/" + pk + "/neighbors", "", 200, &pb.NodeNeighbors{}, asIs},
		{"GET", "/api/resolve-hops?hops=" + pk[:2] + "," + pk[:4] + ",ZZ", "", 200, &pb.ResolvedHops{}, asIs},
		{"GET", "/api/channels", "", 200, &pb.ChannelList{}, asIs},
		{"GET", "/api/channels?includeEncrypted=true", "", 200, &pb.ChannelList{}, asIs},
		{"GET", "/api/channels/" + url.PathEscape(chans.Channels[0].Hash) + "/messages?limit=200", "", 200, &pb.ChannelMessages{}, asIs},
		{"GET", "/api/observers", "", 200, &pb.ObserverList{}, asIs},
		{"GET", "/api/observers/" + obs.Observers[0].ID, "", 200, &pb.Observer{}, asIs},
		{"GET", "/api/observer?id=" + url.QueryEscape(obs.Observers[0].ID), "", 200, &pb.Observer{}, asIs},
		{"GET", "/api/traces/" + hash, "", 200, &pb.Traces{}, asIs},
		{"GET", "/api/iata-coords", "", 200, &pb.IataCoords{}, asIs},
		{"GET", "/api/spec", "", 200, &structpb.Struct{}, asIs},
		{"POST", "/api/perf/reset", "", 200, &pb.Ok{}, asIs},
		// Errors share one shape.
		{"GET", "/api/nope", "", 404, &pb.Error{}, asIs},
		{"GET", "/api/packets?limit=x", "", 400, &pb.Error{}, asIs},
		{"DELETE", "/api/packets", "", 405, &pb.Error{}, asIs},
		{"GET", "/api/nodes/" + strings.Repeat("0", 64), "", 404, &pb.Error{}, asIs},
	}
	cases = append(cases, analyticsContractCases(t, ts.URL)...)
	cases = append(cases, nodeAnalyticsContractCases(t, ts.URL, pk, obs.Observers[0].ID)...)
	cases = append(cases, apimiscContractCases(t, ts.URL)...)
	checkRelayFields(t, ts.URL, minRelayed)
	spec := newSpecChecker(t, ts.URL) // every documented response is checked against /api/spec too
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			hdr := map[string]string{}
			if keyRoutes[c.method+" "+strings.SplitN(c.path, "?", 2)[0]] {
				hdr = key
			}
			code, rh, body := fetch(t, c.method, ts.URL+c.path, c.body, hdr)
			if code != c.status {
				t.Fatalf("status %d, want %d: %s", code, c.status, trunc(body))
			}
			if c.msg == nil { // a download, not JSON
				if rh.Get("Content-Type") != "application/octet-stream" || len(body) == 0 {
					t.Fatalf("download: Content-Type %q, %d bytes", rh.Get("Content-Type"), len(body))
				}
				return
			}
			if err := strict.Unmarshal(adapt(t, body, c.wrap), c.msg); err != nil {
				t.Fatalf("response does not match the contract %T: %v\nbody: %s", c.msg, err, trunc(body))
			}
			spec.check(t, c.method, c.path, c.status, body)
		})
	}
	spec.done(t)
}

// checkRelayFields asserts that every repeater/room row of /api/nodes carries
// the relay fields (so the contract run above decoded them) and companions do
// not; minRelayed is how many rows must have last_relayed.
func checkRelayFields(t *testing.T, base string, minRelayed int) {
	t.Helper()
	var list struct {
		Nodes []map[string]json.RawMessage `json:"nodes"`
	}
	getJSON(t, base+"/api/nodes?limit=2000", 200, &list)
	relays, relayed := 0, 0
	for _, n := range list.Nodes {
		var role string
		_ = json.Unmarshal(n["role"], &role)
		_, has := n["relay_active"]
		_, h24 := n["relay_count_24h"]
		if isRelayRole := role == "repeater" || role == "room"; isRelayRole != (has && h24) {
			t.Errorf("node %s role %q: relay fields present = %v", n["public_key"], role, has)
		}
		if has {
			relays++
		}
		if _, ok := n["last_relayed"]; ok {
			relayed++
		}
	}
	if relays == 0 || relayed < minRelayed {
		t.Errorf("%d rows with relay fields, %d with last_relayed (want > 0, >= %d)", relays, relayed, minRelayed)
	}
}

// TestContractRejectsUnknownFields proves the check has teeth: a key the
// contract does not define fails.
func TestContractRejectsUnknownFields(t *testing.T) {
	if err := strict.Unmarshal([]byte(`{"packets":[],"total":0,"surprise":1}`), &pb.PacketList{}); err == nil {
		t.Fatal("unknown top-level key accepted")
	}
	if err := strict.Unmarshal([]byte(`{"packets":[{"id":1,"newField":"x"}],"total":1}`), &pb.PacketList{}); err == nil {
		t.Fatal("unknown nested key accepted")
	}
	if err := strict.Unmarshal([]byte(`{"total":1.5}`), &pb.PacketList{}); err == nil {
		t.Fatal("a float where the contract says integer was accepted")
	}
}

func writeStatsFile(t *testing.T, dir string) string {
	t.Helper()
	p := dir + "/ingestor-stats.json"
	stats := `{"sampledAt":"2026-01-01T00:00:00Z","tx_inserted":5,"backfillUpdates":{"from_pubkey":3},` +
		`"procIO":{"readBytesPerSec":1,"writeBytesPerSec":2,"cancelledWriteBytesPerSec":0,"syscallsRead":3,"syscallsWrite":4},` +
		`"sources":[{"name":"local","connected":true}]}`
	if err := os.WriteFile(p, []byte(stats), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
