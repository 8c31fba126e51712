package api

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"reflect"
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
