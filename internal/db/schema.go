package db

import "strings"

// column is one column of the canonical schema. decl must be valid both in
// CREATE TABLE and in ALTER TABLE ADD COLUMN (so no PRIMARY KEY/UNIQUE on
// columns that legacy databases may lack).
type column struct {
	name string
	decl string
}

// table is one table of the canonical schema (STORAGE.md §3). Column order is
// the physical order a CoreScope 13bdee57 database ends with after our
// migrations, so a fresh database and a migrated one are identical column for
// column. Nothing in this package depends on column order (no SELECT *).
type table struct {
	name        string
	columns     []column
	constraints string // table constraints appended to CREATE TABLE, e.g. a composite key
}

func (t table) createSQL() string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(t.name)
	b.WriteString(" (\n")
	for i, c := range t.columns {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("    ")
		b.WriteString(c.name)
		b.WriteString(" ")
		b.WriteString(c.decl)
	}
	if t.constraints != "" {
		b.WriteString(",\n    ")
		b.WriteString(t.constraints)
	}
	b.WriteString("\n)")
	return b.String()
}

// nodeColumns is shared by nodes and inactive_nodes: retention moves rows
// between them, so the two must stay identical.
var nodeColumns = []column{
	{"public_key", "TEXT PRIMARY KEY"},
	{"name", "TEXT"},
	{"role", "TEXT"},
	{"lat", "REAL"},
	{"lon", "REAL"},
	{"last_seen", "TEXT"},
	{"first_seen", "TEXT"},
	{"advert_count", "INTEGER DEFAULT 0"},
	{"battery_mv", "INTEGER"},
	{"temperature_c", "REAL"},
	{"foreign_advert", "INTEGER DEFAULT 0"},
	{"default_scope", "TEXT DEFAULT NULL"},
	{"multibyte_sup", "INTEGER NOT NULL DEFAULT 0"},
	{"multibyte_evidence", "TEXT DEFAULT NULL"},
}

// observerColumns: [improve] idx is an explicit INTEGER PRIMARY KEY (a rowid
// alias, stable across VACUUM) that observations.observer_idx points to; the
// original relied on the implicit rowid of a TEXT-keyed table. AUTOINCREMENT
// so that the idx of an observer deleted by hand is never given to another
// one (its old observations would silently change owner). Legacy tables are
// rebuilt by migration observers_explicit_idx_v1 with idx = old rowid.
var observerColumns = []column{
	{"idx", "INTEGER PRIMARY KEY AUTOINCREMENT"},
	{"id", "TEXT NOT NULL UNIQUE"},
	{"name", "TEXT"},
	{"iata", "TEXT"},
	{"last_seen", "TEXT"},
	{"first_seen", "TEXT"},
	{"packet_count", "INTEGER DEFAULT 0"},
	{"model", "TEXT"},
	{"firmware", "TEXT"},
	{"client_version", "TEXT"},
	{"radio", "TEXT"},
	{"battery_mv", "INTEGER"},
	{"uptime_secs", "INTEGER"},
	{"noise_floor", "REAL"},
	{"inactive", "INTEGER DEFAULT 0"},
	{"last_packet_at", "TEXT DEFAULT NULL"},
	{"clock_skew_seconds", "INTEGER DEFAULT NULL"},
	{"clock_skew_count_24h", "INTEGER DEFAULT 0"},
	{"clock_last_naive_at", "TEXT DEFAULT NULL"},
}

// tables is the canonical schema. created_at and dropped_at keep the
// original's defaults so that fresh and migrated databases stay identical, but
// we always write them explicitly in RFC 3339.
var tables = []table{
	{name: "nodes", columns: nodeColumns},
	{name: "observers", columns: observerColumns},
	{name: "transmissions", columns: []column{
		{"id", "INTEGER PRIMARY KEY AUTOINCREMENT"},
		{"raw_hex", "TEXT NOT NULL"},
		{"hash", "TEXT NOT NULL UNIQUE"},
		{"first_seen", "TEXT NOT NULL"},
		{"route_type", "INTEGER"},
		{"payload_type", "INTEGER"},
		{"payload_version", "INTEGER"},
		{"decoded_json", "TEXT"},
		{"created_at", "TEXT DEFAULT (datetime('now'))"},
		{"channel_hash", "TEXT DEFAULT NULL"},
		{"from_pubkey", "TEXT"},
		{"scope_name", "TEXT DEFAULT NULL"},
	}},
	{name: "observations", columns: []column{
		{"id", "INTEGER PRIMARY KEY AUTOINCREMENT"},
		{"transmission_id", "INTEGER NOT NULL REFERENCES transmissions(id)"},
		{"observer_idx", "INTEGER"},
		{"direction", "TEXT"},
		{"snr", "REAL"},
		{"rssi", "REAL"},
		{"score", "INTEGER"},
		{"path_json", "TEXT"},
		{"timestamp", "INTEGER NOT NULL"},
		{"resolved_path", "TEXT"},
		{"raw_hex", "TEXT"},
	}},
	{name: "neighbor_edges", columns: []column{
		{"node_a", "TEXT NOT NULL"},
		{"node_b", "TEXT NOT NULL"},
		{"count", "INTEGER DEFAULT 1"},
		{"last_seen", "TEXT"},
	}, constraints: "PRIMARY KEY (node_a, node_b)"},
	{name: "inactive_nodes", columns: nodeColumns},
	{name: "observer_metrics", columns: []column{
		{"observer_id", "TEXT NOT NULL"},
		{"timestamp", "TEXT NOT NULL"},
		{"noise_floor", "REAL"},
		{"tx_air_secs", "INTEGER"},
		{"rx_air_secs", "INTEGER"},
		{"recv_errors", "INTEGER"},
		{"battery_mv", "INTEGER"},
		{"packets_sent", "INTEGER"},
		{"packets_recv", "INTEGER"},
	}, constraints: "PRIMARY KEY (observer_id, timestamp)"},
	{name: "dropped_packets", columns: []column{
		{"id", "INTEGER PRIMARY KEY AUTOINCREMENT"},
		{"hash", "TEXT"},
		{"raw_hex", "TEXT"},
		{"reason", "TEXT NOT NULL"},
		{"observer_id", "TEXT"},
		{"observer_name", "TEXT"},
		{"node_pubkey", "TEXT"},
		{"node_name", "TEXT"},
		{"dropped_at", "DATETIME DEFAULT CURRENT_TIMESTAMP"},
	}},
}

// indexes are created IF NOT EXISTS after the tables. idx_observations_dedup
// is the observation dedup key; SQLite treats NULLs as distinct, so rows with
// a NULL observer_idx are never de-duplicated by it.
var indexes = []string{
	"CREATE INDEX IF NOT EXISTS idx_nodes_last_seen ON nodes(last_seen)",
	"CREATE INDEX IF NOT EXISTS idx_nodes_foreign_advert ON nodes(foreign_advert) WHERE foreign_advert = 1",
	"CREATE INDEX IF NOT EXISTS idx_inactive_nodes_last_seen ON inactive_nodes(last_seen)",
	"CREATE INDEX IF NOT EXISTS idx_observers_last_seen ON observers(last_seen)",
	"CREATE INDEX IF NOT EXISTS idx_transmissions_hash ON transmissions(hash)",
	"CREATE INDEX IF NOT EXISTS idx_transmissions_first_seen ON transmissions(first_seen)",
	"CREATE INDEX IF NOT EXISTS idx_transmissions_payload_type ON transmissions(payload_type)",
	"CREATE INDEX IF NOT EXISTS idx_transmissions_from_pubkey ON transmissions(from_pubkey)",
	"CREATE INDEX IF NOT EXISTS idx_tx_channel_hash ON transmissions(channel_hash) WHERE payload_type = 5",
	"CREATE INDEX IF NOT EXISTS idx_tx_scope_name ON transmissions(scope_name) WHERE scope_name IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS idx_observations_transmission_id ON observations(transmission_id)",
	"CREATE INDEX IF NOT EXISTS idx_observations_observer_idx ON observations(observer_idx)",
	"CREATE INDEX IF NOT EXISTS idx_observations_timestamp ON observations(timestamp)",
	"CREATE INDEX IF NOT EXISTS idx_observations_observer_idx_timestamp ON observations(observer_idx, timestamp)",
	"CREATE INDEX IF NOT EXISTS idx_observations_tx_ts ON observations(transmission_id, timestamp)",
	"CREATE UNIQUE INDEX IF NOT EXISTS idx_observations_dedup ON observations(transmission_id, observer_idx, COALESCE(path_json, ''))",
	"CREATE INDEX IF NOT EXISTS idx_observer_metrics_timestamp ON observer_metrics(timestamp)",
	"CREATE INDEX IF NOT EXISTS idx_dropped_observer ON dropped_packets(observer_id)",
	"CREATE INDEX IF NOT EXISTS idx_dropped_node ON dropped_packets(node_pubkey)",
	// Ours: retention deletes dropped packets by age.
	"CREATE INDEX IF NOT EXISTS idx_dropped_at ON dropped_packets(dropped_at)",
	// Ours: neighbor-edge pruning and the watermark query.
	"CREATE INDEX IF NOT EXISTS idx_neighbor_edges_last_seen ON neighbor_edges(last_seen)",
}

// packetsView is kept for compatibility with tools written against the
// original (STORAGE.md §3.8); hot paths do not use it.
const packetsView = `CREATE VIEW packets_v AS
SELECT o.id, COALESCE(o.raw_hex, t.raw_hex) AS raw_hex,
       datetime(o.timestamp, 'unixepoch') AS timestamp,
       obs.id AS observer_id, obs.name AS observer_name,
       o.direction, o.snr, o.rssi, o.score, t.hash, t.route_type,
       t.payload_type, t.payload_version, o.path_json, t.decoded_json,
       t.created_at
FROM observations o
JOIN transmissions t ON t.id = o.transmission_id
LEFT JOIN observers obs ON obs.idx = o.observer_idx AND COALESCE(obs.inactive, 0) = 0`
