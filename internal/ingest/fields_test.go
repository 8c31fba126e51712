package ingest_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// TestOverlongFieldsStoreWholeOrNothing: a message whose origin, observer id
// or region is longer than the database accepts (256 bytes) is not stored
// at all and is counted once as invalid_field — never half stored (an
// observation with a NULL observer_idx, a transmission without an
// observation) and counted as a write error. Rows and counters are checked
// with SQL over the file.
func TestOverlongFieldsStoreWholeOrNothing(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	obs := strings.Repeat("AB", 32)
	long := strings.Repeat("x", 257)
	msgs := []ingesttest.Message{
		packetMsg("SEA", obs, long, uniqueTxt(1), "3", "-90"),                       // origin 257 bytes
		packetMsg("SEA", strings.Repeat("C", 257), "obs", uniqueTxt(2), "3", "-90"), // observer id 257 bytes
		packetMsg(strings.Repeat("R", 257), obs, "obs", uniqueTxt(3), "3", "-90"),   // region 257 bytes
		statusMsg("SEA", strings.Repeat("D", 300), "obs", 4000),                     // status, observer id 300 bytes
		packetMsg("SEA", obs, strings.Repeat("y", 256), uniqueTxt(4), "3", "-90"),   // 256 bytes: stored
		packetMsg("SEA", strings.Repeat("E", 256), "obs", uniqueTxt(5), "3", "-90"), // 256 bytes: stored
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	d := openRO(t, dbPath)
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions"); got != 2 {
		t.Errorf("transmissions = %d, want 2 (the two 256-byte messages)", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observations"); got != 2 {
		t.Errorf("observations = %d, want 2", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observations WHERE observer_idx IS NULL"); got != 0 {
		t.Errorf("%d observations without observer", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions t WHERE NOT EXISTS (SELECT 1 FROM observations o WHERE o.transmission_id = t.id)"); got != 0 {
		t.Errorf("%d transmissions without observation", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observers WHERE length(id) > 256 OR length(name) > 256 OR length(iata) > 256"); got != 0 {
		t.Errorf("%d observers with an overlong field", got)
	}
	st := ing.Stats()
	if st.Drops["invalid_field"] != 4 || st.WriteErrors != 0 || st.Drops["write_error"] != 0 {
		t.Errorf("invalid_field = %d (want 4), write_errors = %d / %d (want 0)", st.Drops["invalid_field"], st.WriteErrors, st.Drops["write_error"])
	}
	if st.TxInserted != 2 || st.ObsInserted != 2 {
		t.Errorf("counters tx=%d obs=%d, want 2 and 2 like the rows", st.TxInserted, st.ObsInserted)
	}
}

// TestNumericFieldsOutOfRange: numbers a radio cannot report are stored as
// NULL like unparseable ones (the message is kept), and a companion channel
// index outside 0..255 drops the message instead of naming a channel
// "ch-9223372036854775808".
func TestNumericFieldsOutOfRange(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	ing := ingesttest.Start(t, b.URL, dbPath)
	obs := strings.Repeat("AB", 32)
	status := `{"status":"online","origin":"o","stats":{"battery_mv":1e300,"uptime_secs":-5,"noise_floor":-1e300,` +
		`"tx_air_secs":1e20,"rx_air_secs":12,"recv_errors":4294967296,"packets_sent":7,"packets_recv":-1}}`
	msgs := []ingesttest.Message{
		packetMsg("SEA", obs, "o", uniqueTxt(1), 1e300, "-1e300"),
		packetMsg("SEA", obs, "o", uniqueTxt(2), "7.5", "-96"),
		{Topic: "meshcore/SEA/" + obs + "/status", Payload: []byte(status)},
		{Topic: "meshcore/message/channel/3", Payload: []byte(`{"text":"A: big","channel_idx":1e300}`)},
		{Topic: "meshcore/message/channel/3", Payload: []byte(`{"text":"A: neg","channel_idx":-1}`)},
		{Topic: "meshcore/message/channel/3", Payload: []byte(`{"text":"A: frac","channel_idx":2.5}`)},
		{Topic: "meshcore/message/channel/300", Payload: []byte(`{"text":"A: topic"}`)},
		{Topic: "meshcore/message/channel/3", Payload: []byte(`{"text":"A: ok","channel_idx":255,"sender_timestamp":1e300}`)},
	}
	ingesttest.Publish(t, b.URL, msgs)
	ing.WaitAcked(t, uint64(len(msgs)))

	d := openRO(t, dbPath)
	if got := count(t, d, `SELECT COUNT(*) FROM observations o JOIN observers ob ON ob.idx = o.observer_idx
		WHERE ob.id = ? AND o.snr IS NULL AND o.rssi IS NULL`, obs); got != 1 {
		t.Errorf("observations with NULL snr/rssi = %d, want 1 (the 1e300 one)", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observations WHERE snr = 7.5 AND rssi = -96"); got != 1 {
		t.Errorf("in-range snr/rssi not stored")
	}
	if got := count(t, d, "SELECT COUNT(*) FROM observers WHERE id = ? AND battery_mv IS NULL AND uptime_secs IS NULL AND noise_floor IS NULL", obs); got != 1 {
		t.Errorf("observer device fields out of range were stored")
	}
	if got := count(t, d, `SELECT COUNT(*) FROM observer_metrics WHERE tx_air_secs IS NULL AND recv_errors IS NULL
		AND packets_recv IS NULL AND rx_air_secs = 12 AND packets_sent = 7`); got != 1 {
		t.Errorf("metrics sample: out-of-range counters stored or in-range ones lost")
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE payload_type = 5"); got != 1 {
		t.Errorf("companion channel rows = %d, want 1 (channel 255)", got)
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE channel_hash = 'ch255' AND decoded_json NOT LIKE '%sender_timestamp%'"); got != 1 {
		t.Errorf("channel 255 row missing, or its 1e300 sender_timestamp stored")
	}
	if got := count(t, d, "SELECT COUNT(*) FROM transmissions WHERE channel_hash LIKE 'ch-%' OR channel_hash = 'ch300'"); got != 0 {
		t.Errorf("%d rows with an impossible channel", got)
	}
	if st := ing.Stats(); st.Drops["invalid_field"] != 4 || st.WriteErrors != 0 {
		t.Errorf("invalid_field = %d (want 4), write_errors = %d", st.Drops["invalid_field"], st.WriteErrors)
	}
}
