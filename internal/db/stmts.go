package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The writer's per-message statements. Each is covered by an index (see
// TestWriterQueriesUseIndexes); none scans a table.
const (
	sqlInsertTx = `INSERT INTO transmissions
    (raw_hex, hash, first_seen, route_type, payload_type, payload_version, decoded_json, created_at, channel_hash, from_pubkey, scope_name)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(hash) DO NOTHING
RETURNING id`

	sqlTxByHash = `SELECT id FROM transmissions WHERE hash = ?`

	sqlObserverByID = `SELECT idx FROM observers WHERE id = ?`

	sqlInsertObs = `INSERT INTO observations
    (transmission_id, observer_idx, direction, snr, rssi, score, path_json, timestamp, raw_hex, resolved_path)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`

	// Parameters: ?1 id, ?2 name, ?3 iata, ?4 seen (NULL = do not touch
	// last_seen), ?5 first_seen, ?6 packet increment, ?7..?13 status meta,
	// ?14 last_packet_at, ?15 clock skew, ?16 skew count on insert, ?17 skew
	// time, ?18 now, ?19 skew time − 24 h. Times never move backwards, and a
	// stored time in the future is first clamped to now (INGEST.md §6).
	sqlUpsertObserver = `INSERT INTO observers
    (id, name, iata, last_seen, first_seen, packet_count, model, firmware, client_version, radio,
     battery_mv, uptime_secs, noise_floor, inactive, last_packet_at,
     clock_skew_seconds, clock_skew_count_24h, clock_last_naive_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0, ?14, ?15, ?16, ?17)
ON CONFLICT(id) DO UPDATE SET
    name = COALESCE(excluded.name, name),
    iata = COALESCE(excluded.iata, iata),
    last_seen = CASE WHEN excluded.last_seen IS NULL THEN last_seen
        ELSE max(min(COALESCE(last_seen, excluded.last_seen), ?18), excluded.last_seen) END,
    packet_count = COALESCE(packet_count, 0) + excluded.packet_count,
    model = COALESCE(excluded.model, model),
    firmware = COALESCE(excluded.firmware, firmware),
    client_version = COALESCE(excluded.client_version, client_version),
    radio = COALESCE(excluded.radio, radio),
    battery_mv = COALESCE(excluded.battery_mv, battery_mv),
    uptime_secs = COALESCE(excluded.uptime_secs, uptime_secs),
    noise_floor = COALESCE(excluded.noise_floor, noise_floor),
    inactive = CASE WHEN excluded.last_seen IS NULL THEN inactive ELSE 0 END,
    last_packet_at = CASE WHEN excluded.last_packet_at IS NULL THEN last_packet_at
        ELSE max(min(COALESCE(last_packet_at, excluded.last_packet_at), ?18), excluded.last_packet_at) END,
    clock_skew_count_24h = CASE WHEN excluded.clock_last_naive_at IS NULL THEN clock_skew_count_24h
        WHEN clock_last_naive_at IS NULL OR clock_last_naive_at < ?19 THEN 1
        ELSE COALESCE(clock_skew_count_24h, 0) + 1 END,
    clock_skew_seconds = COALESCE(excluded.clock_skew_seconds, clock_skew_seconds),
    clock_last_naive_at = COALESCE(excluded.clock_last_naive_at, clock_last_naive_at)
RETURNING idx`

	sqlDeleteInactive = `DELETE FROM inactive_nodes WHERE public_key = ?`

	// Parameters: ?1 key, ?2 name, ?3 role, ?4 lat, ?5 lon, ?6 seen,
	// ?7 advert increment, ?8 battery, ?9 temperature, ?10 foreign,
	// ?11 default scope, ?12 now. NULL never blanks a stored value.
	sqlUpsertNode = `INSERT INTO nodes
    (public_key, name, role, lat, lon, last_seen, first_seen, advert_count, battery_mv, temperature_c, foreign_advert, default_scope)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT(public_key) DO UPDATE SET
    name = COALESCE(excluded.name, name),
    role = COALESCE(excluded.role, role),
    lat = CASE WHEN excluded.lat IS NULL THEN lat ELSE excluded.lat END,
    lon = CASE WHEN excluded.lat IS NULL THEN lon ELSE excluded.lon END,
    last_seen = max(min(COALESCE(last_seen, excluded.last_seen), ?12), excluded.last_seen),
    advert_count = COALESCE(advert_count, 0) + excluded.advert_count,
    battery_mv = COALESCE(excluded.battery_mv, battery_mv),
    temperature_c = COALESCE(excluded.temperature_c, temperature_c),
    foreign_advert = CASE WHEN excluded.foreign_advert = 1 THEN 1 ELSE foreign_advert END,
    default_scope = COALESCE(excluded.default_scope, default_scope)`

	sqlInsertMetrics = `INSERT OR REPLACE INTO observer_metrics
    (observer_id, timestamp, noise_floor, tx_air_secs, rx_air_secs, recv_errors, battery_mv, packets_sent, packets_recv)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

	sqlInsertDropped = `INSERT INTO dropped_packets
    (hash, raw_hex, reason, observer_id, observer_name, node_pubkey, node_name, dropped_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// sqlReviveNode moves a node back from inactive_nodes (columns by name: the
// two tables' physical order may differ on legacy databases).
var sqlReviveNode = `INSERT INTO nodes (` + nodeColumnList + `)
SELECT ` + nodeColumnList + ` FROM inactive_nodes WHERE public_key = ?1
ON CONFLICT(public_key) DO NOTHING`

var nodeColumnList = func() string {
	names := make([]string, len(nodeColumns))
	for i, c := range nodeColumns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}()

// writerStmts are prepared once on the writer's single connection and reused
// by every batch.
type writerStmts struct {
	insertTx, txByHash, observerByID, insertObs, upsertObserver *sql.Stmt
	reviveNode, deleteInactive, upsertNode, insertMetrics       *sql.Stmt
	insertDropped                                               *sql.Stmt
}

func (ws *writerStmts) all() []**sql.Stmt {
	return []**sql.Stmt{&ws.insertTx, &ws.txByHash, &ws.observerByID, &ws.insertObs, &ws.upsertObserver,
		&ws.reviveNode, &ws.deleteInactive, &ws.upsertNode, &ws.insertMetrics, &ws.insertDropped}
}

var writerSQL = []string{sqlInsertTx, sqlTxByHash, sqlObserverByID, sqlInsertObs, sqlUpsertObserver,
	sqlReviveNode, sqlDeleteInactive, sqlUpsertNode, sqlInsertMetrics, sqlInsertDropped}

func (ws *writerStmts) prepare(ctx context.Context, db *sql.DB) error {
	for i, p := range ws.all() {
		st, err := db.PrepareContext(ctx, writerSQL[i])
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(writerSQL[i]), err)
		}
		*p = st
	}
	return nil
}

func (ws *writerStmts) close() {
	for _, p := range ws.all() {
		if *p != nil {
			(*p).Close()
			*p = nil
		}
	}
}

// boundStmts are the prepared statements bound to one transaction. Because
// the pool has a single connection, binding reuses the prepared statement.
type boundStmts struct {
	writerStmts
}

func (ws *writerStmts) bind(ctx context.Context, tx *sql.Tx) *boundStmts {
	b := &boundStmts{}
	src, dst := ws.all(), b.all()
	for i := range src {
		*dst[i] = tx.StmtContext(ctx, *src[i])
	}
	return b
}

func (b *boundStmts) close() {
	var errs []error
	for _, p := range b.all() {
		if *p != nil {
			errs = append(errs, (*p).Close())
		}
	}
	_ = errors.Join(errs...) // closing tx-bound statements cannot meaningfully fail
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
