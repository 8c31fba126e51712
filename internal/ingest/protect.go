package ingest

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/config"
)

// Ingest protection (issue 12): per-source observer allow/deny lists by id
// prefix (the original's observerBlacklist generalised), a per-source advert
// geo filter, and a token bucket per observer so that one flooding observer
// costs the others nothing but the parse of its excess messages.

// Drop reasons of the protection layer.
const (
	DropObserverDenied = "observer_denied" // mqttSources[].observerDeny, or not on observerAllow
	DropRateLimited    = "rate_limited"    // over observerRateLimit
	DropGeoFiltered    = "geo_filtered"    // advert outside mqttSources[].advertGeoFilter
)

// sourceGuard is one source's allow/deny lists (lower-cased prefixes) and
// advert geo test.
type sourceGuard struct {
	allow, deny []string
	geo         func(lat, lon float64) bool
}

// newGuards builds the guards of the configured sources, keyed by source
// name. Sources without any protection have no entry.
func newGuards(srcs []config.MQTTSource) map[string]*sourceGuard {
	out := map[string]*sourceGuard{}
	for _, sc := range srcs {
		g := &sourceGuard{allow: lowerPrefixes(sc.ObserverAllow), deny: lowerPrefixes(sc.ObserverDeny), geo: sc.AdvertGeoFilter.Contains()}
		if g.allow != nil || g.deny != nil || g.geo != nil {
			out[sc.Name] = g
		}
	}
	return out
}

func lowerPrefixes(list []string) []string {
	var out []string
	for _, p := range list {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// admits reports whether the guard lets observer id through: not on the
// deny-list, and on the allow-list when there is one.
func (g *sourceGuard) admits(id string) bool {
	if hasPrefixFold(id, g.deny) {
		return false
	}
	return g.allow == nil || hasPrefixFold(id, g.allow)
}

// hasPrefixFold reports whether id starts with one of the lower-case
// prefixes, ignoring case, without allocating.
func hasPrefixFold(id string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(id) >= len(p) && strings.EqualFold(id[:len(p)], p) {
			return true
		}
	}
	return false
}

func (ing *Ingestor) guardOf(s *source) *sourceGuard {
	if s == nil || len(ing.guards) == 0 {
		return nil
	}
	return ing.guards[s.cfg.Name]
}

// protect applies the source's observer lists and the observer's rate limit
// to a message from an observer topic (meshcore/<region>/<observer>/...),
// before its payload is parsed, so that a flood or a denied observer costs
// only a topic split and a map lookup. Companion topics
// (meshcore/message/...) carry no observer and pass.
func (ing *Ingestor) protect(s *source, topic string) error {
	if ing.rate == nil && ing.guardOf(s) == nil {
		return nil
	}
	segs, n := splitTopic(topic)
	if n < 3 || segs[1] == "message" || segs[2] == "" {
		return nil
	}
	id := segs[2]
	if g := ing.guardOf(s); g != nil && (g.allow != nil || g.deny != nil) && !g.admits(id) {
		return drop(DropObserverDenied, fmt.Errorf("observer %s on source %s", short(id), s.cfg.Name))
	}
	if ing.rate != nil && !ing.rate.allow(id, time.Now()) {
		return drop(DropRateLimited, fmt.Errorf("observer %s over %g messages/s", short(id), ing.rate.perSec))
	}
	return nil
}

// advertOutside reports whether an advert position is outside the source's
// advert geo filter (adverts without a position pass, as with geo_filter).
func (ing *Ingestor) advertOutside(s *source, n *nodeRec) bool {
	g := ing.guardOf(s)
	if g == nil || g.geo == nil || n == nil || n.Lat == nil || n.Lon == nil {
		return false
	}
	return !g.geo(*n.Lat, *n.Lon)
}

// maxRateBuckets bounds the rate limiter's table: observer ids come from
// topics anyone may publish to.
const maxRateBuckets = 10000

// overflowKey is the bucket shared by observers that do not fit the table.
const overflowKey = "(overflow)"

// rateLimiter is a token bucket per observer id.
type rateLimiter struct {
	perSec, burst float64
	mu            sync.Mutex
	m             map[string]*tokenBucket
}

type tokenBucket struct {
	tokens  float64
	last    time.Time
	dropped uint64
}

func newRateLimiter(cfg config.RateLimit) *rateLimiter {
	perSec, burst, ok := cfg.Rate()
	if !ok {
		return nil
	}
	return &rateLimiter{perSec: perSec, burst: float64(burst), m: make(map[string]*tokenBucket)}
}

// allow takes one token from id's bucket; false = over the limit (counted).
func (l *rateLimiter) allow(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[id]
	if b == nil {
		b = l.add(id, now)
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(l.burst, b.tokens+dt*l.perSec)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.dropped++
	return false
}

// add makes a full bucket for a new observer. When the table is full, idle
// buckets that never dropped anything are forgotten (a full bucket is what a
// new one would be); if that frees nothing, the observer shares the overflow
// bucket.
func (l *rateLimiter) add(id string, now time.Time) *tokenBucket {
	if len(l.m) >= maxRateBuckets {
		refill := time.Duration(l.burst / l.perSec * float64(time.Second))
		for k, b := range l.m {
			if b.dropped == 0 && now.Sub(b.last) > refill {
				delete(l.m, k)
			}
		}
		if len(l.m) >= maxRateBuckets {
			if b := l.m[overflowKey]; b != nil {
				return b
			}
			id = overflowKey
		}
	}
	b := &tokenBucket{tokens: l.burst, last: now}
	l.m[strings.Clone(id)] = b
	return b
}

// RateLimited is one observer's count of messages dropped by the rate limit.
type RateLimited struct {
	Observer string `json:"observer"`
	Dropped  uint64 `json:"dropped"`
}

// limited returns the observers that had messages dropped, most first.
func (l *rateLimiter) limited() []RateLimited {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	var out []RateLimited
	for k, b := range l.m {
		if b.dropped > 0 {
			out = append(out, RateLimited{Observer: k, Dropped: b.dropped})
		}
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dropped != out[j].Dropped {
			return out[i].Dropped > out[j].Dropped
		}
		return out[i].Observer < out[j].Observer
	})
	return out
}
