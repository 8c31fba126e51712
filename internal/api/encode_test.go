package api

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// TestPacketEncoderMatchesReferenceJSON checks the streaming append encoder
// against encoding/json of the store's reference shape (store.TxJSON) on the
// original's fixture database, for plain and expanded pages.
func TestPacketEncoderMatchesReferenceJSON(t *testing.T) {
	st := runStore(t, fixtureDB(t), nil)
	for _, q := range []store.PacketQuery{
		{Limit: 500},
		{Limit: 500, Expand: true},
		{Limit: 100, Types: []int{4}, Expand: true, Asc: true},
		{Limit: 50, Offset: 20, Since: time.Unix(0, 0)},
	} {
		want, err := json.Marshal(st.Packets(q))
		if err != nil {
			t.Fatal(err)
		}
		page := st.PacketViews(q)
		rec := httptest.NewRecorder()
		streamPackets(rec, page.Packets, page.Total, nil)
		var got, ref any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%+v: encoder output is not JSON: %v", q, err)
		}
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ref) {
			g, _ := json.Marshal(got)
			t.Fatalf("%+v: encoder differs from json.Marshal(TxJSON)\n got %s\nwant %s", q, trunc(g), trunc(want))
		}
		if len(page.Packets) == 0 {
			t.Fatalf("%+v: empty page, the comparison proves nothing", q)
		}
	}
}

func TestAppendStringAndFloatMatchEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " back \ slash`, "tab\tnl\ncr\r", "\x00\x1f ctl",
		"emoji 🐐 ünïcode", "bad utf8 \xff\xfe", "line\u2028sep\u2029", "<html>&amp;"} {
		var got any
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: not JSON: %v (%s)", s, err, appendString(nil, s))
		}
		var want any
		ref, _ := json.Marshal(s)
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Fatalf("%q: decodes to %q, encoding/json gives %q", s, got, want)
		}
	}
	for _, f := range []float64{0, -0.5, 7.25, -120, 1e-7, 123456789.125, 1e21, 3.4e-9} {
		ref, _ := json.Marshal(f)
		if got := string(appendFloat(nil, f)); got != string(ref) {
			t.Fatalf("%v: %s, encoding/json writes %s", f, got, ref)
		}
	}
	if got := string(appendFloat(nil, math.NaN())); got != "null" {
		t.Fatalf("NaN: %s", got)
	}
}

// refString is encoding/json's encoding of s without HTML escaping.
func refString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// TestAppendStringEveryByteAtEveryOffset puts each byte value at each offset
// of a longer plain string, so every lane of the 8-byte fast path and its
// tail sees every character class; the output must equal encoding/json's.
func TestAppendStringEveryByteAtEveryOffset(t *testing.T) {
	base := []byte("abcdefghijklmnopqr")
	for pos := range base {
		for c := 0; c < 256; c++ {
			s := append([]byte(nil), base...)
			s[pos] = byte(c)
			if got, want := string(appendString(nil, string(s))), refString(string(s)); got != want {
				t.Fatalf("byte %#x at %d: got %s, encoding/json %s", c, pos, got, want)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "0123456789abcdef\"x", `{"type":"ADVERT","name":"a\\b"}`, "ünï\u2028\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), refString(s); got != want {
			t.Fatalf("%q: got %s, encoding/json %s", s, got, want)
		}
	})
}
