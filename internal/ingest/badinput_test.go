package ingest_test

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// uniqueTxt returns a distinct, valid zero-hop DIRECT TXT_MSG packet for n.
func uniqueTxt(n int) string {
	b := []byte{0x0A, 0x00, byte(n), byte(n >> 8), 0x12, 0x34}
	ct := make([]byte, 16)
	binary.LittleEndian.PutUint64(ct, uint64(n)*0x9E3779B97F4A7C15+7)
	binary.LittleEndian.PutUint64(ct[8:], uint64(n))
	return strings.ToUpper(hex.EncodeToString(append(b, ct...)))
}

// TestBadInputNeverStopsGoodMessages interleaves 10,000 malformed messages
// with good ones: every good one is stored, every bad one is counted under
// its reason, and the ingestor keeps running.
func TestBadInputNeverStopsGoodMessages(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	obs := strings.Repeat("AB", 32)
	topic := "meshcore/SEA/" + obs + "/packets"

	const good, bad = 1000, 10000
	huge := `{"raw":"` + strings.Repeat("0A", ingest.MaxPayloadBytes/2+1) + `"}`
	kinds := []struct {
		reason string
		msg    func(i int) ingesttest.Message
	}{
		{"invalid_json", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: topic, Payload: []byte(`{"raw":"0A00`)}
		}},
		{"invalid_json", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: topic, Payload: []byte{0xff, 0xfe, byte(i)}}
		}},
		{"decode_error", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: topic, Payload: []byte(`{"raw":"ZZ` + fmt.Sprint(i) + `"}`)}
		}},
		{"decode_error", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: topic, Payload: []byte(`{"raw":"0141AA"}`)}
		}}, // truncated path
		{"decode_error", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: topic, Payload: []byte(`{"raw":"11"}`)}
		}}, // one byte
		{"unknown_topic", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: "meshcore/SEA/" + obs + "/debug", Payload: []byte(`{"log":"x"}`)}
		}},
		{"ignored_topic", func(i int) ingesttest.Message {
			return ingesttest.Message{Topic: "meshcore/status", Payload: []byte(`{}`)}
		}},
	}
	var msgs []ingesttest.Message
	wantDrops := map[string]uint64{}
	oversized := 0
	for i := range bad {
		if i%500 == 0 { // a few oversized payloads (64 KB each) among the rest
			msgs = append(msgs, ingesttest.Message{Topic: topic, Payload: []byte(huge)})
			wantDrops["oversized"]++
			oversized++
		} else {
			k := kinds[i%len(kinds)]
			msgs = append(msgs, k.msg(i))
			wantDrops[k.reason]++
		}
		if i%(bad/good) == 0 {
			msgs = append(msgs, ingesttest.Message{Topic: topic, Payload: []byte(`{"raw":"` + uniqueTxt(i) + `","SNR":"3"}`)})
		}
	}
	if oversized == 0 {
		t.Fatal("test builds no oversized message")
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	d := openRO(t, dbPath)
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions"); got != good {
		t.Errorf("transmissions = %d, want %d", got, good)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observations"); got != good {
		t.Errorf("observations = %d, want %d", got, good)
	}
	st := ing.Stats()
	var total uint64
	for reason, want := range wantDrops {
		total += want
		if st.Drops[reason] != want {
			t.Errorf("drops[%s] = %d, want %d", reason, st.Drops[reason], want)
		}
	}
	if total != bad || st.Dropped() != bad {
		t.Errorf("dropped = %d (expected sum %d), want %d", st.Dropped(), total, bad)
	}
	if len(st.Sources) != 1 || !st.Sources[0].Connected || st.Sources[0].Dropped != bad {
		t.Errorf("source stats = %+v, want connected with %d dropped", st.Sources, bad)
	}
}
