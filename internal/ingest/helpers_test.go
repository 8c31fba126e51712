package ingest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/fixtures"
	"github.com/corescope/corescope/internal/ingesttest"
)

// vector is one entry of the test vectors (testdata/packets.json at the
// repository root).
type vector struct {
	Name   string `json:"name"`
	Hex    string `json:"hex"`
	Expect struct {
		Error       bool   `json:"error"`
		PayloadType int    `json:"payload_type"`
		Hash        string `json:"hash"`
		Path        struct {
			Hops []string `json:"hops"`
		} `json:"path"`
		Decoded struct {
			PubKey         string   `json:"pubKey"`
			Name           string   `json:"name"`
			SignatureValid *bool    `json:"signatureValid"`
			Error          string   `json:"error"`
			Lat            *float64 `json:"lat"`
			Lon            *float64 `json:"lon"`
			Flags          *struct {
				Type int `json:"type"`
			} `json:"flags"`
			DecryptionStatus string `json:"decryptionStatus"`
			Channel          string `json:"channel"`
			ChannelHashHex   string `json:"channelHashHex"`
			Text             string `json:"text"`
		} `json:"decoded"`
	} `json:"expect"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b := fixtures.ReadVectors(t)
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatalf("parse packets.json: %v", err)
	}
	return vs
}

// stored reports whether the ingestor must store v as a transmission: it
// decodes, and it is not an advert rejected for its signature.
func (v vector) stored() bool {
	if v.Expect.Error {
		return false
	}
	if v.Expect.PayloadType == 4 && v.Expect.Decoded.PubKey != "" && v.Expect.Decoded.SignatureValid != nil && !*v.Expect.Decoded.SignatureValid {
		return false
	}
	return true
}

func (v vector) validAdvert() bool {
	d := v.Expect.Decoded
	return !v.Expect.Error && v.Expect.PayloadType == 4 && d.PubKey != "" && d.Error == "" && d.SignatureValid != nil && *d.SignatureValid
}

func (v vector) pathJSON() string {
	hops := v.Expect.Path.Hops
	if hops == nil {
		hops = []string{}
	}
	b, _ := json.Marshal(hops)
	return string(b)
}

func packetMsg(region, observer, origin, raw string, snr, rssi any) ingesttest.Message {
	m := map[string]any{"origin": origin, "origin_id": observer, "type": "PACKET", "direction": "rx", "raw": raw,
		"SNR": snr, "RSSI": rssi, "score": "1000", "timestamp": "2025-05-14T18:42:07.512345"}
	b, _ := json.Marshal(m)
	return ingesttest.Message{Topic: "meshcore/" + region + "/" + observer + "/packets", Payload: b}
}

func statusMsg(region, observer, origin string, battery int) ingesttest.Message {
	b := fmt.Appendf(nil, `{"status":"online","origin":%q,"radio":"910.5250244,62.5,7,5","model":"Heltec V3",
"firmware_version":"1.12.0","client_version":"meshcoretomqtt/1.0.8.0",
"stats":{"battery_mv":%d,"uptime_secs":75821,"noise_floor":-109,"tx_air_secs":80,"rx_air_secs":1903,"recv_errors":934}}`, origin, battery)
	return ingesttest.Message{Topic: "meshcore/" + region + "/" + observer + "/status", Payload: b}
}

func openRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	d, err := db.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func count(t testing.TB, d *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func observerID(i int) string {
	return strings.ToUpper(fmt.Sprintf("%02x", 0xA0+i)) + strings.Repeat("5C", 31)
}

// seedObservers stores active observers in a fresh database at path, as an
// earlier ingestor run would have.
func seedObservers(t testing.TB, path string, ids ...string) {
	t.Helper()
	w, err := db.OpenWriter(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := db.Batch{}
	for _, id := range ids {
		b.Observers = append(b.Observers, db.ObserverUpsert{ID: id, Seen: time.Now()})
	}
	if _, err := w.WriteBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}
