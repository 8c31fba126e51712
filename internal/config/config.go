// Package config is the one typed configuration shared by the ingestor and the
// server: built-in defaults, overridden by config.json, then by environment
// variables (command-line flags are applied last, by each binary). Load
// validates once at startup and names the file and key of every bad value.
package config

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
)

// Config is every key of config.json that either binary reads. JSON key names
// are the original CoreScope's and must not change: operators keep their files.
// Keys starting with "_comment" are documentation and ignored. Zero config
// works: a local broker on tcp://localhost:1883, topic meshcore/#,
// data/meshcore.db, HTTP port 3000.
type Config struct {
	// --- shared ---

	// DBPath is the SQLite file (env DB_PATH).
	DBPath string `json:"dbPath"`
	// ObserverBlacklist: observer ids dropped at ingest and hidden by the server.
	ObserverBlacklist []string `json:"observerBlacklist"`
	// GeoFilter restricts adverts (ingest) and API output (server); nil = none.
	GeoFilter *GeoFilter `json:"geo_filter"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `json:"logLevel"`

	// --- ingestor ---

	// Sources are the configured brokers (key mqttSources). Use MQTTSources()
	// for the effective list (it resolves legacy keys and defaults).
	Sources []MQTTSource `json:"mqttSources"`
	// MQTT is the legacy single-broker form, used only when mqttSources is empty.
	MQTT *LegacyMQTT `json:"mqtt"`
	// EmbeddedBroker, when set (e.g. "127.0.0.1:1883"), makes the ingestor run an
	// in-process MQTT broker listening there; with no sources configured the
	// ingestor then subscribes to it.
	EmbeddedBroker string `json:"embeddedBroker"`
	// ChannelKeys maps channel name → 32-hex-char AES-128 key (highest priority).
	ChannelKeys map[string]string `json:"channelKeys"`
	// HashChannels are #hashtag channel names whose key is derived from the name.
	HashChannels []string `json:"hashChannels"`
	// ChannelKeysPath is the rainbow key file; "" = <config dir>/channel-rainbow.json
	// (env CHANNEL_KEYS_PATH).
	ChannelKeysPath string `json:"channelKeysPath"`
	// HashRegions are region names for transport-scope matching.
	HashRegions []string `json:"hashRegions"`
	// ValidateSignatures drops adverts with bad Ed25519 signatures (default true).
	ValidateSignatures bool `json:"validateSignatures"`
	// ForeignAdverts says what to do with adverts outside GeoFilter.
	ForeignAdverts ForeignAdverts `json:"foreignAdverts"`
	// ObserverIATAWhitelist is a global, case-insensitive region allow-list; empty = all.
	ObserverIATAWhitelist []string `json:"observerIATAWhitelist"`
	// Retention is the ingestor's database retention policy.
	Retention Retention `json:"retention"`
	// Metrics controls observer_metrics sampling.
	Metrics Metrics `json:"metrics"`
	// DB holds database maintenance knobs.
	DB DBMaintenance `json:"db"`
	// NeighborEdgesMaxAgeDays prunes neighbor_edges older than this (default 5; <= 0 never).
	NeighborEdgesMaxAgeDays int `json:"neighborEdgesMaxAgeDays"`
	// Ingest holds group-commit tuning (our key, not the original's).
	Ingest Ingest `json:"ingest"`
	// MetricsListen is the ingestor's Prometheus /metrics listener
	// ("127.0.0.1:9464"); "" = off (ops.go).
	MetricsListen string `json:"metricsListen"`
	// ObserverRateLimit is the per-observer token bucket of the ingestor (ops.go).
	ObserverRateLimit RateLimit `json:"observerRateLimit"`

	// --- server ---

	// Port is the HTTP port (env PORT; the -port flag wins).
	Port int `json:"port"`
	// APIKey enables the write/admin endpoints (env API_KEY). Never log it.
	APIKey string `json:"apiKey"`
	// NodeBlacklist: node pubkeys hidden from all API output.
	NodeBlacklist []string `json:"nodeBlacklist"`
	// PacketStore is the server's in-memory budget.
	PacketStore PacketStore `json:"packetStore"`
	// CacheTTL is served verbatim by /api/config/cache; see CacheTTLSeconds.
	CacheTTL json.RawMessage `json:"cacheTTL"`
	// Analytics controls background recompute intervals.
	Analytics Analytics `json:"analytics"`
	// NeighborGraph tunes the neighbour graph.
	NeighborGraph NeighborGraph `json:"neighborGraph"`
	// ObserversCache tunes the /api/observers response cache.
	ObserversCache ObserversCache `json:"observersCache"`
	// ObserverSilentMinutes: an observer without a packet for this long is
	// "not forwarding" (status still arrives) or "silent" (default 15; ops.go).
	ObserverSilentMinutes float64 `json:"observerSilentMinutes"`
	// HealthThresholds classify node health (hours).
	HealthThresholds HealthThresholds `json:"healthThresholds"`
	// BatteryThresholds are the battery chart thresholds (mV).
	BatteryThresholds BatteryThresholds `json:"batteryThresholds"`
	// Compression is opt-in gzip / permessage-deflate.
	Compression Compression `json:"compression"`
	// CORSAllowedOrigins is the CORS allow-list (["*"] = all); empty = same-origin.
	CORSAllowedOrigins []string `json:"corsAllowedOrigins"`
	// Areas are the area filter pills, key → area.
	Areas map[string]Area `json:"areas"`
	// Regions maps IATA code → label for the region dropdown.
	Regions map[string]string `json:"regions"`
	// Timestamps is the UI time display; invalid values fall back with a warning.
	Timestamps Timestamps `json:"timestamps"`
	// LiveMap tunes the live map.
	LiveMap LiveMap `json:"liveMap"`
	// MapDefaults is the initial map view.
	MapDefaults MapDefaults `json:"mapDefaults"`
	// ResolvedPath is parsed for compatibility.
	ResolvedPath ResolvedPath `json:"resolvedPath"`

	// SPA pass-through values, served by /api/config/* exactly as written
	// (nil when absent). The server does not interpret them.
	Branding            json.RawMessage `json:"branding"`
	Theme               json.RawMessage `json:"theme"`
	ThemeDark           json.RawMessage `json:"themeDark"`
	NodeColors          json.RawMessage `json:"nodeColors"`
	TypeColors          json.RawMessage `json:"typeColors"`
	Home                json.RawMessage `json:"home"`
	Roles               json.RawMessage `json:"roles"`
	Tiles               json.RawMessage `json:"tiles"`
	SNRThresholds       json.RawMessage `json:"snrThresholds"`
	DistThresholds      json.RawMessage `json:"distThresholds"`
	Limits              json.RawMessage `json:"limits"`
	ExternalURLs        json.RawMessage `json:"externalUrls"`
	MaxHopDist          *float64        `json:"maxHopDist"`
	PerfSlowMs          *int            `json:"perfSlowMs"`
	WSReconnectMs       *int            `json:"wsReconnectMs"`
	CacheInvalidateMs   *int            `json:"cacheInvalidateMs"`
	MapDarkTileProvider string          `json:"mapDarkTileProvider"`
	DebugAffinity       bool            `json:"debugAffinity"`

	// --- not from config.json ---

	// IngestorStatsPath is the 1 Hz stats file the ingestor writes and the
	// server reads, from env CORESCOPE_INGESTOR_STATS; "" = the default, see
	// StatsPath.
	IngestorStatsPath string `json:"-"`
	// PprofEnabled (env ENABLE_PPROF=true) and PprofPort (env PPROF_PORT; 0 =
	// the binary's default: 6060 server, 6061 ingestor).
	PprofEnabled bool `json:"-"`
	PprofPort    int  `json:"-"`
	// Path is the file Load read ("" for Default()).
	Path string `json:"-"`
	// FileMissing is true when Path did not exist and defaults were used; the
	// caller logs it.
	FileMissing bool `json:"-"`
	// Warnings are non-fatal findings (unknown keys, normalised values) for the
	// caller to log.
	Warnings []string `json:"-"`
}

// MQTTSource is one broker the ingestor subscribes to.
type MQTTSource struct {
	Name     string `json:"name"`
	Broker   string `json:"broker"`
	Username string `json:"username"`
	Password string `json:"password"`
	// RejectUnauthorized=false accepts any TLS certificate. Default true.
	RejectUnauthorized *bool    `json:"rejectUnauthorized"`
	Topics             []string `json:"topics"`
	IATAFilter         []string `json:"iataFilter"`
	Region             string   `json:"region"`
	ConnectTimeoutSec  int      `json:"connectTimeoutSec"`
	// ObserverAllow / ObserverDeny are observer id prefixes (case-insensitive):
	// with an allow-list only listed observers are taken; deny wins (ops.go).
	ObserverAllow []string `json:"observerAllow"`
	ObserverDeny  []string `json:"observerDeny"`
	// AdvertGeoFilter drops this source's adverts located outside it (ops.go).
	AdvertGeoFilter *GeoFilter `json:"advertGeoFilter"`
}

// VerifyTLS reports whether TLS certificates must be verified (rejectUnauthorized,
// default true).
func (s MQTTSource) VerifyTLS() bool { return s.RejectUnauthorized == nil || *s.RejectUnauthorized }

// LegacyMQTT is the pre-mqttSources single broker form.
type LegacyMQTT struct {
	Broker string `json:"broker"`
	Topic  string `json:"topic"`
}

// GeoFilter is either a polygon of [lat, lon] points with a buffer, or a
// bounding box.
type GeoFilter struct {
	Polygon  [][]float64 `json:"polygon,omitempty"`
	BufferKm float64     `json:"bufferKm,omitempty"`
	LatMin   *float64    `json:"latMin,omitempty"`
	LatMax   *float64    `json:"latMax,omitempty"`
	LonMin   *float64    `json:"lonMin,omitempty"`
	LonMax   *float64    `json:"lonMax,omitempty"`
}

// ForeignAdverts.Mode is "flag" (default: keep, set nodes.foreign_advert) or "drop".
type ForeignAdverts struct {
	Mode string `json:"mode"`
}

// Retention is the ingestor's database retention. A value <= 0 means keep
// forever (the original used -1 for observers; we accept any value <= 0).
type Retention struct {
	NodeDays     int `json:"nodeDays"`
	ObserverDays int `json:"observerDays"`
	MetricsDays  int `json:"metricsDays"`
	PacketDays   int `json:"packetDays"`
}

// Metrics controls observer_metrics bucketing.
type Metrics struct {
	SampleIntervalSec int `json:"sampleIntervalSec"`
}

// DBMaintenance holds VACUUM settings.
type DBMaintenance struct {
	VacuumOnStartup        bool `json:"vacuumOnStartup"`
	IncrementalVacuumPages int  `json:"incrementalVacuumPages"`
}

// Ingest tunes group commit: a batch is written when it holds BatchSize
// messages or BatchDelayMs after its first message, whichever comes first;
// QueueSize bounds the messages waiting for the writer. With ack-after-commit
// the broker's max_inflight_messages is the unit of work, so BatchSize should
// equal it (1000 in docker/mosquitto.conf): a batch of half the window costs
// two commits per window (PERFORMANCE.md, Ingest).
type Ingest struct {
	BatchSize    int `json:"batchSize"`
	BatchDelayMs int `json:"batchDelayMs"`
	QueueSize    int `json:"queueSize"`
}

// PacketStore is the server's in-memory budget (STORAGE.md §7).
type PacketStore struct {
	MaxMemoryMB                   int     `json:"maxMemoryMB"`
	RetentionHours                float64 `json:"retentionHours"`
	HotStartupHours               float64 `json:"hotStartupHours"`
	MaxResolvedPubkeyIndexEntries int     `json:"maxResolvedPubkeyIndexEntries"`
	EstimatedPacketBytes          int     `json:"estimatedPacketBytes"`
}

// Analytics controls recompute intervals; RecomputeIntervalSeconds overrides
// per endpoint (topology, rf, distance, channels, hashCollisions, hashSizes,
// roles, observersClockSkew, nodesClockSkew).
type Analytics struct {
	DefaultIntervalSeconds   int            `json:"defaultIntervalSeconds"`
	RecomputeIntervalSeconds map[string]int `json:"recomputeIntervalSeconds"`
}

// NeighborGraph: MaxEdgeKm 0 = default 500, < 0 disables the check.
type NeighborGraph struct {
	MaxEdgeKm                     float64 `json:"maxEdgeKm"`
	CacheRecomputeIntervalSeconds int     `json:"cacheRecomputeIntervalSeconds"`
	MaxAgeDays                    float64 `json:"maxAgeDays"`
}

// ObserversCache tunes the /api/observers cache.
type ObserversCache struct {
	TTLSeconds int `json:"ttlSeconds"`
}

// HealthThresholds in hours ("infra" = repeater/room).
type HealthThresholds struct {
	InfraDegradedHours float64 `json:"infraDegradedHours"`
	InfraSilentHours   float64 `json:"infraSilentHours"`
	NodeDegradedHours  float64 `json:"nodeDegradedHours"`
	NodeSilentHours    float64 `json:"nodeSilentHours"`
	RelayActiveHours   float64 `json:"relayActiveHours"`
}

// BatteryThresholds in millivolts.
type BatteryThresholds struct {
	LowMv      int `json:"lowMv"`
	CriticalMv int `json:"criticalMv"`
}

// Compression is opt-in response compression.
type Compression struct {
	Gzip         bool     `json:"gzip"`
	Websocket    bool     `json:"websocket"`
	Level        int      `json:"level"`
	MinSizeBytes int      `json:"minSizeBytes"`
	ContentTypes []string `json:"contentTypes"`
}

// Area is one area filter pill: a polygon or a bounding box.
type Area struct {
	Label   string      `json:"label"`
	Polygon [][]float64 `json:"polygon,omitempty"`
	LatMin  *float64    `json:"latMin,omitempty"`
	LatMax  *float64    `json:"latMax,omitempty"`
	LonMin  *float64    `json:"lonMin,omitempty"`
	LonMax  *float64    `json:"lonMax,omitempty"`
}

// Timestamps is the UI time display configuration.
type Timestamps struct {
	DefaultMode       string `json:"defaultMode"`
	Timezone          string `json:"timezone"`
	FormatPreset      string `json:"formatPreset"`
	CustomFormat      string `json:"customFormat"`
	AllowCustomFormat bool   `json:"allowCustomFormat"`
}

// LiveMap tunes the live map.
type LiveMap struct {
	PropagationBufferMs int `json:"propagationBufferMs"`
}

// MapDefaults is the initial map centre [lat, lon] and zoom.
type MapDefaults struct {
	Center []float64 `json:"center"`
	Zoom   int       `json:"zoom"`
}

// ResolvedPath is parsed for compatibility with the original's config.
type ResolvedPath struct {
	BackfillHours float64 `json:"backfillHours"`
}

// DefaultTopic is subscribed when a source names no topics.
const DefaultTopic = "meshcore/#"

// Default returns the built-in configuration (what runs with no config.json).
func Default() Config {
	return Config{
		DBPath:                  "data/meshcore.db",
		ValidateSignatures:      true,
		ForeignAdverts:          ForeignAdverts{Mode: "flag"},
		Retention:               Retention{NodeDays: 7, ObserverDays: 14, MetricsDays: 30, PacketDays: 0},
		Metrics:                 Metrics{SampleIntervalSec: 300},
		DB:                      DBMaintenance{IncrementalVacuumPages: 1024},
		NeighborEdgesMaxAgeDays: 5,
		Ingest:                  Ingest{BatchSize: 1000, BatchDelayMs: 50, QueueSize: 10000},
		Port:                    3000,
		PacketStore:             PacketStore{MaxResolvedPubkeyIndexEntries: 5_000_000},
		Analytics:               Analytics{DefaultIntervalSeconds: 300},
		NeighborGraph:           NeighborGraph{MaxEdgeKm: 500, CacheRecomputeIntervalSeconds: 300},
		ObserversCache:          ObserversCache{TTLSeconds: 30},
		HealthThresholds: HealthThresholds{
			InfraDegradedHours: 24, InfraSilentHours: 72,
			NodeDegradedHours: 1, NodeSilentHours: 24, RelayActiveHours: 24,
		},
		BatteryThresholds: BatteryThresholds{LowMv: 3300, CriticalMv: 3000},
		Compression:       Compression{Level: 6, MinSizeBytes: 1024},
		Timestamps:        Timestamps{DefaultMode: "ago", Timezone: "local", FormatPreset: "iso"},
		LiveMap:           LiveMap{PropagationBufferMs: 5000},
		MapDefaults:       MapDefaults{Center: []float64{37.45, -122.0}, Zoom: 9},
	}
}

// MQTTSources returns the effective broker list, resolved in this order:
// env MQTT_BROKER (already folded into MQTTSources by Load), mqttSources,
// legacy mqtt {broker, topic} (subscribing to topic and meshcore/#), the
// embedded broker when one is configured, else tcp://localhost:1883. Sources
// without topics get meshcore/#; unnamed ones are named after their broker.
// The result is a fresh slice the caller may modify.
func (c *Config) MQTTSources() []MQTTSource {
	var out []MQTTSource
	switch {
	case len(c.Sources) > 0:
		out = make([]MQTTSource, len(c.Sources))
		copy(out, c.Sources)
	case c.MQTT != nil && strings.TrimSpace(c.MQTT.Broker) != "":
		topics := []string{DefaultTopic}
		if t := strings.TrimSpace(c.MQTT.Topic); t != "" && t != DefaultTopic {
			topics = []string{t, DefaultTopic}
		}
		out = []MQTTSource{{Name: "default", Broker: c.MQTT.Broker, Topics: topics}}
	case c.EmbeddedBroker != "":
		out = []MQTTSource{{Name: "embedded", Broker: "tcp://" + dialable(c.EmbeddedBroker)}}
	default:
		out = []MQTTSource{{Name: "local", Broker: "tcp://localhost:1883"}}
	}
	for i := range out {
		if len(out[i].Topics) == 0 {
			out[i].Topics = []string{DefaultTopic}
		} else {
			out[i].Topics = append([]string(nil), out[i].Topics...)
		}
		if out[i].Name == "" {
			out[i].Name = out[i].Broker
		}
		if out[i].ConnectTimeoutSec <= 0 {
			out[i].ConnectTimeoutSec = 30
		}
	}
	return out
}

// dialable turns a listen address into one a client can connect to: a
// wildcard host becomes loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// StatsPath is where the ingestor writes its 1 Hz stats file and the server
// reads it: env CORESCOPE_INGESTOR_STATS when set, else ingestor-stats.json
// next to the database (both processes share the data directory; the
// original's /tmp default broke when they ran in different containers).
func (c *Config) StatsPath() string {
	if c.IngestorStatsPath != "" {
		return c.IngestorStatsPath
	}
	return filepath.Join(filepath.Dir(c.DBPath), "ingestor-stats.json")
}

// weakAPIKeys are rejected case-insensitively (API.md §0.3).
var weakAPIKeys = []string{
	"your-secret-api-key-here", "change-me", "example", "test", "password",
	"admin", "apikey", "api-key", "secret", "default",
}

// MinAPIKeyLen is the shortest API key accepted as strong.
const MinAPIKeyLen = 16

// APIKeyConfigured reports whether an API key is set at all.
func (c *Config) APIKeyConfigured() bool { return c.APIKey != "" }

// APIKeyStrong reports whether the API key is set, at least MinAPIKeyLen
// characters, and not a known placeholder. A weak key disables every protected
// route (API.md §0.3).
func (c *Config) APIKeyStrong() bool {
	if len(c.APIKey) < MinAPIKeyLen {
		return false
	}
	for _, w := range weakAPIKeys {
		if strings.EqualFold(c.APIKey, w) {
			return false
		}
	}
	return true
}

// CacheTTLSeconds returns the numeric cacheTTL[key] in seconds, or def when
// the key is absent or not a number.
func (c *Config) CacheTTLSeconds(key string, def float64) float64 {
	if len(c.CacheTTL) == 0 {
		return def
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(c.CacheTTL, &m) != nil {
		return def
	}
	var v float64
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &v) == nil {
		return v
	}
	return def
}

// RecomputeInterval returns analytics.recomputeIntervalSeconds[name] if set
// (> 0), else analytics.defaultIntervalSeconds.
func (c *Config) RecomputeInterval(name string) int {
	if v := c.Analytics.RecomputeIntervalSeconds[name]; v > 0 {
		return v
	}
	return c.Analytics.DefaultIntervalSeconds
}

// String never shows secrets: it exists so that logging a Config by accident
// does not leak the API key or broker passwords.
func (c *Config) String() string {
	return fmt.Sprintf("config(path=%q db=%q port=%d sources=%d api_key_set=%t)",
		c.Path, c.DBPath, c.Port, len(c.Sources), c.APIKey != "")
}
