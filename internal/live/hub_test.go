package live

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func startHub(t *testing.T, opts Options) (*Hub, *httptest.Server) {
	t.Helper()
	h := NewHub(opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		srv.Close()
	})
	return h, srv
}

func dial(t *testing.T, srv *httptest.Server, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", hdr)
}

func waitClients(t *testing.T, h *Hub, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.Stats().Clients != want {
		if time.Now().After(deadline) {
			t.Fatalf("clients = %d, want %d", h.Stats().Clients, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBroadcastReachesEveryClient(t *testing.T) {
	h, srv := startHub(t, Options{})
	var conns []*websocket.Conn
	for i := 0; i < 3; i++ {
		c, _, err := dial(t, srv, "")
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitClients(t, h, 3)
	h.Broadcast([]byte(`{"type":"packet","data":{"id":1}}`))
	h.Broadcast([]byte(`{"type":"packet","data":{"id":2}}`))
	for i, c := range conns {
		for _, want := range []string{`"id":1`, `"id":2`} {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			typ, msg, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("client %d read: %v", i, err)
			}
			if typ != websocket.TextMessage || !bytes.Contains(msg, []byte(want)) {
				t.Fatalf("client %d got %d %q, want text containing %s", i, typ, msg, want)
			}
		}
	}
	if got := h.Stats().Messages; got != 2 {
		t.Fatalf("messages = %d, want 2", got)
	}
}

func TestOriginChecked(t *testing.T) {
	h, srv := startHub(t, Options{AllowedOrigins: []string{"https://map.example.org"}})
	host := strings.TrimPrefix(srv.URL, "http://")
	cases := []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://map.example.org", true},
		{"https://evil.example.com", false},
	}
	for _, tc := range cases {
		c, resp, err := dial(t, srv, tc.origin)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %q: dial failed: %v", tc.origin, err)
			}
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Fatalf("origin %q: connected, want refusal", tc.origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: got %v, want 403", tc.origin, resp)
		}
	}
	if h.Stats().OriginRejected != 1 {
		t.Fatalf("originRejected = %d, want 1", h.Stats().OriginRejected)
	}
}

func TestSlowClientIsDisconnectedAndCounted(t *testing.T) {
	h, srv := startHub(t, Options{QueueSize: 2})
	slow, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	waitClients(t, h, 2)

	// The fast client reads every message before the next one is sent; the
	// slow one never reads, so its socket buffers fill, its writer blocks and
	// its queue overflows.
	recv := make(chan struct{})
	go func() {
		for {
			if _, _, err := fast.ReadMessage(); err != nil {
				close(recv)
				return
			}
			recv <- struct{}{}
		}
	}()
	big := bytes.Repeat([]byte("x"), 256*1024)
	deadline := time.Now().Add(30 * time.Second)
	sent := 0
	for h.Stats().SlowDisconnects == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("slow client was never disconnected after %d messages", sent)
		}
		h.Broadcast(big)
		sent++
		select {
		case _, ok := <-recv:
			if !ok {
				t.Fatalf("fast client disconnected after %d messages", sent)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("fast client got no message %d", sent)
		}
	}
	waitClients(t, h, 1)
	// The fast client is still served.
	h.Broadcast([]byte("after"))
	select {
	case _, ok := <-recv:
		if !ok {
			t.Fatal("fast client lost")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fast client got nothing after the slow one was dropped")
	}
}

func TestShutdownSendsGoingAway(t *testing.T) {
	h, srv := startHub(t, Options{})
	c, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitClients(t, h, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "server shutting down" {
		t.Fatalf("read after shutdown: %v, want close 1001 server shutting down", err)
	}
	// A connection after shutdown is upgraded and closed at once with 1001.
	late, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatalf("late dial: %v", err)
	}
	defer late.Close()
	_ = late.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = late.ReadMessage()
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("late client read: %v, want close 1001", err)
	}
}
