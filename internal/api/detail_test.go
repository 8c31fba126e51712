package api

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
)

// TestPacketDetailHasPerObservationBreakdown: observers hear different paths,
// so their raw bytes (and byte layouts) differ; each such observation
// carries its own breakdown, tiling its bytes exactly.
func TestPacketDetailHasPerObservationBreakdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	sim := meshsim.New(meshsim.Options{Seed: 5, Nodes: 60, Observers: 5, Duration: time.Hour, End: time.Now().UTC().Truncate(time.Second)})
	var msgs []ingesttest.Message
	for _, m := range sim.Generate(200) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
	}
	ingesttest.Fill(t, path, msgs)
	_, ts := newServer(t, testConfig(nil), runStore(t, path, nil), nil)

	var list struct {
		Packets []struct {
			Hash             string `json:"hash"`
			ObservationCount int    `json:"observation_count"`
		} `json:"packets"`
	}
	getJSON(t, ts.URL+"/api/packets?limit=200", 200, &list)
	type field struct {
		Offset, Length int
	}
	type bd struct {
		Fields []field `json:"fields"`
		Error  string  `json:"error"`
	}
	checked := 0
	for _, p := range list.Packets {
		if p.ObservationCount < 2 {
			continue
		}
		var d struct {
			Packet struct {
				RawHex string `json:"raw_hex"`
			} `json:"packet"`
			Observations []struct {
				RawHex    string `json:"raw_hex"`
				Breakdown *bd    `json:"breakdown"`
			} `json:"observations"`
			Breakdown bd `json:"breakdown"`
		}
		getJSON(t, ts.URL+"/api/packets/"+p.Hash, 200, &d)
		for i, o := range d.Observations {
			same := strings.EqualFold(o.RawHex, d.Packet.RawHex)
			if same && o.Breakdown != nil {
				t.Fatalf("%s obs %d: breakdown repeated for identical bytes", p.Hash, i)
			}
			if same {
				continue
			}
			if o.Breakdown == nil || len(o.Breakdown.Fields) == 0 {
				t.Fatalf("%s obs %d: raw differs but no breakdown", p.Hash, i)
			}
			end := 0
			for _, f := range o.Breakdown.Fields {
				if f.Offset != end {
					t.Fatalf("%s obs %d: field at %d, want %d (gap/overlap)", p.Hash, i, f.Offset, end)
				}
				end += f.Length
			}
			if end != len(o.RawHex)/2 {
				t.Fatalf("%s obs %d: fields cover %d bytes, raw has %d", p.Hash, i, end, len(o.RawHex)/2)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no observation with its own bytes in the meshsim data; the test proves nothing")
	}
}
