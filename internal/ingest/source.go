package ingest

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
)

// sourceSettings are the paho and watchdog timings; tests shorten them.
type sourceSettings struct {
	keepAlive       time.Duration
	connectTimeout  time.Duration
	maxReconnect    time.Duration
	stallAfter      time.Duration // silence on a connected source that counts as a stall
	stallRecheck    time.Duration // minimum time between forced reconnects of one source
	heartbeatStalls time.Duration // repeat the warning (and reconnect) while still stalled
}

// maxReconnectBackoff caps the wait between two connection attempts. The
// original's 30 s (doubling 1, 2, 4, 8, 16 s…) meant a broker restarted after
// a 20 s outage was rejoined 27 s later; at 2 s a restarted broker is rejoined
// within about 2 s. A refused connection costs the broker almost nothing, and
// the attempt log lines are rate-limited (attemptLogEvery).
const maxReconnectBackoff = 2 * time.Second

// attemptLogEvery spaces the "connect failed"/"reconnecting" log lines of one
// source during a long outage (the first attempt is always logged).
const attemptLogEvery = 30 * time.Second

func defaultSourceSettings() sourceSettings {
	return sourceSettings{
		keepAlive:       30 * time.Second,
		connectTimeout:  10 * time.Second,
		maxReconnect:    maxReconnectBackoff,
		stallAfter:      5 * time.Minute,
		stallRecheck:    60 * time.Second,
		heartbeatStalls: time.Hour,
	}
}

// source is one MQTT broker subscription with its own paho client. Sources
// never share state except the ingest queue, so one unreachable broker never
// blocks another.
type source struct {
	cfg      config.MQTTSource
	iata     map[string]bool // per-source iataFilter, upper-cased; nil = all
	log      *slog.Logger
	client   mqtt.Client
	set      sourceSettings
	handle   func(s *source, m mqtt.Message)
	clientID string

	connected      atomic.Bool
	registered     time.Time
	lastMessage    atomic.Int64 // unix nanos, 0 = never
	lastConnect    atomic.Int64
	lastDisconnect atomic.Int64
	messages       atomic.Uint64
	dropped        atomic.Uint64
	errors         atomic.Uint64
	reconnects     atomic.Uint64
	attempts       atomic.Uint64
	stalls         atomic.Uint64
	outcomes       sourceOutcomes // per-outcome message counts for /metrics (ops.go)
	lastErr        atomic.Pointer[string]
	lastAttemptLog atomic.Int64 // unix nanos of the last attempt log line; 0 after a connect

	// watchdog state, touched only by the watchdog goroutine.
	stalled       bool
	lastForced    time.Time
	lastStallWarn time.Time
	silentWarned  bool

	reconnectMu sync.Mutex // serialises start, forced reconnects and shutdown
	closed      bool
	done        chan struct{} // closed to stop the current connectLoop
}

// clientIDFor returns a stable MQTT client id for a source: the same source
// and database always resume the same persistent session, and two ingestors
// with different databases never steal each other's session. It stays within
// the 23 characters MQTT 3.1 brokers may insist on.
func clientIDFor(name, broker, dbPath string) string {
	if abs, err := filepath.Abs(dbPath); err == nil {
		dbPath = abs
	}
	sum := sha256.Sum256([]byte(name + "\x00" + broker + "\x00" + dbPath))
	return "corescope-" + hex.EncodeToString(sum[:6])
}

// redactBroker removes credentials from a broker URL for logs and stats.
func redactBroker(broker string) string {
	u, err := url.Parse(broker)
	if err != nil || u.User == nil {
		return broker
	}
	u.User = nil
	return u.String()
}

// brokerURL maps the config's schemes to paho's: mqtt:// is plain TCP and
// mqtts:// TLS (paho accepts both); a bare host:port gets tcp://.
func brokerURL(b string) string {
	b = strings.TrimSpace(b)
	if !strings.Contains(b, "://") {
		return "tcp://" + b
	}
	return b
}

// dialBuffered opens plain TCP or TLS connections like paho does, but reads
// through a buffer: paho parses each packet with three or four small reads
// straight from the socket, which was a read syscall per header byte.
func dialBuffered(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	d := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = d.Dial("tcp", uri.Host)
	default:
		conn, err = tls.DialWithDialer(d, "tcp", uri.Host, o.TLSConfig)
	}
	if err != nil {
		return nil, err
	}
	return &bufConn{Conn: conn, r: bufio.NewReaderSize(conn, 32<<10)}, nil
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func newSource(cfg config.MQTTSource, clientID string, set sourceSettings, log *slog.Logger, handle func(*source, mqtt.Message)) *source {
	s := &source{cfg: cfg, log: log, set: set, handle: handle, clientID: clientID, registered: time.Now()}
	if len(cfg.IATAFilter) > 0 {
		s.iata = make(map[string]bool, len(cfg.IATAFilter))
		for _, c := range cfg.IATAFilter {
			s.iata[strings.ToUpper(strings.TrimSpace(c))] = true
		}
	}
	broker := brokerURL(cfg.Broker)
	opts := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID(clientID).
		SetCleanSession(false). // persistent session: the broker queues QoS 1 messages while we are down
		SetAutoAckDisabled(true).
		SetOrderMatters(false). // handlers must not block paho's network loop (keepalive)
		SetAutoReconnect(true).
		SetConnectRetry(false). // connectLoop retries with backoff and logs each attempt
		SetMaxReconnectInterval(set.maxReconnect).
		SetConnectTimeout(set.connectTimeout).
		SetWriteTimeout(10 * time.Second).
		SetKeepAlive(set.keepAlive).
		SetPingTimeout(10 * time.Second).
		SetMessageChannelDepth(1000).
		SetDefaultPublishHandler(s.onMessage). // messages of a resumed session can arrive before SUBSCRIBE
		SetOnConnectHandler(s.onConnect).
		SetConnectionLostHandler(s.onLost).
		SetConnectionAttemptHandler(s.onAttempt).
		SetReconnectingHandler(s.onReconnecting)
	if cfg.Username != "" {
		opts.SetUsername(cfg.Username)
	}
	if cfg.Password != "" {
		opts.SetPassword(cfg.Password)
	}
	if u, err := url.Parse(broker); err == nil {
		switch u.Scheme {
		case "mqtts", "ssl", "tls", "tcps", "mqtt+ssl", "wss":
			opts.SetTLSConfig(&tls.Config{
				MinVersion:         tls.VersionTLS12,
				InsecureSkipVerify: !cfg.VerifyTLS(), //nolint:gosec // operator opted out with rejectUnauthorized:false
			})
		}
		switch u.Scheme {
		case "tcp", "mqtt", "mqtts", "ssl", "tls", "tcps", "mqtt+ssl":
			opts.SetCustomOpenConnectionFn(dialBuffered)
		}
	}
	s.client = mqtt.NewClient(opts)
	return s
}

func (s *source) setErr(err error) {
	msg := err.Error()
	s.lastErr.Store(&msg)
	s.errors.Add(1)
}

func (s *source) onAttempt(_ *url.URL, tlsCfg *tls.Config) *tls.Config {
	s.attempts.Add(1)
	return tlsCfg
}

// onReconnecting is paho's automatic reconnect after a lost connection (its
// own backoff up to maxReconnect); one log line per attempt.
func (s *source) onReconnecting(_ mqtt.Client, _ *mqtt.ClientOptions) {
	n := s.reconnects.Add(1)
	if s.logAttempt() {
		s.log.Info("mqtt reconnecting", "reconnects", n, "attempts", s.attempts.Load(), "broker", redactBroker(s.cfg.Broker))
	}
}

// logAttempt reports whether a connection attempt should be logged: the
// first after a connection, then one per attemptLogEvery.
func (s *source) logAttempt() bool {
	now := time.Now().UnixNano()
	last := s.lastAttemptLog.Load()
	if last != 0 && now-last < int64(attemptLogEvery) {
		return false
	}
	return s.lastAttemptLog.CompareAndSwap(last, now)
}

func (s *source) onConnect(c mqtt.Client) {
	now := time.Now()
	s.connected.Store(true)
	s.lastConnect.Store(now.UnixNano())
	s.lastAttemptLog.Store(0)
	filters := make(map[string]byte, len(s.cfg.Topics))
	for _, t := range s.cfg.Topics {
		filters[t] = 1 // QoS 1: at-least-once
	}
	s.log.Info("mqtt connected", "topics", strings.Join(s.cfg.Topics, ","), "client_id", s.clientID)
	// Subscribe from a goroutine: paho's on-connect callback must not block
	// on a token that the same connection has to deliver.
	go func() {
		tok := c.SubscribeMultiple(filters, s.onMessage)
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			err := tok.Error()
			if err == nil {
				err = fmt.Errorf("subscribe timed out")
			}
			s.setErr(fmt.Errorf("subscribe: %w", err))
			s.log.Warn("mqtt subscribe failed", "err", err)
		}
	}()
}

func (s *source) onLost(_ mqtt.Client, err error) {
	s.connected.Store(false)
	s.lastDisconnect.Store(time.Now().UnixNano())
	s.setErr(fmt.Errorf("connection lost: %w", err))
	s.log.Warn("mqtt connection lost", "err", err)
}

func (s *source) onMessage(_ mqtt.Client, m mqtt.Message) {
	s.lastMessage.Store(time.Now().UnixNano())
	s.messages.Add(1)
	s.handle(s, m)
}

// start begins connecting in the background (connectLoop).
func (s *source) start() {
	s.reconnectMu.Lock()
	defer s.reconnectMu.Unlock()
	s.done = make(chan struct{})
	go s.connectLoop(s.done)
}

// connectLoop makes the first connection of a session, retrying with
// exponential backoff (1 s doubling to maxReconnect) and one log line per
// failed attempt. Once connected, paho's auto-reconnect takes over.
func (s *source) connectLoop(done chan struct{}) {
	backoff := time.Second
	for {
		tok := s.client.Connect()
		tok.Wait() // bounded by the connect timeout
		err := tok.Error()
		s.reconnectMu.Lock()
		closed := s.closed
		s.reconnectMu.Unlock()
		if closed {
			if err == nil { // stop raced with a successful connect
				s.client.Disconnect(0)
			}
			return
		}
		if err == nil {
			return
		}
		s.setErr(fmt.Errorf("connect: %w", err))
		if s.logAttempt() {
			s.log.Warn("mqtt connect failed", "attempt", s.attempts.Load(), "broker", redactBroker(s.cfg.Broker),
				"err", err, "retry_in", backoff, "next_log_in", attemptLogEvery)
		}
		select {
		case <-time.After(backoff):
		case <-done:
			return
		}
		backoff = min(backoff*2, s.set.maxReconnect)
	}
}

// stop disconnects, giving in-flight acknowledgements quiesce time to leave.
func (s *source) stop(quiesce time.Duration) {
	s.reconnectMu.Lock()
	s.closed = true
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
	s.reconnectMu.Unlock()
	s.client.Disconnect(uint(quiesce / time.Millisecond))
	s.connected.Store(false)
}

// forceReconnect drops and re-establishes the connection (stall watchdog).
func (s *source) forceReconnect() {
	s.reconnectMu.Lock()
	defer s.reconnectMu.Unlock()
	if s.closed {
		return
	}
	s.reconnects.Add(1)
	s.client.Disconnect(250)
	s.connected.Store(false)
	s.lastDisconnect.Store(time.Now().UnixNano())
	if s.done != nil {
		close(s.done)
	}
	s.done = make(chan struct{})
	go s.connectLoop(s.done)
}

// watch runs one watchdog check (INGEST §11) at now. A source that has never
// delivered anything only gets a warning (hourly): a quiet broker is not a
// broken one. A source that delivered before and has been silent for
// stallAfter (counted from its last message or last connect) is forcibly
// reconnected, at most once per stallRecheck, and while it stays silent only
// once per heartbeat, so a quiet mesh at night does not churn connections.
func (s *source) watch(now time.Time) {
	if !s.connected.Load() {
		return
	}
	last := s.lastMessage.Load()
	if last == 0 {
		if now.Sub(s.registered) >= s.set.stallAfter &&
			(!s.silentWarned || now.Sub(s.lastStallWarn) >= s.set.heartbeatStalls) {
			s.silentWarned, s.lastStallWarn = true, now
			s.log.Warn("mqtt connected but no message received", "idle", now.Sub(s.registered).Round(time.Second))
		}
		return
	}
	if s.stalled && last > s.lastForced.UnixNano() {
		s.stalled = false
		s.log.Info("mqtt recovered")
	}
	ref := max(last, s.lastConnect.Load())
	idle := now.Sub(time.Unix(0, ref))
	if idle < s.set.stallAfter {
		return
	}
	if s.stalled && now.Sub(s.lastForced) < s.set.heartbeatStalls {
		return
	}
	if !s.lastForced.IsZero() && now.Sub(s.lastForced) < s.set.stallRecheck {
		return
	}
	s.stalled, s.lastForced = true, now
	s.stalls.Add(1)
	s.log.Warn("mqtt stalled, forcing reconnect", "idle", now.Sub(time.Unix(0, last)).Round(time.Second))
	go s.forceReconnect()
}

func fmtNanos(n int64) string {
	if n == 0 {
		return ""
	}
	return time.Unix(0, n).UTC().Format(time.RFC3339)
}

func (s *source) stats() SourceStats {
	st := SourceStats{
		Name:           s.cfg.Name,
		Broker:         redactBroker(s.cfg.Broker),
		Topics:         s.cfg.Topics,
		Connected:      s.connected.Load(),
		LastConnect:    fmtNanos(s.lastConnect.Load()),
		LastDisconnect: fmtNanos(s.lastDisconnect.Load()),
		LastMessage:    fmtNanos(s.lastMessage.Load()),
		Messages:       s.messages.Load(),
		Dropped:        s.dropped.Load(),
		Errors:         s.errors.Load(),
		Attempts:       s.attempts.Load(),
		Reconnects:     s.reconnects.Load(),
		Stalls:         s.stalls.Load(),
	}
	if e := s.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}
