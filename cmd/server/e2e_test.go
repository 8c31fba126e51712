package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

const goldenTxtMsg = "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976"

// TestEndToEndMeshsimIngestorServer runs the whole pipeline with real parts:
// meshsim traffic → Mosquitto → ingestor → SQLite → server. Every packet
// reaches a WebSocket client and the REST API, and POST /api/packets
// round-trips through the broker and the ingestor.
func TestEndToEndMeshsimIngestorServer(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)

	const key = "e2e-strong-api-key-0123456789"
	cfg := fmt.Sprintf(`{"apiKey": %q, "mqttSources": [{"name": "local", "broker": %q, "topics": ["meshcore/#"]}]}`, key, b.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, err := parseFlags([]string{"-config-dir", dir, "-db", dbPath, "-addr", "127.0.0.1:0", "-poll-ms", "50"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	a, err := start(ctx, opts, noEnv, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := a.wait(); err != nil {
			t.Errorf("server exit: %v", err)
		}
	}()
	base := "http://" + a.Addr()
	waitReady(t, base, logs)

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+a.Addr()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	waitClients(t, a, 1)

	sim := meshsim.New(meshsim.Options{Seed: 7, Nodes: 40, Observers: 4, Duration: 30 * time.Minute, End: time.Now().UTC().Truncate(time.Second)})
	var msgs []ingesttest.Message
	want := map[string]bool{}
	for _, m := range sim.Generate(40) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
		if m.Kind == meshsim.KindPacket {
			want[m.Hash] = true
		}
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	// Every transmission arrives on the WebSocket.
	got := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < len(want) {
		if time.Now().After(deadline) {
			t.Fatalf("websocket delivered %d of %d transmissions (ingestor: %+v)", len(got), len(want), ing.Stats().Drops)
		}
		_ = ws.SetReadDeadline(deadline)
		_, raw, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("websocket read after %d messages: %v", len(got), err)
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				Hash       string `json:"hash"`
				ObserverID string `json:"observer_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.Type != "packet" {
			t.Fatalf("bad websocket frame %s: %v", raw, err)
		}
		if !want[m.Data.Hash] {
			t.Fatalf("websocket sent unknown hash %s", m.Data.Hash)
		}
		got[m.Data.Hash] = true
	}

	// The REST API has every one of them.
	var list struct {
		Total   int `json:"total"`
		Packets []struct {
			Hash string `json:"hash"`
		} `json:"packets"`
	}
	code, body := get(t, base+"/api/packets?limit=1000")
	if code != 200 || json.Unmarshal(body, &list) != nil {
		t.Fatalf("packets: %d %s", code, body)
	}
	if list.Total != len(want) {
		t.Fatalf("REST total %d, want %d", list.Total, len(want))
	}
	for _, p := range list.Packets {
		if !want[p.Hash] {
			t.Fatalf("REST lists unknown hash %s", p.Hash)
		}
	}

	// POST /api/packets goes through the broker and the ingestor.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/packets", strings.NewReader(`{"hex":"`+goldenTxtMsg+`","observer":"E2E","snr":3}`))
	req.Header.Set("X-API-Key", key)
	var resp *http.Response
	deadline = time.Now().Add(20 * time.Second)
	for { // the publisher connects in the background
		if resp, err = http.DefaultClient.Do(req.Clone(ctx)); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		resp.Body.Close()
		time.Sleep(100 * time.Millisecond)
		req, _ = http.NewRequest(http.MethodPost, base+"/api/packets", strings.NewReader(`{"hex":"`+goldenTxtMsg+`","observer":"E2E","snr":3}`))
		req.Header.Set("X-API-Key", key)
	}
	var inj struct {
		ID   int64  `json:"id"`
		Hash string `json:"hash"`
	}
	err = json.NewDecoder(resp.Body).Decode(&inj)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || inj.Hash != "b1f07307cbc01ce5" {
		t.Fatalf("POST /api/packets: %d %+v %v", resp.StatusCode, inj, err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		code, body = get(t, base+"/api/packets/"+inj.Hash)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("injected packet never stored: %d %s (ingestor drops %v)", code, body, ing.Stats().Drops)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var detail struct {
		Observations []struct {
			ObserverID string `json:"observer_id"`
		} `json:"observations"`
	}
	if json.Unmarshal(body, &detail) != nil || len(detail.Observations) != 1 || detail.Observations[0].ObserverID != "E2E" {
		t.Fatalf("injected packet detail %s", body)
	}
}

func waitReady(t *testing.T, base string, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get(t, base+"/api/healthz")
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never ready: %d %s\nlogs:\n%s", code, body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
