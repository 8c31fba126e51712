package meshcore_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/fixtures"
	"github.com/corescope/corescope/internal/meshcore"
)

// vector is one entry of the test vectors (testdata/packets.json at the
// repository root; CORESCOPE_VECTORS overrides the path).
type vector struct {
	Name     string            `json:"name"`
	Hex      string            `json:"hex"`
	Channels map[string]string `json:"channels"`
	Expect   struct {
		Error           bool            `json:"error"`
		RouteType       int             `json:"route_type"`
		RouteTypeName   string          `json:"route_type_name"`
		PayloadType     int             `json:"payload_type"`
		PayloadTypeName string          `json:"payload_type_name"`
		PayloadVersion  int             `json:"payload_version"`
		TransportCodes  json.RawMessage `json:"transport_codes"`
		PathLenByte     int             `json:"path_len_byte"`
		HeaderPath      struct {
			HashSize  int      `json:"hash_size"`
			HashCount int      `json:"hash_count"`
			Hops      []string `json:"hops"`
		} `json:"header_path"`
		Path       json.RawMessage `json:"path"`
		Hash       string          `json:"hash"`
		Decoded    json.RawMessage `json:"decoded"`
		Anomaly    string          `json:"anomaly"`
		PayloadHex string          `json:"payload_hex"`
	} `json:"expect"`
}

func loadVectors(t testing.TB) []vector {
	data := fixtures.ReadVectors(t)
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	if len(vs) < 90 {
		t.Fatalf("got %d vectors, want at least 90", len(vs))
	}
	return vs
}

func vectorOptions(t testing.TB, v vector) meshcore.Options {
	if len(v.Channels) == 0 {
		return meshcore.Options{}
	}
	kr, err := channel.New(channel.Config{NoBuiltins: true, Keys: v.Channels})
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	return meshcore.Options{Keys: kr}
}

// jsonEqual compares two JSON texts as values (numbers as numbers).
func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: got invalid JSON %s: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: want invalid JSON %s: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// keyOrder returns the top-level object keys in order.
func keyOrder(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("value: %v", err)
		}
	}
	return keys
}

func TestDecodeMatchesVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			e := v.Expect
			p, err := meshcore.DecodeHex(v.Hex, vectorOptions(t, v))
			if e.Error {
				if err == nil {
					t.Fatalf("decode succeeded, want error; payload %s", p.PayloadJSON())
				}
				if raw, herr := meshcore.ParseHex(v.Hex); herr == nil {
					if h, cerr := meshcore.ContentHash(raw); cerr == nil {
						t.Errorf("ContentHash = %q, want error for malformed packet", h)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			h := p.Header
			if h.RouteType != e.RouteType || h.RouteTypeName() != e.RouteTypeName ||
				h.PayloadType != e.PayloadType || h.PayloadTypeName() != e.PayloadTypeName ||
				h.PayloadVersion != e.PayloadVersion {
				t.Errorf("header = %+v (%s/%s), want %d %s %d %s v%d", h, h.RouteTypeName(), h.PayloadTypeName(),
					e.RouteType, e.RouteTypeName, e.PayloadType, e.PayloadTypeName, e.PayloadVersion)
			}
			tc, _ := json.Marshal(p.TransportCodes)
			jsonEqual(t, "transport codes", tc, e.TransportCodes)
			if int(p.PathLenByte) != e.PathLenByte {
				t.Errorf("path_len byte = %d, want %d", p.PathLenByte, e.PathLenByte)
			}
			hp := p.HeaderPath
			if hp.HashSize != e.HeaderPath.HashSize || hp.HashCount != e.HeaderPath.HashCount ||
				!reflect.DeepEqual(hp.Hops, e.HeaderPath.Hops) {
				t.Errorf("header path = %+v, want %+v", hp, e.HeaderPath)
			}
			path, _ := json.Marshal(p.Path)
			jsonEqual(t, "path", path, e.Path)
			if p.Hash != e.Hash {
				t.Errorf("hash = %s, want %s", p.Hash, e.Hash)
			}
			if ch, err := meshcore.ContentHash(p.Raw); err != nil || ch != e.Hash {
				t.Errorf("ContentHash = %q, %v; want %s", ch, err, e.Hash)
			}
			got := p.PayloadJSON()
			jsonEqual(t, "decoded", got, e.Decoded)
			if g, w := keyOrder(t, got), keyOrder(t, e.Decoded); !reflect.DeepEqual(g, w) {
				t.Errorf("decoded key order = %v, want %v", g, w)
			}
			if p.Anomaly != e.Anomaly {
				t.Errorf("anomaly = %q, want %q", p.Anomaly, e.Anomaly)
			}
			if ph := strings.ToUpper(hex.EncodeToString(p.PayloadBytes)); ph != e.PayloadHex {
				t.Errorf("payload hex = %s, want %s", ph, e.PayloadHex)
			}
		})
	}
}
