package meshcore_test

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corescope/corescope/internal/meshcore"
)

// signedAdvert builds a FLOOD ADVERT packet with a valid signature.
func signedAdvert(t testing.TB, ts uint32, app []byte) []byte {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	signed := append(append([]byte{}, pub...), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(signed[32:], ts)
	signed = append(signed, app...)
	sig := ed25519.Sign(priv, signed)
	pkt := []byte{meshcore.Header{RouteType: meshcore.RouteFlood, PayloadType: meshcore.PayloadAdvert}.Byte(), 0x00}
	pkt = append(pkt, signed[:36]...)
	pkt = append(pkt, sig...)
	return append(pkt, app...)
}

func TestAdvertNameCutAtCharacterBoundary(t *testing.T) {
	// 31 ASCII bytes then a 4-byte emoji: CoreScope would cut the emoji in
	// half at 32 bytes; we drop it whole.
	name := strings.Repeat("a", 31) + "🌲" + "tail"
	app := append([]byte{0x81}, name...)
	p, err := meshcore.Decode(signedAdvert(t, 1000, app), meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Payload.Name != strings.Repeat("a", 31) || !utf8.ValidString(p.Payload.Name) {
		t.Errorf("name %q, want 31 a's", p.Payload.Name)
	}
	if p.Payload.SignatureValid == nil || !*p.Payload.SignatureValid {
		t.Errorf("signature not valid: %v", p.Payload.SignatureValid)
	}
}

func TestAdvertNameDropsControlCharacters(t *testing.T) {
	app := append([]byte{0x02}, "Rep\x01ea\x7Fter\tX"...)
	p, err := meshcore.Decode(signedAdvert(t, 5, app), meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Payload.Name != "" {
		t.Fatalf("name %q emitted without the name flag", p.Payload.Name)
	}
	app[0] = 0x02 | meshcore.AdvertHasName
	p, _ = meshcore.Decode(signedAdvert(t, 5, app), meshcore.Options{})
	if p.Payload.Name != "Repeater\tX" {
		t.Errorf("name %q, want %q", p.Payload.Name, "Repeater\tX")
	}
	a, ok := p.Advert()
	if !ok || a.Role != "repeater" || a.Name != "Repeater\tX" || !a.SignatureChecked || !a.SignatureValid || a.Timestamp != 5 {
		t.Errorf("Advert() = %+v, %v", a, ok)
	}
}

func TestSensorAdvertTelemetryAndLocation(t *testing.T) {
	app := []byte{0x94} // sensor, location, name
	lat := int32(-33868820)
	app = binary.LittleEndian.AppendUint32(app, uint32(lat))
	app = binary.LittleEndian.AppendUint32(app, uint32(151209290))
	app = append(app, "Soil"...)
	app = append(app, 0, 0)
	app = binary.LittleEndian.AppendUint16(app, 3700)
	temp := int16(-1250)
	app = binary.LittleEndian.AppendUint16(app, uint16(temp))
	p, err := meshcore.Decode(signedAdvert(t, 1, app), meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Advert()
	if !a.HasLocation || a.Lat != -33.86882 || a.Lon != 151.20929 || a.Role != "sensor" {
		t.Errorf("advert %+v", a)
	}
	if a.BatteryMV == nil || *a.BatteryMV != 3700 || a.TemperatureC == nil || *a.TemperatureC != -12.5 {
		t.Errorf("telemetry battery %v temp %v", a.BatteryMV, a.TemperatureC)
	}
	js := string(p.PayloadJSON())
	if !strings.Contains(js, `"lat":-33.86882,"lon":151.20929,"name":"Soil","battery_mv":3700,"temperature_c":-12.5`) {
		t.Errorf("JSON %s", js)
	}
}

func TestAdvertBadSignatureAndSkip(t *testing.T) {
	pkt := signedAdvert(t, 77, []byte{0x81, 'N'})
	pkt[len(pkt)-1] = 'M' // tamper with signed app data
	p, err := meshcore.Decode(pkt, meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Payload.SignatureValid == nil || *p.Payload.SignatureValid {
		t.Errorf("tampered advert signatureValid = %v, want false", p.Payload.SignatureValid)
	}
	p, _ = meshcore.Decode(pkt, meshcore.Options{SkipSignature: true})
	if p.Payload.SignatureValid != nil || strings.Contains(string(p.PayloadJSON()), "signatureValid") {
		t.Errorf("SkipSignature still reports signatureValid: %s", p.PayloadJSON())
	}
	// The header and path are not signed: adding hops keeps it valid and
	// keeps the hash.
	orig := signedAdvert(t, 77, []byte{0x81, 'N'})
	hopped := append([]byte{orig[0], 0x02, 0xAA, 0xBB}, orig[2:]...)
	p1, _ := meshcore.Decode(orig, meshcore.Options{})
	p2, _ := meshcore.Decode(hopped, meshcore.Options{})
	if !*p2.Payload.SignatureValid || p1.Hash != p2.Hash {
		t.Errorf("re-flooded advert: valid %v hash %s vs %s", *p2.Payload.SignatureValid, p2.Hash, p1.Hash)
	}
}

func TestHashIgnoresRouteVersionTransportAndPath(t *testing.T) {
	base := []byte{0x09, 0x00, 0xD6, 0x9F, 0xD7, 0xA5, 1, 2, 3} // TXT_MSG FLOOD
	variants := [][]byte{
		{0x0A, 0x00, 0xD6, 0x9F, 0xD7, 0xA5, 1, 2, 3},                   // DIRECT
		{0x49, 0x00, 0xD6, 0x9F, 0xD7, 0xA5, 1, 2, 3},                   // version 1
		{0x08, 0x12, 0x34, 0, 0, 0x00, 0xD6, 0x9F, 0xD7, 0xA5, 1, 2, 3}, // transport
		{0x09, 0x42, 1, 2, 3, 4, 0xD6, 0x9F, 0xD7, 0xA5, 1, 2, 3},       // two 2-byte hops
	}
	want, err := meshcore.ContentHash(base)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range variants {
		if got, err := meshcore.ContentHash(v); err != nil || got != want {
			t.Errorf("variant %d hash %s (%v), want %s", i, got, err, want)
		}
	}
	// TRACE includes path_len: one more SNR byte, new hash.
	tr1 := []byte{0x26, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xAB}
	tr2 := []byte{0x26, 0x01, 0x30, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xAB}
	h1, _ := meshcore.ContentHash(tr1)
	h2, _ := meshcore.ContentHash(tr2)
	if h1 == h2 {
		t.Errorf("TRACE hashes equal (%s) although path_len differs", h1)
	}
}

func TestMalformedInputErrors(t *testing.T) {
	cases := map[string]string{
		"empty":         "",
		"whitespace":    "  \n",
		"one byte":      "11",
		"odd":           "110",
		"not hex":       "11GG",
		"hash size 4":   "11C0AA",
		"path too long": "11" + "65" + strings.Repeat("00", 80),
		"path past end": "1141AA",
		"payload 185":   "1100" + strings.Repeat("00", 185),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := meshcore.DecodeHex(in, meshcore.Options{})
			if !errors.Is(err, meshcore.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := meshcore.DecodeHex("1100"+strings.Repeat("00", 184), meshcore.Options{}); err != nil {
		t.Errorf("184-byte payload rejected: %v", err)
	}
}

func TestTraceNonDirectAnomalyAndHops(t *testing.T) {
	// FLOOD TRACE, 2 SNR bytes, flags 1 (2-byte route entries), route of 2.5 entries.
	raw := []byte{0x25, 0x02, 0x28, 0xF4, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE}
	p, err := meshcore.Decode(raw, meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Anomaly, "non-DIRECT") {
		t.Errorf("anomaly %q", p.Anomaly)
	}
	if got := p.PathHops(); len(got) != 2 || got[0] != "AABB" || got[1] != "CCDD" {
		t.Errorf("hops %v, want [AABB CCDD]", got)
	}
	if p.Path.HopsCompleted == nil || *p.Path.HopsCompleted != 2 {
		t.Errorf("hopsCompleted %v, want 2", p.Path.HopsCompleted)
	}
	if s := p.Payload.SNRValues; len(s) != 2 || s[0] != 10 || s[1] != -3 {
		t.Errorf("snr %v, want [10 -3]", s)
	}
	res, _ := json.Marshal(p.Result())
	if !strings.Contains(string(res), `"path":{"hashSize":2,"hashCount":2,"hops":["AABB","CCDD"],"hopsCompleted":2}`) {
		t.Errorf("result %s", res)
	}
}

func TestHeaderFFAndPacketJSON(t *testing.T) {
	p, err := meshcore.DecodeHex("FF 00 00 00 00 00 C0 FF EE 00", meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.RouteType != 3 || p.Header.PayloadType != 15 || p.Header.PayloadVersion != 3 {
		t.Errorf("header %+v", p.Header)
	}
	b, _ := json.Marshal(p)
	want := `{"header":{"routeType":3,"routeTypeName":"TRANSPORT_DIRECT","payloadType":15,"payloadTypeName":"RAW_CUSTOM","payloadVersion":3},` +
		`"transportCodes":{"code1":"0000","code2":"0000"},"path":{"hashSize":0,"hashCount":0,"hops":[]},` +
		`"payload":{"type":"RAW_CUSTOM","raw":"c0ffee00","rawLength":4,"firstByteTag":"C0"},"raw":"FF0000000000C0FFEE00"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if meshcore.PayloadTypeName(13) != "UNKNOWN" || meshcore.RouteTypeName(7) != "UNKNOWN" || meshcore.PayloadTypeName(-1) != "UNKNOWN" {
		t.Error("names out of range")
	}
}
