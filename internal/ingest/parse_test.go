package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const obsID = "A1B2C3D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEFF00"

func fp(v float64) *float64 { return &v }
func ip(v int64) *int64     { return &v }

func eqF(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqI(a, b *int64) bool   { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestParseMessagePacketFields(t *testing.T) {
	topic := "meshcore/SJC/" + obsID + "/packets"
	tests := []struct {
		name      string
		payload   string
		raw       string
		snr, rssi *float64
		score     *int64
		dir       string
		origin    string
	}{
		{
			name: "bridge example",
			payload: `{"origin":"SJC-Hilltop-Rptr","origin_id":"X","timestamp":"2025-05-14T18:42:07.512345","type":"PACKET",
"direction":"rx","raw":"0A00D69FD7A5A7475DB07337749AE61FA53A4788E976","SNR":"7","RSSI":"-96","score":"1000","hash":"B1F07307CBC01CE5"}`,
			raw: "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976", snr: fp(7), rssi: fp(-96), score: ip(1000),
			dir: "rx", origin: "SJC-Hilltop-Rptr",
		},
		{name: "minimal", payload: `{"raw":"0A00D69F"}`, raw: "0A00D69F"},
		{name: "numbers", payload: `{"raw":"0A00","SNR":7.25,"RSSI":-110,"score":3}`, raw: "0A00", snr: fp(7.25), rssi: fp(-110), score: ip(3)},
		{name: "unit suffixes", payload: `{"raw":"0A00","SNR":" -5 dB ","RSSI":"-110dBm"}`, raw: "0A00", snr: fp(-5), rssi: fp(-110)},
		{name: "lowercase fallback", payload: `{"raw":"0A00","snr":"1.5","rssi":"-90","Score":"2","Direction":"tx"}`, raw: "0A00", snr: fp(1.5), rssi: fp(-90), score: ip(2), dir: "tx"},
		{name: "uppercase wins", payload: `{"raw":"0A00","snr":"1","SNR":"2","rssi":"-1","RSSI":"-2","Score":"5","score":"6","Direction":"tx","direction":"rx"}`, raw: "0A00", snr: fp(2), rssi: fp(-2), score: ip(6), dir: "rx"},
		{name: "garbage numbers stay nil", payload: `{"raw":"0A00","SNR":"loud","RSSI":true,"score":{}}`, raw: "0A00"},
		{name: "whitespace in raw", payload: `{"raw":" 0A 00\nD6\t9F "}`, raw: "0A00D69F"},
		{name: "wrong type origin ignored", payload: `{"raw":"0A00","origin":42}`, raw: "0A00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ParseMessage(topic, []byte(tc.payload))
			if err != nil {
				t.Fatalf("ParseMessage: %v", err)
			}
			if env.Kind != KindPacket {
				t.Fatalf("kind = %d, want packet", env.Kind)
			}
			if env.Raw != tc.raw {
				t.Errorf("raw = %q, want %q", env.Raw, tc.raw)
			}
			if !eqF(env.SNR, tc.snr) || !eqF(env.RSSI, tc.rssi) || !eqI(env.Score, tc.score) {
				t.Errorf("snr/rssi/score = %v/%v/%v, want %v/%v/%v", env.SNR, env.RSSI, env.Score, tc.snr, tc.rssi, tc.score)
			}
			if env.Direction != tc.dir || env.Origin != tc.origin {
				t.Errorf("direction/origin = %q/%q, want %q/%q", env.Direction, env.Origin, tc.dir, tc.origin)
			}
			if env.Region != "SJC" || env.ObserverID != obsID {
				t.Errorf("region/observer = %q/%q", env.Region, env.ObserverID)
			}
		})
	}
}

func TestParseMessageStatus(t *testing.T) {
	payload := `{"status":"online","origin":"SJC-Hilltop-Rptr","radio":"910.5250244,62.5,7,5","model":"Heltec V3",
"firmware_version":"1.12.0","firmware":"old","client_version":"meshcoretomqtt/1.0.8.0","clientVersion":"cc/2",
"battery_mv":1,"stats":{"battery_mv":4209.4,"uptime_secs":75821,"noise_floor":"-109","tx_air_secs":80,"rx_air_secs":1903,"recv_errors":934},
"packets_sent":12}`
	env, err := ParseMessage("meshcore/SJC/"+obsID+"/status", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if env.Kind != KindStatus {
		t.Fatalf("kind = %d, want status", env.Kind)
	}
	m := env.Meta
	if m.Model != "Heltec V3" || m.Firmware != "1.12.0" || m.ClientVersion != "cc/2" || m.Radio != "910.5250244,62.5,7,5" {
		t.Errorf("text meta = %+v", m)
	}
	if !eqI(m.BatteryMV, ip(4209)) || !eqI(m.UptimeSecs, ip(75821)) || !eqF(m.NoiseFloor, fp(-109)) ||
		!eqI(m.TxAirSecs, ip(80)) || !eqI(m.RxAirSecs, ip(1903)) || !eqI(m.RecvErrors, ip(934)) ||
		!eqI(m.PacketsSent, ip(12)) || m.PacketsRecv != nil {
		t.Errorf("numeric meta wrong: battery=%v uptime=%v noise=%v sent=%v recv=%v", m.BatteryMV, m.UptimeSecs, m.NoiseFloor, m.PacketsSent, m.PacketsRecv)
	}
	if !m.HasMetrics() {
		t.Error("HasMetrics = false")
	}
	env, err = ParseMessage("meshcore/SJC/"+obsID+"/status", []byte(`{"status":"online","stats":"broken"}`))
	if err != nil || env.Meta.Any() {
		t.Errorf("status with broken stats: err=%v meta=%+v", err, env.Meta)
	}
}

func TestParseMessageDrops(t *testing.T) {
	tests := []struct {
		name, topic, payload, reason string
	}{
		{"not json", "meshcore/SJC/X/packets", `raw=0A00`, DropInvalidJSON},
		{"truncated json", "meshcore/SJC/X/packets", `{"raw":"0A00"`, DropInvalidJSON},
		{"json array", "meshcore/SJC/X/packets", `[1,2]`, DropInvalidJSON},
		{"empty", "meshcore/SJC/X/packets", ``, DropInvalidJSON},
		{"oversized", "meshcore/SJC/X/packets", `{"raw":"` + strings.Repeat("00", MaxPayloadBytes) + `"}`, DropOversized},
		{"meshcore/status", "meshcore/status", `{"raw":"0A00"}`, DropIgnoredTopic},
		{"connection events", "meshcore/events/connection", `{}`, DropIgnoredTopic},
		{"debug topic", "meshcore/SJC/X/debug", `{"msg":"hello"}`, DropUnknownTopic},
		{"empty raw", "meshcore/SJC/X/packets", `{"raw":"  "}`, DropUnknownTopic},
		{"companion without text", "meshcore/message/channel/0", `{"text":" "}`, DropEmptyText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMessage(tc.topic, []byte(tc.payload))
			var de *DropError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DropError", err)
			}
			if de.Reason != tc.reason {
				t.Errorf("reason = %q, want %q", de.Reason, tc.reason)
			}
		})
	}
}

func TestParseMessageCompanion(t *testing.T) {
	env, err := ParseMessage("meshcore/message/channel/3", []byte(`{"text":"Bob: hi","SNR":4,"sender_timestamp":1700000000}`))
	if err != nil {
		t.Fatal(err)
	}
	if env.Kind != KindCompanionChannel || env.ChannelIdx != 3 || env.ObserverID != "companion" || !eqI(env.SenderTimestamp, ip(1700000000)) {
		t.Errorf("channel env = %+v", env)
	}
	env, err = ParseMessage("meshcore/message/channel/3", []byte(`{"text":"x","channel_idx":7}`))
	if err != nil || env.ChannelIdx != 7 {
		t.Errorf("channel_idx override: %v %+v", err, env)
	}
	env, err = ParseMessage("meshcore/message/direct/abc", []byte(`{"text":"hello"}`))
	if err != nil || env.Kind != KindCompanionDirect {
		t.Errorf("direct: %v %+v", err, env)
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add("meshcore/SJC/X/packets", []byte(`{"raw":"0A00","SNR":"7"}`))
	f.Add("meshcore/SJC/X/status", []byte(`{"stats":{"battery_mv":1}}`))
	f.Add("meshcore/message/channel/1", []byte(`{"text":"a"}`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		env, err := ParseMessage(topic, payload)
		if (env == nil) == (err == nil) {
			t.Fatalf("env=%v err=%v: exactly one must be set", env, err)
		}
	})
}

func TestUnitSuffixParsing(t *testing.T) {
	for in, want := range map[string]float64{"-110dBm": -110, "5 dB": 5, "10mW": 10, "3km": 3, "2mi": 2, "7m": 7, " 1.5 ": 1.5, "-7.25DBM": -7.25} {
		got, ok := parseNumString(in)
		if !ok || got != want {
			t.Errorf("parseNumString(%q) = %v,%v want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "dBm", "NaN", "Inf", "abc"} {
		if _, ok := parseNumString(in); ok {
			t.Errorf("parseNumString(%q) ok, want failure", in)
		}
	}
}

// FuzzScannerAgreesWithEncodingJSON checks that the hand-written scanner
// accepts exactly the objects encoding/json accepts, and reads the same
// string values.
func FuzzScannerAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"raw":"0A","SNR":-5.5e1,"x":[1,{"a":null}],"y":true}`, `{"raw":"\u00e9\n"}`, `{}`, `{"a":1,}`,
		`{"raw":"a` + "\xff" + `"}`, `[]`, `{"a":01}`, `{"a":-}`, `{"stats":{"battery_mv":"12"}} x`, ` {"raw" : "x" } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ref map[string]any
		refErr := json.Unmarshal(b, &ref)
		if refErr == nil && ref == nil {
			refErr = errors.New("null is not an object")
		}
		w, err := parseWire(b)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("parseWire err=%v, encoding/json err=%v for %q", err, refErr, b)
		}
		if err == nil {
			if s, ok := ref["raw"].(string); ok && s != w.Raw {
				t.Fatalf("raw = %q, encoding/json %q", w.Raw, s)
			}
		}
	})
}
