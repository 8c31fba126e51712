package db

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestReaderQueriesUseIndexes checks that every query the server runs on a timer
// (sync tick) or per load chunk is driven by the primary key or an index, never
// a full table scan.
func TestReaderQueriesUseIndexes(t *testing.T) {
	w := mustOpen(t, fixedClock("2026-05-17T12:00:00Z"))
	cases := []struct {
		name, query string
		args        []any
		wantIndex   string
	}{
		{"transmissions after", `SELECT ` + rdTxColumns + ` FROM transmissions WHERE id > ? ORDER BY id LIMIT ?`, []any{1, 10}, "PRIMARY KEY"},
		{"transmissions before", `SELECT ` + rdTxColumns + ` FROM transmissions WHERE id < ? ORDER BY id DESC LIMIT ?`, []any{1, 10}, "PRIMARY KEY"},
		{"observations after", `SELECT ` + rdObsColumns + ` FROM observations WHERE id > ? ORDER BY id LIMIT ?`, []any{1, 10}, "PRIMARY KEY"},
		{"observations for tx range", `SELECT ` + rdObsColumns + ` FROM observations WHERE transmission_id BETWEEN ? AND ?`, []any{1, 10}, "idx_observations_t"},
		{"nodes since", `SELECT ` + rdNodeColumns + ` FROM nodes WHERE last_seen >= ?`, []any{"2026"}, "idx_nodes_last_seen"},
		{"observers since", `SELECT ` + rdObserverColumns + ` FROM observers WHERE last_seen >= ?`, []any{"2026"}, "idx_observers_last_seen"},
		{"metrics since", `SELECT ` + rdMetricsColumns + ` FROM observer_metrics WHERE timestamp >= ? ORDER BY timestamp`, []any{"2026"}, "idx_observer_metrics_timestamp"},
		{"metrics oldest", `SELECT MIN(timestamp) FROM observer_metrics`, nil, "idx_observer_metrics_timestamp"},
		{"neighbor edges since", `SELECT ` + rdEdgeColumns + ` FROM neighbor_edges WHERE last_seen >= ?`, []any{"2026"}, "idx_neighbor_edges_last_seen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := w.DB().Query(`EXPLAIN QUERY PLAN `+c.query, c.args...)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			joined := strings.Join(plan, "; ")
			if !strings.Contains(joined, c.wantIndex) {
				t.Fatalf("plan %q does not use %s", joined, c.wantIndex)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "USING") {
					t.Fatalf("full scan in plan %q", joined)
				}
			}
		})
	}
}

func TestReaderReadsWhatTheWriterWrote(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, fixedClock("2026-05-17T12:00:00Z"))
	at := time.Date(2026, 5, 17, 11, 0, 0, 0, time.UTC)
	snr := 4.5
	scope := "#bay"
	b := Batch{
		Observers: []ObserverUpsert{{ID: "OBS1", Name: "One", IATA: "sjc", Seen: at, Packet: true}},
		Transmissions: []Transmission{
			{RawHex: "1100AABB", Hash: "00000000000000a1", FirstSeen: at, RouteType: 1, PayloadType: 4,
				DecodedJSON: `{"type":"ADVERT"}`, FromPubkey: strings.Repeat("ab", 32)},
			{RawHex: "1500", Hash: "00000000000000a2", FirstSeen: at.Add(time.Second), RouteType: 0, PayloadType: 5,
				ChannelHash: "#test", ScopeName: &scope},
		},
		Observations: []Observation{
			{TxHash: "00000000000000a1", ObserverID: "OBS1", SNR: &snr, PathJSON: `["AB"]`, Timestamp: at.Unix(), ResolvedPath: `["` + strings.Repeat("ab", 32) + `"]`},
			{TxHash: "00000000000000a2", ObserverID: "OBS1", PathJSON: `[]`, Timestamp: at.Unix() + 1},
		},
		Nodes: []NodeUpsert{{PublicKey: strings.Repeat("ab", 32), Name: "N", Role: "repeater", Seen: at, AdvertHash: "00000000000000a1"}},
	}
	if _, err := w.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	d := w.DB()
	maxTx, maxObs, err := ReadMaxIDs(ctx, d)
	if err != nil || maxTx != 2 || maxObs != 2 {
		t.Fatalf("max ids = %d, %d, %v", maxTx, maxObs, err)
	}
	txs, obs, err := ReadCounts(ctx, d)
	if err != nil || txs != 2 || obs != 2 {
		t.Fatalf("counts = %d, %d, %v", txs, obs, err)
	}
	after, err := ReadTransmissionsAfter(ctx, d, 0, 10)
	if err != nil || len(after) != 2 || after[0].ID != 1 || after[1].ScopeName.String != "#bay" || after[1].ChannelHash.String != "#test" {
		t.Fatalf("after = %+v, %v", after, err)
	}
	before, err := ReadTransmissionsBefore(ctx, d, 3, 1)
	if err != nil || len(before) != 1 || before[0].ID != 2 {
		t.Fatalf("before = %+v, %v", before, err)
	}
	if before[0].FirstSeen != "2026-05-17T11:00:01Z" {
		t.Fatalf("first_seen = %q", before[0].FirstSeen)
	}
	rng, err := ReadObservationsForTxRange(ctx, d, 1, 1)
	if err != nil || len(rng) != 1 || rng[0].SNR.Float64 != 4.5 || !rng[0].ObserverIdx.Valid || !rng[0].ResolvedPath.Valid {
		t.Fatalf("range = %+v, %v", rng, err)
	}
	oa, err := ReadObservationsAfter(ctx, d, 1, 10)
	if err != nil || len(oa) != 1 || oa[0].TransmissionID != 2 {
		t.Fatalf("obs after = %+v, %v", oa, err)
	}
	nodes, err := ReadNodes(ctx, d, "2026-05-17T10:00:00Z")
	if err != nil || len(nodes) != 1 || nodes[0].AdvertCount.Int64 != 1 {
		t.Fatalf("nodes = %+v, %v", nodes, err)
	}
	if none, err := ReadNodes(ctx, d, "2026-05-18T00:00:00Z"); err != nil || len(none) != 0 {
		t.Fatalf("nodes since tomorrow = %+v, %v", none, err)
	}
	observers, err := ReadObservers(ctx, d, "")
	if err != nil || len(observers) != 1 || observers[0].Idx != rng[0].ObserverIdx.Int64 || observers[0].ID != "OBS1" {
		t.Fatalf("observers = %+v, %v", observers, err)
	}
}

func TestReadMetricsSince(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, fixedClock("2026-05-17T12:00:00Z"))
	at := time.Date(2026, 5, 17, 11, 0, 0, 0, time.UTC)
	nf := -110.5
	b := Batch{
		Observers: []ObserverUpsert{{ID: "OBS1", Name: "One", Seen: at}},
		Metrics: []Metrics{
			{ObserverID: "OBS1", At: at, NoiseFloor: &nf, BatteryMv: ptr(4100)},
			{ObserverID: "OBS1", At: at.Add(10 * time.Minute), TxAirSecs: ptr(int64(7))},
		},
	}
	if _, err := w.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	all, err := ReadMetricsSince(ctx, w.DB(), "")
	if err != nil || len(all) != 2 {
		t.Fatalf("all = %+v, %v", all, err)
	}
	if all[0].Timestamp != "2026-05-17T11:00:00Z" || all[0].NoiseFloor.Float64 != nf || all[0].BatteryMV.Int64 != 4100 || all[0].TxAirSecs.Valid {
		t.Fatalf("first row = %+v", all[0])
	}
	newer, err := ReadMetricsSince(ctx, w.DB(), "2026-05-17T11:05:00Z")
	if err != nil || len(newer) != 1 || newer[0].TxAirSecs.Int64 != 7 {
		t.Fatalf("since = %+v, %v", newer, err)
	}
	oldest, err := ReadMetricsOldest(ctx, w.DB())
	if err != nil || oldest != "2026-05-17T11:00:00Z" {
		t.Fatalf("oldest = %q, %v", oldest, err)
	}
}
