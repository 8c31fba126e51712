package ingest

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/meshsim"
)

// A valid signed repeater advert from packets.json ("npm README advert").
const advertHex = "11007E7662676F7F0850A8A355BAAFBFC1EB7B4174C340442D7D7161C9474A2C94006CE7CF682E58408DD8FCC51906ECA98EBF94A037886BDADE7ECD09FD92B839491DF3809C9454F5286D1D3370AC31A34593D569E9A042A3B41FD331DFFB7E18599CE1E60992A076D50238C5B8F85757375354522F50756765744D65736820436F75676172"

func TestSignatureCacheKeepsDecodedJSONIdentical(t *testing.T) {
	ing := &Ingestor{sigs: newSigCache(4)}
	raw, _ := hex.DecodeString(advertHex)
	first, err := ing.decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ing.sigs.get(first.Hash); !ok || !v {
		t.Fatalf("verdict not cached: %v %v", v, ok)
	}
	second, err := ing.decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.PayloadJSON(), second.PayloadJSON()) {
		t.Errorf("cached decode differs:\n%s\n%s", first.PayloadJSON(), second.PayloadJSON())
	}
	a, _ := second.Advert()
	if !a.SignatureChecked || !a.SignatureValid {
		t.Errorf("cached advert: checked=%v valid=%v", a.SignatureChecked, a.SignatureValid)
	}
	// A corrupted copy has another hash and is verified on its own.
	bad := bytes.Clone(raw)
	bad[len(bad)-1] ^= 0xFF
	p, err := ing.decode(bad)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := p.Advert(); a.SignatureValid {
		t.Error("corrupted advert verified as valid")
	}
}

func TestSigCacheEvictsOldest(t *testing.T) {
	c := newSigCache(2)
	c.put("a", true)
	c.put("b", false)
	c.put("c", true)
	if _, ok := c.get("a"); ok {
		t.Error("a still cached after two newer entries")
	}
	if v, ok := c.get("b"); !ok || v {
		t.Errorf("b = %v,%v want false,true", v, ok)
	}
}

func TestNaiveSkew(t *testing.T) {
	ing := &Ingestor{}
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ts   string
		want int64
		ok   bool
	}{
		{"2026-01-02T10:00:00.123456", -7200, true}, // naive, 2 h behind
		{"2026-01-02T11:50:00", 0, false},           // within 15 min
		{"2026-01-02T10:00:00Z", 0, false},          // zoned: not naive
		{"2026-01-02T10:00:00-02:00", 0, false},     // zoned
		{"2026-01-02T22:00:00", 10 * 3600, true},    // ahead, within 14 h
		{"2026-01-03T04:00:00", 0, false},           // 16 h ahead: ignored
		{"2025-11-01T10:00:00", 0, false},           // > 30 days behind: ignored
		{"yesterday", 0, false},
	}
	for _, tc := range tests {
		got, ok := ing.naiveSkew(tc.ts, now)
		if ok != tc.ok || got != tc.want {
			t.Errorf("naiveSkew(%q) = %d,%v want %d,%v", tc.ts, got, ok, tc.want, tc.ok)
		}
	}
}

func TestScopeName(t *testing.T) {
	regions := newRegionKeys([]string{"belgium", "#belgium", " #sea "})
	if len(regions) != 2 || regions[0].name != "#belgium" || regions[1].name != "#sea" {
		t.Fatalf("regions = %+v", regions)
	}
	ing := &Ingestor{regions: regions}
	payload := []byte{1, 2, 3, 4, 5, 6}
	code := regionCode(regions[1].key, meshcore.PayloadTxtMsg, payload)
	// TRANSPORT_DIRECT (3), TXT_MSG (2): header 0x0B, code1, code2, path len 0, payload.
	raw := append([]byte{0x0B, byte(code), byte(code >> 8), 0, 0, 0}, payload...)
	p, err := meshcore.Decode(raw, meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := ing.scopeOf(p); s == nil || *s != "#sea" {
		t.Errorf("scope = %v, want #sea", s)
	}
	raw[1] ^= 0x55 // another code: scoped, unknown region
	p, _ = meshcore.Decode(raw, meshcore.Options{})
	if s := ing.scopeOf(p); s == nil || *s != "" {
		t.Errorf("unknown scope = %v, want empty string", s)
	}
	raw[1], raw[2] = 0, 0 // code1 0: not scoped
	p, _ = meshcore.Decode(raw, meshcore.Options{})
	if s := ing.scopeOf(p); s != nil {
		t.Errorf("zero code scope = %q, want nil", *s)
	}
}

func TestValidateAdvert(t *testing.T) {
	raw, _ := hex.DecodeString(advertHex)
	p, err := meshcore.Decode(raw, meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := p.Advert()
	if err := validateAdvert(p, good); err != nil {
		t.Fatalf("valid advert rejected: %v", err)
	}
	mut := func(f func(*meshcore.AdvertInfo)) meshcore.AdvertInfo { a := good; f(&a); return a }
	for name, a := range map[string]meshcore.AdvertInfo{
		"zero key":      mut(func(a *meshcore.AdvertInfo) { a.PubKey = "0000000000000000" }),
		"short key":     mut(func(a *meshcore.AdvertInfo) { a.PubKey = "abcd" }),
		"latitude":      mut(func(a *meshcore.AdvertInfo) { a.HasLocation, a.Lat = true, 91 }),
		"control chars": mut(func(a *meshcore.AdvertInfo) { a.Name = "bad\x01name" }),
		"long name":     mut(func(a *meshcore.AdvertInfo) { a.Name = string(bytes.Repeat([]byte("x"), 65)) }),
		"role":          mut(func(a *meshcore.AdvertInfo) { a.Role = "wizard" }),
	} {
		if validateAdvert(p, a) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRedactTopicAndBucket(t *testing.T) {
	if got := redactTopic("meshcore/SJC/A1B2C3D4E5F60718/packets"); got != "meshcore/SJC/A1B2C3D4…/packets" {
		t.Errorf("redactTopic = %q", got)
	}
	at := time.Date(2026, 1, 1, 10, 7, 31, 0, time.UTC)
	if got := bucket(at, 5*time.Minute); !got.Equal(time.Date(2026, 1, 1, 10, 10, 0, 0, time.UTC)) {
		t.Errorf("bucket = %v", got)
	}
}

func TestLimiterReportsSuppressed(t *testing.T) {
	l := newLimiter(time.Second)
	t0 := time.Unix(1000, 0)
	if ok, _ := l.allow("k", t0); !ok {
		t.Fatal("first line suppressed")
	}
	for i := range 5 {
		if ok, _ := l.allow("k", t0.Add(time.Duration(i)*100*time.Millisecond)); ok {
			t.Fatal("line within the interval allowed")
		}
	}
	if ok, n := l.allow("k", t0.Add(2*time.Second)); !ok || n != 5 {
		t.Errorf("after interval: ok=%v suppressed=%d, want true 5", ok, n)
	}
	if ok, _ := l.allow("other", t0); !ok {
		t.Error("keys are not independent")
	}
}

// BenchmarkPrepare measures parse + filter + decode + row building per
// message on meshsim traffic (the work the prepare workers do in parallel).
//
//	go test ./internal/ingest -run '^$' -bench Prepare -benchmem
func BenchmarkPrepare(b *testing.B) {
	msgs := meshsim.New(meshsim.Options{Seed: 1, Nodes: 40, Observers: 4,
		End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Duration: time.Hour}).Generate(2000)
	ing := &Ingestor{sigs: newSigCache(8192), now: time.Now}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := msgs[i%len(msgs)]
		if _, err := ing.prepare(nil, m.Topic, m.Payload, false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWithEmbeddedSource(t *testing.T) {
	url := "tcp://127.0.0.1:1883"
	local := []config.MQTTSource{{Name: "local", Broker: "tcp://localhost:1883"}}
	if got := withEmbeddedSource(local, url); len(got) != 1 || got[0].Name != "embedded" {
		t.Errorf("default local source not replaced: %+v", got)
	}
	two := []config.MQTTSource{{Name: "a", Broker: "tcp://example.org:1883"}}
	if got := withEmbeddedSource(two, url); len(got) != 2 || got[1].Broker != url {
		t.Errorf("embedded not added next to a configured source: %+v", got)
	}
	same := []config.MQTTSource{{Name: "mine", Broker: "127.0.0.1:1883"}}
	if got := withEmbeddedSource(same, url); len(got) != 1 {
		t.Errorf("a source already on the embedded broker got a duplicate: %+v", got)
	}
}
