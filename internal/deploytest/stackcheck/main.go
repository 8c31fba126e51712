// Command stackcheck checks a running CoreScope stack end to end: it opens
// the live WebSocket, publishes one fresh synthetic packet (meshsim) to the
// stack's MQTT broker, and waits until the packet is pushed on the WebSocket
// and served by the API (/api/packets/HASH). `./manage.sh test-image` runs
// it against the container it started; the deploytest layout test runs it
// against the same layout started natively, so the check itself is tested
// where no Docker engine exists.
//
//	stackcheck -base http://127.0.0.1:8080 -mqtt tcp://127.0.0.1:1883 [-timeout 60s]
//
// Exit status 0 when both checks pass, 1 otherwise (the reason on stderr).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/corescope/corescope/internal/meshsim"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:80", "the stack's HTTP base URL")
	mqttURL := flag.String("mqtt", "tcp://127.0.0.1:1883", "the stack's MQTT broker")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, strings.TrimRight(*base, "/"), *mqttURL); err != nil {
		fmt.Fprintln(os.Stderr, "stackcheck: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("stackcheck: OK")
}

func run(ctx context.Context, base, mqttURL string) error {
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return fmt.Errorf("WebSocket %s: %w (HTTP %d)", wsURL, err, status)
	}
	defer conn.Close()

	// A fresh mesh each run: a packet hash this stack has not stored yet.
	now := time.Now().UTC()
	sim := meshsim.New(meshsim.Options{Seed: now.UnixNano(), Nodes: 20, Observers: 2, End: now, Duration: time.Minute})
	msgs := sim.Generate(1)
	hash := ""
	for _, m := range msgs {
		if m.Kind == meshsim.KindPacket {
			hash = m.Hash
			break
		}
	}
	if hash == "" {
		return errors.New("meshsim generated no packet")
	}
	if err := meshsim.Publish(ctx, mqttURL, msgs, 0); err != nil {
		return fmt.Errorf("publish to %s: %w", mqttURL, err)
	}
	fmt.Printf("stackcheck: published packet %s (%d messages) to %s\n", hash, len(msgs), mqttURL)

	if err := waitWebSocket(ctx, conn, hash); err != nil {
		return err
	}
	fmt.Printf("stackcheck: packet %s pushed on %s\n", hash, wsURL)
	if err := waitAPI(ctx, base+"/api/packets/"+hash); err != nil {
		return err
	}
	fmt.Printf("stackcheck: packet %s served by %s/api/packets/%s\n", hash, base, hash)
	return nil
}

// waitWebSocket reads frames until one of type "packet" names hash.
func waitWebSocket(ctx context.Context, conn *websocket.Conn, hash string) error {
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	for {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("packet %s not pushed on the WebSocket: %w", hash, err)
		}
		var msg struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(frame, &msg) == nil && msg.Type == "packet" && bytes.Contains(frame, []byte(hash)) {
			return nil
		}
	}
}

// waitAPI polls url until it answers 200 with the packet.
func waitAPI(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	last := ""
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET %s never answered 200 (last: %s)", url, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
