package live

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/store"
	pb "github.com/corescope/corescope/proto"
)

const goldenTxtMsg = "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976"

// TestFeedBroadcastsCommittedObservations writes rows with the real db
// writer, lets the real store sync pick them up, and reads the `packet`
// message from a real WebSocket client.
func TestFeedBroadcastsCommittedObservations(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	w, err := db.OpenWriter(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rdb, err := db.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(rdb, store.Config{PollInterval: 20 * time.Millisecond, Logger: log})
	storeDone := make(chan error, 1)
	go func() { storeDone <- st.Run(ctx) }()
	defer func() { cancel(); <-storeDone }()

	hub := NewHub(Options{Logger: log})
	srv := httptest.NewServer(hub)
	defer srv.Close()
	feedDone := make(chan struct{})
	go func() { NewFeed(st, hub, log).Run(ctx); close(feedDone) }()
	defer func() { cancel(); <-feedDone }()

	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !st.Ready() || hub.Stats().Clients != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("store ready %v, clients %d", st.Ready(), hub.Stats().Clients)
		}
		time.Sleep(5 * time.Millisecond)
	}

	now := time.Now().UTC()
	snr := 6.5
	// A brand-new observer in the same batch as its first packet: the frame
	// must already carry its id and name.
	_, err = w.WriteBatch(ctx, db.Batch{
		Observers:     []db.ObserverUpsert{{ID: "OBS1", Name: "Observer One", IATA: "SJC", Seen: now, Packet: true}},
		Transmissions: []db.Transmission{{RawHex: goldenTxtMsg, Hash: "b1f07307cbc01ce5", FirstSeen: now, RouteType: 2, PayloadType: 2, DecodedJSON: `{"type":"TXT_MSG","destHash":"d6","srcHash":"9f"}`}},
		Observations:  []db.Observation{{TxHash: "b1f07307cbc01ce5", ObserverID: "OBS1", SNR: &snr, PathJSON: "[]", Timestamp: now.Unix()}},
	})
	if err != nil {
		t.Fatalf("write batch: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, raw, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var msg struct {
		Type string `json:"type"`
		Data struct {
			ID           int64   `json:"id"`
			Hash         string  `json:"hash"`
			RawHex       string  `json:"raw_hex"`
			ObserverID   string  `json:"observer_id"`
			ObserverName string  `json:"observer_name"`
			SNR          float64 `json:"snr"`
			Decoded      struct {
				Header  map[string]string `json:"header"`
				Payload map[string]any    `json:"payload"`
			} `json:"decoded"`
			Packet map[string]any `json:"packet"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	// The frame must match the contract (proto/api.proto LiveMessage).
	if err := (protojson.UnmarshalOptions{}).Unmarshal(raw, &pb.LiveMessage{}); err != nil {
		t.Fatalf("message does not match the contract: %v\n%s", err, raw)
	}
	d := msg.Data
	if msg.Type != "packet" || d.Hash != "b1f07307cbc01ce5" || d.ObserverID != "OBS1" || d.ObserverName != "Observer One" || d.SNR != 6.5 {
		t.Fatalf("message %s", raw)
	}
	if d.Decoded.Header["payloadTypeName"] != "TXT_MSG" || d.Decoded.Payload["srcHash"] != "9f" {
		t.Fatalf("decoded %+v", d.Decoded)
	}
	if d.Packet["hash"] != d.Hash || d.Packet["decoded"] != nil || d.Packet["id"] == nil {
		t.Fatalf("packet copy %v", d.Packet)
	}
	if !strings.EqualFold(d.RawHex, goldenTxtMsg) {
		t.Fatalf("raw_hex %q", d.RawHex)
	}
}

func TestEncodePacketMessageOmitsInvalidPayload(t *testing.T) {
	bad := "{not json"
	pt := 2
	msg, err := EncodePacketMessage(&store.LiveObservation{ID: 7, Hash: "abc", PayloadType: &pt, DecodedJSON: &bad})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Data struct {
			Decoded map[string]json.RawMessage `json:"decoded"`
		} `json:"data"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatalf("message is not JSON: %v: %s", err, msg)
	}
	if _, ok := m.Data.Decoded["payload"]; ok {
		t.Fatalf("payload present for invalid decoded_json: %s", msg)
	}
	if string(m.Data.Decoded["header"]) != `{"payloadTypeName":"TXT_MSG"}` {
		t.Fatalf("header %s", m.Data.Decoded["header"])
	}
}
