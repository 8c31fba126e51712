package config

import (
	"fmt"
	"math"
	"net"
	"strings"
	"time"
)

// Operations keys (issue 12): the ingestor's /metrics listener, the
// per-observer rate limit, per-source observer allow/deny lists and advert
// geo filter, and the server's silent-observer threshold.

// RateLimit is a token bucket per observer: PacketsPerSec sustained, Burst
// at once. Zero values take the defaults (50/s, burst 500); a negative
// PacketsPerSec turns the limit off.
type RateLimit struct {
	PacketsPerSec float64 `json:"packetsPerSec"`
	Burst         int     `json:"burst"`
}

// Defaults of the operations keys.
const (
	DefaultObserverRate   = 50
	DefaultObserverBurst  = 500
	DefaultSilentMinutes  = 15
	maxObserverListPrefix = 256
)

// Rate returns the effective sustained rate and burst; ok = false when the
// limit is off.
func (r RateLimit) Rate() (perSec float64, burst int, ok bool) {
	perSec, burst = r.PacketsPerSec, r.Burst
	if perSec < 0 {
		return 0, 0, false
	}
	if perSec == 0 {
		perSec = DefaultObserverRate
	}
	if burst <= 0 {
		burst = max(DefaultObserverBurst, int(math.Ceil(perSec)))
	}
	return perSec, burst, true
}

// ObserverSilentAfter is the silent-observer threshold (observerSilentMinutes,
// default 15 min).
func (c *Config) ObserverSilentAfter() time.Duration {
	m := c.ObserverSilentMinutes
	if m <= 0 {
		m = DefaultSilentMinutes
	}
	return time.Duration(m * float64(time.Minute))
}

func (c *Config) validateOps(bad func(key, format string, args ...any)) {
	if a := strings.TrimSpace(c.MetricsListen); a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad("metricsListen", "%q: want host:port, e.g. 127.0.0.1:9464", c.MetricsListen)
		}
	}
	if r := c.ObserverRateLimit.PacketsPerSec; math.IsNaN(r) || math.IsInf(r, 0) || r > 1e6 {
		bad("observerRateLimit.packetsPerSec", "%v: want a number up to 1e6 (negative = off)", r)
	}
	if b := c.ObserverRateLimit.Burst; b < 0 || b > 1e7 {
		bad("observerRateLimit.burst", "%d: want 0-10000000 (0 = default)", b)
	}
	if m := c.ObserverSilentMinutes; math.IsNaN(m) || m < 0 || m > 1e6 {
		bad("observerSilentMinutes", "%v: want minutes ≥ 0 (0 = default 15)", m)
	}
	for i, s := range c.Sources {
		key := fmt.Sprintf("mqttSources[%d]", i)
		checkPrefixes(key+".observerAllow", s.ObserverAllow, bad)
		checkPrefixes(key+".observerDeny", s.ObserverDeny, bad)
		if g := s.AdvertGeoFilter; g != nil {
			validateShape(key+".advertGeoFilter", g.Polygon, g.LatMin, g.LatMax, g.LonMin, g.LonMax, bad)
			if g.Contains() == nil {
				bad(key+".advertGeoFilter", "defines no area: want a polygon of ≥ 3 points or latMin/latMax/lonMin/lonMax")
			}
		}
	}
}

func checkPrefixes(key string, list []string, bad func(key, format string, args ...any)) {
	for j, p := range list {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			bad(fmt.Sprintf("%s[%d]", key, j), "empty prefix (it would match every observer)")
		case len(p) > maxObserverListPrefix:
			bad(fmt.Sprintf("%s[%d]", key, j), "longer than %d bytes", maxObserverListPrefix)
		}
	}
}
