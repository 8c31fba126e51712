package api

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// TestObserversListFollowsNewPackets: the cached /api/observers answer (30 s TTL) is rebuilt
// once the store has new data, so the list is not a TTL behind the packets it counts.
func TestObserversListFollowsNewPackets(t *testing.T) {
	path := fixtureDB(t)
	st := runStore(t, path, nil)
	_, ts := newServer(t, testConfig(nil), st, nil)
	var list struct {
		Observers []struct {
			ID          string `json:"id"`
			PacketCount int64  `json:"packet_count"`
		} `json:"observers"`
	}
	first := getJSON(t, ts.URL+"/api/observers", 200, &list)
	if len(list.Observers) == 0 {
		t.Fatal("fixture has no observers")
	}
	obs := list.Observers[0]
	if again := getJSON(t, ts.URL+"/api/observers", 200, nil); !bytes.Equal(again, first) {
		t.Fatal("without new data the cached answer should be served unchanged")
	}

	ctx := context.Background()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatalf("open writer: %v", err)
	}
	defer w.Close()
	now := time.Now().UTC()
	hash := fmt.Sprintf("%016x", now.UnixNano())
	if _, err := w.WriteBatch(ctx, db.Batch{
		Observers:     []db.ObserverUpsert{{ID: obs.ID, Seen: now, Packet: true}},
		Transmissions: []db.Transmission{{RawHex: "3E00C0FFEE" + hash[:8], Hash: hash, FirstSeen: now, RouteType: 2, PayloadType: 15}},
		Observations:  []db.Observation{{TxHash: hash, ObserverID: obs.ID, PathJSON: "[]", Timestamp: now.Unix()}},
	}); err != nil {
		t.Fatalf("write: %v", err)
	}
	// Well inside the 30 s TTL the list must show the new packet.
	deadline := time.Now().Add(8 * time.Second)
	for {
		getJSON(t, ts.URL+"/api/observers", 200, &list)
		for _, o := range list.Observers {
			if o.ID == obs.ID && o.PacketCount > obs.PacketCount {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("observer %s still shows packet_count %d 8 s after a new packet (TTL 30 s)", obs.ID, obs.PacketCount)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
