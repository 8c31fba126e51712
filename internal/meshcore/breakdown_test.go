package meshcore_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/meshcore"
)

// checkTiling verifies that fields cover raw exactly, in order, with no gap
// or overlap, and that every field is well-formed.
func checkTiling(t testing.TB, raw []byte, fields []meshcore.Field) {
	t.Helper()
	at := 0
	for i, f := range fields {
		if f.Offset != at {
			t.Fatalf("field %d %q at offset %d, want %d (gap or overlap); fields %+v", i, f.Name, f.Offset, at, fields)
		}
		if f.Length <= 0 {
			t.Fatalf("field %d %q has length %d", i, f.Name, f.Length)
		}
		if f.Name == "" || f.Kind == "" || strings.ToLower(f.Kind) != f.Kind {
			t.Fatalf("field %d has name %q kind %q; want non-empty, lower-case kind", i, f.Name, f.Kind)
		}
		at += f.Length
	}
	if at != len(raw) {
		t.Fatalf("fields end at %d, packet has %d bytes", at, len(raw))
	}
}

func TestBreakdownTilesEveryVector(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			raw, err := meshcore.ParseHex(v.Hex)
			if err != nil {
				if !v.Expect.Error {
					t.Fatalf("parse hex: %v", err)
				}
				return
			}
			fields, err := meshcore.Breakdown(raw)
			if v.Expect.Error {
				if err == nil {
					t.Fatalf("Breakdown succeeded on a malformed packet")
				}
				return
			}
			if err != nil {
				t.Fatalf("Breakdown: %v", err)
			}
			checkTiling(t, raw, fields)
			if fields[0].Kind != "header" {
				t.Errorf("first field kind %q, want header", fields[0].Kind)
			}
		})
	}
}

func TestBreakdownNamesAdvertFields(t *testing.T) {
	// npm README advert: repeater with location and name.
	var v vector
	for _, x := range loadVectors(t) {
		if strings.HasPrefix(x.Name, "npm README advert") {
			v = x
		}
	}
	p, err := meshcore.DecodeHex(v.Hex, meshcore.Options{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	kinds := map[string]meshcore.Field{}
	for _, f := range p.Breakdown() {
		kinds[f.Kind] = f
	}
	for _, k := range []string{"header", "path_len", "pubkey", "timestamp", "signature", "flags", "location", "name"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no field of kind %q", k)
		}
	}
	if got := kinds["name"].Value; got != p.Payload.Name || got == "" {
		t.Errorf("name field value %q, want %q", got, p.Payload.Name)
	}
	if got := kinds["signature"].Length; got != 64 {
		t.Errorf("signature length %d, want 64", got)
	}
	b, _ := json.Marshal(kinds["header"])
	for _, key := range []string{`"offset":0`, `"length":1`, `"name":`, `"value":`, `"description":`, `"kind":"header"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("field JSON %s lacks %s", b, key)
		}
	}
}

func TestBreakdownTraceUsesSNRAndRoute(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Name != "TRACE direct, 4 SNR bytes, real" {
			continue
		}
		p, err := meshcore.DecodeHex(v.Hex, meshcore.Options{})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		var snr, route int
		for _, f := range p.Breakdown() {
			switch f.Kind {
			case "snr":
				snr++
			case "route":
				route++
			}
		}
		if snr != p.HeaderPath.HashCount || route != p.Path.HashCount {
			t.Errorf("snr fields %d route fields %d, want %d and %d", snr, route, p.HeaderPath.HashCount, p.Path.HashCount)
		}
		return
	}
	t.Fatal("vector not found")
}
