// Package live is the WebSocket fan-out of the server: it upgrades browser
// connections, and broadcasts pre-encoded messages to every client through a
// bounded per-client queue. A client whose queue is full is disconnected and
// counted instead of slowing down everyone else (API.md §4).
package live

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of the keepalive and queue policy (API.md §4).
const (
	DefaultQueueSize = 256
	pingInterval     = 30 * time.Second
	readTimeout      = 60 * time.Second
	writeTimeout     = 10 * time.Second
	readLimit        = 512
)

// Options configures a Hub.
type Options struct {
	// QueueSize is the number of messages buffered per client (default 256).
	QueueSize int
	// AllowedOrigins lists extra origins (besides the request's own host)
	// allowed to connect; "*" allows any origin.
	AllowedOrigins []string
	// Compression enables permessage-deflate negotiation.
	Compression bool
	Logger      *slog.Logger
}

// Stats are the hub's counters for /api/health and /api/perf.
type Stats struct {
	Clients         int   `json:"clients"`
	Messages        int64 `json:"messages"`
	SlowDisconnects int64 `json:"slowDisconnects"`
	OriginRejected  int64 `json:"originRejected"`
}

// Hub owns the set of connected clients. The zero value is not usable; use
// NewHub.
type Hub struct {
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu      sync.Mutex // guards clients and closed; held only to add/remove
	clients map[*client]struct{}
	closed  bool
	// snapshot is the client list broadcasters read without the lock.
	snapshot atomic.Pointer[[]*client]

	wg sync.WaitGroup // one per client goroutine pair

	messages  atomic.Int64
	slow      atomic.Int64
	originBad atomic.Int64
}

type client struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
	done chan struct{}
	once sync.Once
	// closeMsg is the close frame sent by the writer when done is closed.
	closeMsg atomic.Pointer[[]byte]
}

func (c *client) stop(closeMsg []byte) {
	c.once.Do(func() {
		if closeMsg != nil {
			c.closeMsg.Store(&closeMsg)
		}
		close(c.done)
	})
}

// NewHub returns a hub with the given options.
func NewHub(opts Options) *Hub {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Hub{
		opts:    opts,
		log:     opts.Logger.With("component", "live"),
		clients: make(map[*client]struct{}),
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:    1024,
		WriteBufferSize:   16 * 1024,
		EnableCompression: opts.Compression,
		CheckOrigin:       h.checkOrigin,
	}
	empty := []*client{}
	h.snapshot.Store(&empty)
	return h
}

// IsUpgrade reports whether r asks for a WebSocket upgrade; the server
// upgrades such requests on any path (the SPA connects to "/").
func IsUpgrade(r *http.Request) bool {
	return websocket.IsWebSocketUpgrade(r)
}

// checkOrigin accepts requests without Origin (non-browser clients), the
// request's own host, and the configured allow-list.
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range h.opts.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	h.originBad.Add(1)
	h.log.Warn("websocket origin rejected", "origin", origin, "host", r.Host)
	return false
}

// ServeHTTP upgrades the connection and registers the client.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has already written an HTTP error response.
		h.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, h.opts.QueueSize), done: make(chan struct{})}
	if !h.add(c) {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(time.Second))
		_ = conn.Close()
		return
	}
	go h.readLoop(c)
	go h.writeLoop(c)
}

func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[c] = struct{}{}
	// Added under the lock so that it happens before Shutdown's Wait.
	h.wg.Add(2)
	h.publishLocked()
	return true
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	h.publishLocked()
}

// publishLocked rebuilds the lock-free snapshot; caller holds h.mu.
func (h *Hub) publishLocked() {
	list := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		list = append(list, c)
	}
	h.snapshot.Store(&list)
}

// Broadcast queues one pre-encoded text message for every client. The frame
// (and its compressed form, when negotiated) is built once, not per client. It
// never blocks: a client whose queue is full is disconnected and counted.
func (h *Hub) Broadcast(data []byte) {
	h.messages.Add(1)
	clients := *h.snapshot.Load()
	if len(clients) == 0 {
		return
	}
	msg, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		h.log.Error("prepare websocket message", "err", err)
		return
	}
	for _, c := range clients {
		select {
		case <-c.done:
			continue
		default:
		}
		select {
		case c.send <- msg:
		default:
			h.slow.Add(1)
			h.log.Warn("websocket client too slow, disconnecting", "remote", c.conn.RemoteAddr().String(), "queue", cap(c.send))
			h.dropSlow(c)
		}
	}
}

// dropSlow removes c from the broadcast set at once and unblocks its writer,
// which is most likely stuck on a full socket: the close frame cannot be
// delivered anyway, the client sees the connection drop and reconnects.
func (h *Hub) dropSlow(c *client) {
	h.remove(c)
	c.stop(nil)
	_ = c.conn.UnderlyingConn().SetWriteDeadline(time.Now())
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	return Stats{
		Clients:         len(*h.snapshot.Load()),
		Messages:        h.messages.Load(),
		SlowDisconnects: h.slow.Load(),
		OriginRejected:  h.originBad.Load(),
	}
}

// Shutdown sends every client a 1001 "server shutting down" close frame and
// waits (bounded by ctx) for their goroutines to end. New connections are
// refused afterwards.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	list := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		list = append(list, c)
	}
	h.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	for _, c := range list {
		c.stop(msg)
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range list {
			_ = c.conn.Close()
		}
		return ctx.Err()
	}
}

// readLoop discards client messages and keeps the read deadline alive via
// pongs; it ends the client on any read error.
func (h *Hub) readLoop(c *client) {
	defer h.wg.Done()
	defer c.stop(nil)
	c.conn.SetReadLimit(readLimit)
	_ = c.conn.SetReadDeadline(time.Now().Add(readTimeout))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(readTimeout))
	})
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writeLoop is the only writer of c.conn: queued messages, pings, and the
// final close frame.
func (h *Hub) writeLoop(c *client) {
	defer h.wg.Done()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	defer func() {
		h.remove(c)
		if m := c.closeMsg.Load(); m != nil {
			_ = c.conn.WriteControl(websocket.CloseMessage, *m, time.Now().Add(time.Second))
		}
		_ = c.conn.Close()
	}()
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				c.stop(nil)
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.stop(nil)
				return
			}
		}
	}
}
