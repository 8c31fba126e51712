package db

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkWriteBatch measures group commit on the ingest shape: every
// packet message is one observer upsert, one transmission (de-duplicated: 4
// observers hear each packet) and one observation with a distinct path, 500
// messages per batch, 10 observers, one advert node upsert per 20 messages.
// Run: go test -run '^$' -bench WriteBatch -benchtime 40x ./internal/db/
func BenchmarkWriteBatch(b *testing.B) {
	ctx := context.Background()
	w := mustOpen(b, nil)
	const perBatch = 500
	seq := 0
	at := time.Date(2026, 5, 17, 0, 0, 0, 0, time.UTC)
	batches := make([]Batch, b.N)
	for n := range batches {
		var bt Batch
		for i := 0; i < perBatch; i++ {
			pkt := seq / 4
			obs := fmt.Sprintf("%064X", seq%10)
			hash := fmt.Sprintf("%016x", pkt)
			bt.Observers = append(bt.Observers, ObserverUpsert{ID: obs, Name: "observer", IATA: "SJC", Seen: at, Packet: true})
			bt.Transmissions = append(bt.Transmissions, Transmission{
				RawHex: "11427d1d1f5d300ddc9e145dbe6cb4d6c2d93c74e9f862f5e247783f64ef89a4732e68dd473c4c62c9697f70e27d27e4a0d3f001c4032a262c390f868b2c7df763b2171969f29dde33a01785f01b6e37e7a1d7ba39735cb6013ad3a7f00c76ae84623ef286f99c3ee60292ec9f3e02c688b9f852352d443420333030442052616b",
				Hash:   hash, FirstSeen: at, RouteType: 1, PayloadType: 4,
				DecodedJSON: `{"type":"ADVERT","pubKey":"300ddc9e145dbe6cb4d6c2d93c74e9f862f5e247783f64ef89a4732e68dd473c","name":"R5-D4 300D Rak","lat":37.658604,"lon":-122.058554}`,
			})
			bt.Observations = append(bt.Observations, Observation{
				TxHash: hash, ObserverID: obs, Direction: "rx", SNR: ptr(5.5), RSSI: ptr(-100.0),
				PathJSON: fmt.Sprintf(`["7D1D","DA2A","%04X"]`, seq%4), Timestamp: at.Unix(), RawHex: "11427d1d1f5d",
			})
			if i%20 == 0 {
				bt.Nodes = append(bt.Nodes, NodeUpsert{PublicKey: fmt.Sprintf("%064x", pkt%400), Name: "node", Role: "repeater",
					Lat: ptr(37.6), Lon: ptr(-122.0), Seen: at, AdvertHash: hash})
			}
			seq++
		}
		batches[n] = bt
	}
	b.ResetTimer()
	var obs int
	for n := 0; n < b.N; n++ {
		res, err := w.WriteBatch(ctx, batches[n])
		if err != nil || len(res.Rejected) > 0 {
			b.Fatalf("WriteBatch: %v %v", err, res.Rejected)
		}
		obs += res.NewObservations
	}
	b.StopTimer()
	if obs != b.N*perBatch {
		b.Fatalf("wrote %d observations, want %d", obs, b.N*perBatch)
	}
	b.ReportMetric(float64(obs)/b.Elapsed().Seconds(), "obs/s")
}
