package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Validate checks every value once at startup. The returned error joins one
// message per bad key, each naming the key ("retention.packetDays: …").
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	if strings.TrimSpace(c.DBPath) == "" {
		bad("dbPath", "must not be empty")
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		bad("logLevel", "%q: want debug, info, warn or error", c.LogLevel)
	}
	if c.GeoFilter != nil {
		validateShape("geo_filter", c.GeoFilter.Polygon, c.GeoFilter.LatMin, c.GeoFilter.LatMax,
			c.GeoFilter.LonMin, c.GeoFilter.LonMax, bad)
		if b := c.GeoFilter.BufferKm; math.IsNaN(b) || b < 0 || b > 20000 {
			bad("geo_filter.bufferKm", "%v: want 0-20000", b)
		}
	}

	c.validateOps(bad)

	// ingestor
	names := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("mqttSources[%d]", i)
		if err := checkBrokerURL(s.Broker); err != nil {
			bad(key+".broker", "%v", err)
		}
		name := s.Name
		if name == "" {
			name = s.Broker
		}
		if names[name] {
			bad(key+".name", "%q is used by two sources (names key the watchdog and logs)", name)
		}
		names[name] = true
		if s.ConnectTimeoutSec < 0 {
			bad(key+".connectTimeoutSec", "%d: must not be negative", s.ConnectTimeoutSec)
		}
		for j, t := range s.Topics {
			if strings.TrimSpace(t) == "" {
				bad(fmt.Sprintf("%s.topics[%d]", key, j), "empty topic")
			} else if err := CheckTopicFilter(t); err != nil {
				bad(fmt.Sprintf("%s.topics[%d]", key, j), "%v", err)
			}
		}
	}
	if len(c.Sources) == 0 && c.MQTT != nil && strings.TrimSpace(c.MQTT.Broker) != "" {
		if err := checkBrokerURL(c.MQTT.Broker); err != nil {
			bad("mqtt.broker", "%v", err)
		}
		if t := strings.TrimSpace(c.MQTT.Topic); t != "" {
			if err := CheckTopicFilter(t); err != nil {
				bad("mqtt.topic", "%v", err)
			}
		}
	}
	if c.EmbeddedBroker != "" {
		if _, port, err := net.SplitHostPort(c.EmbeddedBroker); err != nil || port == "" {
			bad("embeddedBroker", "%q: want host:port, e.g. 127.0.0.1:1883", c.EmbeddedBroker)
		}
	}
	for name, k := range c.ChannelKeys {
		if b, err := hex.DecodeString(strings.TrimSpace(k)); err != nil || len(b) != 16 {
			bad("channelKeys."+name, "want 32 hex characters (an AES-128 key)")
		}
	}
	switch c.ForeignAdverts.Mode {
	case "flag", "drop":
	default:
		bad("foreignAdverts.mode", "%q: want \"flag\" or \"drop\"", c.ForeignAdverts.Mode)
	}
	if c.Metrics.SampleIntervalSec < 1 || c.Metrics.SampleIntervalSec > 86400 {
		bad("metrics.sampleIntervalSec", "%d: want 1-86400", c.Metrics.SampleIntervalSec)
	}
	if c.DB.IncrementalVacuumPages < 0 {
		bad("db.incrementalVacuumPages", "%d: must not be negative", c.DB.IncrementalVacuumPages)
	}
	if c.Ingest.BatchSize < 1 || c.Ingest.BatchSize > 50000 {
		bad("ingest.batchSize", "%d: want 1-50000", c.Ingest.BatchSize)
	}
	if c.Ingest.BatchDelayMs < 0 || c.Ingest.BatchDelayMs > 10000 {
		bad("ingest.batchDelayMs", "%d: want 0-10000", c.Ingest.BatchDelayMs)
	}
	if c.Ingest.QueueSize < c.Ingest.BatchSize {
		bad("ingest.queueSize", "%d: must be at least ingest.batchSize (%d)", c.Ingest.QueueSize, c.Ingest.BatchSize)
	}

	// server
	if c.Port < 1 || c.Port > 65535 {
		bad("port", "%d: want 1-65535", c.Port)
	}
	if c.PacketStore.MaxMemoryMB < 0 {
		bad("packetStore.maxMemoryMB", "%d: must not be negative (0 = unlimited)", c.PacketStore.MaxMemoryMB)
	}
	if c.PacketStore.RetentionHours < 0 || math.IsNaN(c.PacketStore.RetentionHours) {
		bad("packetStore.retentionHours", "%v: must not be negative (0 = unlimited)", c.PacketStore.RetentionHours)
	}
	if c.PacketStore.HotStartupHours < 0 || math.IsNaN(c.PacketStore.HotStartupHours) {
		bad("packetStore.hotStartupHours", "%v: must not be negative (0 = off)", c.PacketStore.HotStartupHours)
	}
	if c.Analytics.DefaultIntervalSeconds < 1 {
		bad("analytics.defaultIntervalSeconds", "%d: want at least 1", c.Analytics.DefaultIntervalSeconds)
	}
	for k, v := range c.Analytics.RecomputeIntervalSeconds {
		if v < 0 {
			bad("analytics.recomputeIntervalSeconds."+k, "%d: must not be negative", v)
		}
	}
	if c.ObserversCache.TTLSeconds < 0 {
		bad("observersCache.ttlSeconds", "%d: must not be negative", c.ObserversCache.TTLSeconds)
	}
	h := c.HealthThresholds
	for _, f := range []struct {
		key string
		v   float64
	}{
		{"infraDegradedHours", h.InfraDegradedHours}, {"infraSilentHours", h.InfraSilentHours},
		{"nodeDegradedHours", h.NodeDegradedHours}, {"nodeSilentHours", h.NodeSilentHours},
		{"relayActiveHours", h.RelayActiveHours},
	} {
		if f.v <= 0 || math.IsNaN(f.v) {
			bad("healthThresholds."+f.key, "%v: want a positive number of hours", f.v)
		}
	}
	if h.InfraDegradedHours > h.InfraSilentHours {
		bad("healthThresholds.infraDegradedHours", "%v is above infraSilentHours (%v)", h.InfraDegradedHours, h.InfraSilentHours)
	}
	if h.NodeDegradedHours > h.NodeSilentHours {
		bad("healthThresholds.nodeDegradedHours", "%v is above nodeSilentHours (%v)", h.NodeDegradedHours, h.NodeSilentHours)
	}
	if c.BatteryThresholds.CriticalMv > c.BatteryThresholds.LowMv {
		bad("batteryThresholds.criticalMv", "%d is above lowMv (%d)", c.BatteryThresholds.CriticalMv, c.BatteryThresholds.LowMv)
	}
	if l := c.Compression.Level; l < -1 || l > 9 {
		bad("compression.level", "%d: want -1 to 9", l)
	}
	if c.Compression.MinSizeBytes < 0 {
		bad("compression.minSizeBytes", "%d: must not be negative", c.Compression.MinSizeBytes)
	}
	for k, a := range c.Areas {
		validateShape("areas."+k, a.Polygon, a.LatMin, a.LatMax, a.LonMin, a.LonMax, bad)
	}
	if len(c.MapDefaults.Center) != 0 {
		if len(c.MapDefaults.Center) != 2 || !validLatLon(c.MapDefaults.Center[0], c.MapDefaults.Center[1]) {
			bad("mapDefaults.center", "want [lat, lon] with lat -90..90 and lon -180..180")
		}
	}
	if c.MapDefaults.Zoom < 0 || c.MapDefaults.Zoom > 22 {
		bad("mapDefaults.zoom", "%d: want 0-22", c.MapDefaults.Zoom)
	}
	if c.LiveMap.PropagationBufferMs < 0 {
		bad("liveMap.propagationBufferMs", "%d: must not be negative", c.LiveMap.PropagationBufferMs)
	}
	return errors.Join(errs...)
}

// checkBrokerURL accepts the schemes paho understands plus the original's
// mqtt:// and mqtts:// spellings.
func checkBrokerURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("%q: scheme must be mqtt, mqtts, tcp, ssl, tls, ws or wss", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: missing host", s)
	}
	return nil
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// validateShape checks a polygon of [lat, lon] points or a bounding box.
func validateShape(key string, poly [][]float64, latMin, latMax, lonMin, lonMax *float64, bad func(string, string, ...any)) {
	box := latMin != nil || latMax != nil || lonMin != nil || lonMax != nil
	switch {
	case len(poly) > 0:
		if len(poly) < 3 {
			bad(key+".polygon", "has %d points: want at least 3", len(poly))
		}
		if len(poly) > 1000 {
			bad(key+".polygon", "has %d points: at most 1000", len(poly))
		}
		for i, p := range poly {
			if len(p) != 2 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || !validLatLon(p[0], p[1]) {
				bad(fmt.Sprintf("%s.polygon[%d]", key, i), "want [lat, lon] with lat -90..90 and lon -180..180")
				return
			}
		}
	case box:
		if latMin == nil || latMax == nil || lonMin == nil || lonMax == nil {
			bad(key, "a bounding box needs latMin, latMax, lonMin and lonMax")
			return
		}
		if !validLatLon(*latMin, *lonMin) || !validLatLon(*latMax, *lonMax) || *latMin > *latMax || *lonMin > *lonMax {
			bad(key, "bounding box out of range or min > max")
		}
	}
}

// CheckTopicFilter applies the MQTT 3.1.1 rules for a subscription filter
// (§4.7.1): "#" only as the whole last level, "+" only as a whole level, no
// NUL, valid UTF-8, at most 65535 bytes. A broker refuses a bad filter
// (Mosquitto closes the connection) and the ingestor would run and ingest
// nothing, so the config is refused at startup instead. A shared
// subscription "$share/<group>/<filter>" is checked on its filter part.
func CheckTopicFilter(f string) error {
	switch {
	case f == "":
		return errors.New("empty topic filter")
	case len(f) > 65535:
		return fmt.Errorf("topic filter of %d bytes exceeds 65535", len(f))
	case !utf8.ValidString(f):
		return fmt.Errorf("topic filter %q is not valid UTF-8", f)
	case strings.ContainsRune(f, 0):
		return fmt.Errorf("topic filter %q contains a NUL character", f)
	}
	if rest, ok := strings.CutPrefix(f, "$share/"); ok {
		group, filter, found := strings.Cut(rest, "/")
		if !found || group == "" || strings.ContainsAny(group, "+#") || filter == "" {
			return fmt.Errorf("shared subscription %q: want $share/<group>/<filter>", f)
		}
		f = filter
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case l == "#" && i != len(levels)-1:
			return fmt.Errorf("topic filter %q: \"#\" must be the last level", f)
		case l != "#" && strings.Contains(l, "#"):
			return fmt.Errorf("topic filter %q: \"#\" must occupy a whole level", f)
		case l != "+" && strings.Contains(l, "+"):
			return fmt.Errorf("topic filter %q: \"+\" must occupy a whole level", f)
		}
	}
	return nil
}
