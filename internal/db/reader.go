package db

// reader.go holds the server's read queries (owned by the store engineer): the
// initial load in chunks, newest first, and the incremental sync that picks up
// rows the ingestor committed since the last tick. Every query is driven by a
// primary key or an index (see reader_test.go for the EXPLAIN QUERY PLAN check).

import (
	"context"
	"database/sql"
	"fmt"
)

// Querier is what the read queries need: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// TxRow is one transmissions row as the server reads it.
type TxRow struct {
	ID             int64
	RawHex         string
	Hash           string
	FirstSeen      string
	RouteType      sql.NullInt64
	PayloadType    sql.NullInt64
	PayloadVersion sql.NullInt64
	DecodedJSON    sql.NullString
	FromPubkey     sql.NullString
	ChannelHash    sql.NullString
	ScopeName      sql.NullString
}

// ObsRow is one observations row as the server reads it.
type ObsRow struct {
	ID             int64
	TransmissionID int64
	ObserverIdx    sql.NullInt64
	Direction      sql.NullString
	SNR            sql.NullFloat64
	RSSI           sql.NullFloat64
	Score          sql.NullInt64
	PathJSON       sql.NullString
	Timestamp      int64
	ResolvedPath   sql.NullString
	RawHex         sql.NullString
}

// NodeRow is one nodes row.
type NodeRow struct {
	PublicKey         string
	Name              sql.NullString
	Role              sql.NullString
	Lat               sql.NullFloat64
	Lon               sql.NullFloat64
	LastSeen          sql.NullString
	FirstSeen         sql.NullString
	AdvertCount       sql.NullInt64
	BatteryMV         sql.NullInt64
	TemperatureC      sql.NullFloat64
	ForeignAdvert     sql.NullInt64
	DefaultScope      sql.NullString
	MultibyteSup      sql.NullInt64
	MultibyteEvidence sql.NullString
}

// ObserverRow is one observers row; Idx is the rowid that observations.observer_idx
// points to (an explicit INTEGER PRIMARY KEY after our migrations, the implicit
// rowid on a database written by the original).
type ObserverRow struct {
	Idx               int64
	ID                string
	Name              sql.NullString
	IATA              sql.NullString
	LastSeen          sql.NullString
	FirstSeen         sql.NullString
	PacketCount       sql.NullInt64
	Model             sql.NullString
	Firmware          sql.NullString
	ClientVersion     sql.NullString
	Radio             sql.NullString
	BatteryMV         sql.NullInt64
	UptimeSecs        sql.NullInt64
	NoiseFloor        sql.NullFloat64
	Inactive          sql.NullInt64
	LastPacketAt      sql.NullString
	ClockSkewSeconds  sql.NullInt64
	ClockSkewCount24h sql.NullInt64
	ClockLastNaiveAt  sql.NullString
}

const rdTxColumns = `id, raw_hex, hash, first_seen, route_type, payload_type, payload_version,
	decoded_json, from_pubkey, channel_hash, scope_name`

const rdObsColumns = `id, transmission_id, observer_idx, direction, snr, rssi, score, path_json,
	timestamp, resolved_path, raw_hex`

const rdNodeColumns = `public_key, name, role, lat, lon, last_seen, first_seen, advert_count,
	battery_mv, temperature_c, foreign_advert, default_scope, multibyte_sup, multibyte_evidence`

const rdObserverColumns = `rowid, id, name, iata, last_seen, first_seen, packet_count, model,
	firmware, client_version, radio, battery_mv, uptime_secs, noise_floor, inactive,
	last_packet_at, clock_skew_seconds, clock_skew_count_24h, clock_last_naive_at`

// ReadMaxIDs returns the largest transmission and observation ids (0 on an empty table).
func ReadMaxIDs(ctx context.Context, q Querier) (maxTx, maxObs int64, err error) {
	err = q.QueryRowContext(ctx,
		`SELECT COALESCE((SELECT MAX(id) FROM transmissions), 0),
		        COALESCE((SELECT MAX(id) FROM observations), 0)`).Scan(&maxTx, &maxObs)
	if err != nil {
		return 0, 0, fmt.Errorf("read max ids: %w", err)
	}
	return maxTx, maxObs, nil
}

// ReadCounts returns the number of transmissions and observations (for load progress).
func ReadCounts(ctx context.Context, q Querier) (txs, obs int64, err error) {
	err = q.QueryRowContext(ctx,
		`SELECT (SELECT COUNT(*) FROM transmissions), (SELECT COUNT(*) FROM observations)`).Scan(&txs, &obs)
	if err != nil {
		return 0, 0, fmt.Errorf("count rows: %w", err)
	}
	return txs, obs, nil
}

// ReadTransmissionsBefore returns up to limit transmissions with id < beforeID, newest
// (highest id) first. The initial load walks the table backwards with it.
func ReadTransmissionsBefore(ctx context.Context, q Querier, beforeID int64, limit int) ([]TxRow, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT `+rdTxColumns+` FROM transmissions WHERE id < ? ORDER BY id DESC LIMIT ?`, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("query transmissions before %d: %w", beforeID, err)
	}
	return scanTxRows(rows)
}

// ReadTransmissionsAfter returns up to limit transmissions with id > afterID in id order
// (the sync's new rows).
func ReadTransmissionsAfter(ctx context.Context, q Querier, afterID int64, limit int) ([]TxRow, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT `+rdTxColumns+` FROM transmissions WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("query transmissions after %d: %w", afterID, err)
	}
	return scanTxRows(rows)
}

func scanTxRows(rows *sql.Rows) ([]TxRow, error) {
	defer rows.Close()
	var out []TxRow
	for rows.Next() {
		var r TxRow
		var raw sql.NullString
		if err := rows.Scan(&r.ID, &raw, &r.Hash, &r.FirstSeen, &r.RouteType, &r.PayloadType,
			&r.PayloadVersion, &r.DecodedJSON, &r.FromPubkey, &r.ChannelHash, &r.ScopeName); err != nil {
			return nil, fmt.Errorf("scan transmission: %w", err)
		}
		r.RawHex = raw.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("iterate transmissions: %w", err)
	}
	return out, nil
}

// ReadObservationsForTxRange returns every observation whose transmission_id is in
// [minTx, maxTx], in index order (by transmission, not by id: the caller
// sorts, which is cheaper than a temp B-tree here). Uses
// idx_observations_transmission_id.
func ReadObservationsForTxRange(ctx context.Context, q Querier, minTx, maxTx int64) ([]ObsRow, error) {
	var out []ObsRow
	err := EachObservationForTxRange(ctx, q, minTx, maxTx, func(r *ObsRowBytes) error {
		out = append(out, ObsRow{
			ID: r.ID, TransmissionID: r.TransmissionID, ObserverIdx: r.ObserverIdx, SNR: r.SNR,
			RSSI: r.RSSI, Score: r.Score, Timestamp: r.Timestamp,
			Direction:    nullString(r.Direction),
			PathJSON:     nullString(r.PathJSON),
			ResolvedPath: nullString(r.ResolvedPath),
			RawHex:       nullString(r.RawHex),
		})
		return nil
	})
	return out, err
}

func nullString(b sql.RawBytes) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

// ObsRowBytes is an observations row whose text columns are raw bytes (nil =
// NULL) valid only during the EachObservationForTxRange callback: the initial
// load parses them without keeping a string per column.
type ObsRowBytes struct {
	ID             int64
	TransmissionID int64
	ObserverIdx    sql.NullInt64
	SNR            sql.NullFloat64
	RSSI           sql.NullFloat64
	Score          sql.NullInt64
	Timestamp      int64
	Direction      sql.RawBytes
	PathJSON       sql.RawBytes
	ResolvedPath   sql.RawBytes
	RawHex         sql.RawBytes
}

// EachObservationForTxRange calls fn for every observation whose
// transmission_id is in [minTx, maxTx], in index order. The row passed to fn is
// reused: copy what you keep.
func EachObservationForTxRange(ctx context.Context, q Querier, minTx, maxTx int64, fn func(*ObsRowBytes) error) error {
	rows, err := q.QueryContext(ctx,
		`SELECT `+rdObsColumns+` FROM observations WHERE transmission_id BETWEEN ? AND ?`, minTx, maxTx)
	if err != nil {
		return fmt.Errorf("query observations for tx %d..%d: %w", minTx, maxTx, err)
	}
	defer rows.Close()
	var r ObsRowBytes
	for rows.Next() {
		if err := rows.Scan(&r.ID, &r.TransmissionID, &r.ObserverIdx, &r.Direction, &r.SNR, &r.RSSI,
			&r.Score, &r.PathJSON, &r.Timestamp, &r.ResolvedPath, &r.RawHex); err != nil {
			return fmt.Errorf("scan observation: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("iterate observations: %w", err)
	}
	return nil
}

// ReadObservationsAfter returns up to limit observations with id > afterID in id order.
func ReadObservationsAfter(ctx context.Context, q Querier, afterID int64, limit int) ([]ObsRow, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT `+rdObsColumns+` FROM observations WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("query observations after %d: %w", afterID, err)
	}
	return scanObsRows(rows)
}

func scanObsRows(rows *sql.Rows) ([]ObsRow, error) {
	defer rows.Close()
	var out []ObsRow
	for rows.Next() {
		var r ObsRow
		if err := rows.Scan(&r.ID, &r.TransmissionID, &r.ObserverIdx, &r.Direction, &r.SNR, &r.RSSI,
			&r.Score, &r.PathJSON, &r.Timestamp, &r.ResolvedPath, &r.RawHex); err != nil {
			return nil, fmt.Errorf("scan observation: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("iterate observations: %w", err)
	}
	return out, nil
}

// ReadNodes returns the nodes rows with last_seen >= since (all rows when since is "").
// Uses idx_nodes_last_seen for the incremental form.
func ReadNodes(ctx context.Context, q Querier, since string) ([]NodeRow, error) {
	return readSince(ctx, q, "nodes", rdNodeColumns, since, func(rows *sql.Rows, r *NodeRow) error {
		return rows.Scan(&r.PublicKey, &r.Name, &r.Role, &r.Lat, &r.Lon, &r.LastSeen, &r.FirstSeen,
			&r.AdvertCount, &r.BatteryMV, &r.TemperatureC, &r.ForeignAdvert, &r.DefaultScope,
			&r.MultibyteSup, &r.MultibyteEvidence)
	})
}

// ReadObservers returns the observers rows with last_seen >= since (all rows when since
// is ""). Uses idx_observers_last_seen for the incremental form.
func ReadObservers(ctx context.Context, q Querier, since string) ([]ObserverRow, error) {
	return readSince(ctx, q, "observers", rdObserverColumns, since, func(rows *sql.Rows, r *ObserverRow) error {
		return rows.Scan(&r.Idx, &r.ID, &r.Name, &r.IATA, &r.LastSeen, &r.FirstSeen, &r.PacketCount,
			&r.Model, &r.Firmware, &r.ClientVersion, &r.Radio, &r.BatteryMV, &r.UptimeSecs,
			&r.NoiseFloor, &r.Inactive, &r.LastPacketAt, &r.ClockSkewSeconds, &r.ClockSkewCount24h,
			&r.ClockLastNaiveAt)
	})
}

// readSince reads columns of table (a constant, never user input) for the rows
// with last_seen >= since, or every row when since is "".
func readSince[T any](ctx context.Context, q Querier, table, columns, since string,
	scan func(*sql.Rows, *T) error) ([]T, error) {
	query := `SELECT ` + columns + ` FROM ` + table
	var args []any
	if since != "" {
		query += ` WHERE last_seen >= ?`
		args = append(args, since)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", table, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var r T
		if err := scan(rows, &r); err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("iterate %s: %w", table, err)
	}
	return out, nil
}

// MetricsRow is one observer_metrics row (STORAGE.md §3.5).
type MetricsRow struct {
	ObserverID  string
	Timestamp   string
	NoiseFloor  sql.NullFloat64
	TxAirSecs   sql.NullInt64
	RxAirSecs   sql.NullInt64
	RecvErrors  sql.NullInt64
	BatteryMV   sql.NullInt64
	PacketsSent sql.NullInt64
	PacketsRecv sql.NullInt64
}

const rdMetricsColumns = `observer_id, timestamp, noise_floor, tx_air_secs, rx_air_secs, recv_errors,
    battery_mv, packets_sent, packets_recv`

// ReadMetricsSince returns the observer_metrics rows with timestamp >= since
// (every row when since is ""), oldest first. The ingestor replaces the row of
// the current bucket (INSERT OR REPLACE), so the incremental form re-reads the
// newest bucket: since is the newest timestamp already held. Uses
// idx_observer_metrics_timestamp.
func ReadMetricsSince(ctx context.Context, q Querier, since string) ([]MetricsRow, error) {
	query := `SELECT ` + rdMetricsColumns + ` FROM observer_metrics`
	var args []any
	if since != "" {
		query += ` WHERE timestamp >= ?`
		args = append(args, since)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY timestamp`, args...)
	if err != nil {
		return nil, fmt.Errorf("query observer_metrics: %w", err)
	}
	defer rows.Close()
	var out []MetricsRow
	for rows.Next() {
		var r MetricsRow
		if err := rows.Scan(&r.ObserverID, &r.Timestamp, &r.NoiseFloor, &r.TxAirSecs, &r.RxAirSecs,
			&r.RecvErrors, &r.BatteryMV, &r.PacketsSent, &r.PacketsRecv); err != nil {
			return nil, fmt.Errorf("scan observer_metrics: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("iterate observer_metrics: %w", err)
	}
	return out, nil
}

// ReadMetricsOldest returns the oldest observer_metrics timestamp ("" when the
// table is empty), so the store can drop what retention pruned. Uses
// idx_observer_metrics_timestamp.
func ReadMetricsOldest(ctx context.Context, q Querier) (string, error) {
	var ts sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT MIN(timestamp) FROM observer_metrics`).Scan(&ts); err != nil {
		return "", fmt.Errorf("read oldest observer_metrics: %w", err)
	}
	return ts.String, nil
}

// NeighborEdgeRow is one neighbor_edges row (STORAGE.md §3.7).
type NeighborEdgeRow struct {
	NodeA, NodeB string
	Count        int64
	LastSeen     sql.NullString
}

const rdEdgeColumns = `node_a, node_b, COALESCE(count, 0), last_seen`

// ReadNeighborEdges returns the neighbor_edges rows with last_seen >= since
// (every row when since is ""). The ingestor's builder only ever raises
// last_seen, so the incremental form (idx_neighbor_edges_last_seen) sees every
// changed edge; rows removed by retention disappear at the next full read.
func ReadNeighborEdges(ctx context.Context, q Querier, since string) ([]NeighborEdgeRow, error) {
	return readSince(ctx, q, "neighbor_edges", rdEdgeColumns, since, func(rows *sql.Rows, r *NeighborEdgeRow) error {
		return rows.Scan(&r.NodeA, &r.NodeB, &r.Count, &r.LastSeen)
	})
}
