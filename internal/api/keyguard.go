package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// API-key guessing limits: keyMaxFailures wrong keys from one address within
// keyFailWindow block that address (429, even with the right key) for
// keyBlockFor. The table holds at most keyGuardMaxEntries addresses.
const (
	keyMaxFailures     = 10
	keyFailWindow      = 10 * time.Minute
	keyBlockFor        = 15 * time.Minute
	keyGuardMaxEntries = 4096
)

// keyGuard counts wrong API keys per client address. IPv6 clients are
// grouped by /64 (one host usually owns a whole /64, so counting single
// addresses would let it guess without limit).
type keyGuard struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*keyEntry
}

type keyEntry struct {
	first   time.Time // start of the counting window
	last    time.Time // latest failure (eviction order)
	fails   int
	blocked time.Time // zero = not blocked; else blocked until
}

func newKeyGuard(now func() time.Time) *keyGuard {
	return &keyGuard{now: now, entries: make(map[string]*keyEntry)}
}

// blocked reports whether addr is blocked and for how much longer.
func (g *keyGuard) blocked(addr string) (time.Duration, bool) {
	k := guardKey(addr)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[k]
	if e == nil || e.blocked.IsZero() {
		return 0, false
	}
	if !now.Before(e.blocked) {
		delete(g.entries, k) // block over: start afresh
		return 0, false
	}
	return e.blocked.Sub(now), true
}

// fail records a wrong key from addr. The first failure that blocks the
// address is logged (once per block); the key itself never is.
func (g *keyGuard) fail(addr string, log *slog.Logger) {
	k := guardKey(addr)
	now := g.now()
	g.mu.Lock()
	e := g.entries[k]
	if e == nil || now.Sub(e.first) > keyFailWindow {
		if e == nil && len(g.entries) >= keyGuardMaxEntries {
			g.evictLocked(now)
		}
		e = &keyEntry{first: now}
		g.entries[k] = e
	}
	e.fails++
	e.last = now
	justBlocked := e.blocked.IsZero() && e.fails >= keyMaxFailures
	if justBlocked {
		e.blocked = now.Add(keyBlockFor)
	}
	fails := e.fails
	g.mu.Unlock()
	if justBlocked {
		log.Warn("API key guesses blocked", "client", k, "failures", fails,
			"window", keyFailWindow, "blocked_for", keyBlockFor)
	}
}

// succeed forgets addr's failures.
func (g *keyGuard) succeed(addr string) {
	k := guardKey(addr)
	g.mu.Lock()
	delete(g.entries, k)
	g.mu.Unlock()
}

// evictLocked makes room: drop entries whose window and block are over; if
// none, drop the entry with the oldest failure (an address flood then only
// forgets the quietest clients, never blocks new ones).
func (g *keyGuard) evictLocked(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, e := range g.entries {
		if now.Sub(e.first) > keyFailWindow && !now.Before(e.blocked) {
			delete(g.entries, k)
			continue
		}
		if oldestKey == "" || e.last.Before(oldest) {
			oldestKey, oldest = k, e.last
		}
	}
	if len(g.entries) >= keyGuardMaxEntries {
		delete(g.entries, oldestKey)
	}
}

func (g *keyGuard) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.entries)
}

// guardKey is the counting key of an address: the IPv4 address, or the /64
// of an IPv6 address; anything unparsable is used verbatim.
func guardKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil {
		return addr
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// clientAddr is the address a request came from. Behind a reverse proxy on
// the same host (the container's Caddy), the peer is loopback and the
// client is the last X-Forwarded-For entry, which that proxy appended; from
// any other peer the header is ignored (a client could forge it).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
				return last
			}
		}
	}
	return host
}
