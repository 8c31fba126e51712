package store

import (
	"database/sql"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
)

func TestObservationRawIsRebuiltOrKept(t *testing.T) {
	// FLOOD ADVERT-ish packet with 2 one-byte hops, and a transport-flood one.
	tx := &Transmission{}
	tx.Raw, tx.rawUpper = decodeHex("1102A1B2CAFE")
	ttx := &Transmission{}
	ttx.Raw, ttx.rawUpper = decodeHex("1011112222" + "41A1A1" + "BEEF")
	cases := []struct {
		name     string
		tx       *Transmission
		path     string
		raw      string
		wantKept bool
	}{
		{"same as tx", tx, `["A1","B2"]`, "1102A1B2CAFE", false},
		{"longer path rebuilt", tx, `["A1","B2","C3"]`, "1103A1B2C3CAFE", false},
		{"no hops rebuilt", tx, `[]`, "1100CAFE", false},
		{"payload differs kept", tx, `["A1"]`, "1101A1CAFF", true},
		{"lower-case kept", tx, `["A1","B2"]`, "1102a1b2cafe", true},
		{"transport 2-byte hops rebuilt", ttx, `["A1A1","B2B2"]`, "1011112222" + "42A1A1B2B2" + "BEEF", false},
		{"legacy path kept", tx, `["A1","B"]`, "1102A1B2CAFE", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in interner
			var sc scratch
			o := obsFromRow(db.ObsRow{ID: 1, PathJSON: sql.NullString{String: c.path, Valid: true},
				RawHex: sql.NullString{String: c.raw, Valid: true}}, c.tx, &in, nil, &sc)
			if got := o.RawHex(); got != c.raw {
				t.Fatalf("RawHex = %s, want %s", got, c.raw)
			}
			if kept := o.raw != nil; kept != c.wantKept {
				t.Fatalf("raw kept = %v, want %v", kept, c.wantKept)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	cases := []struct {
		in, json string
		hops     int
	}{
		{`[]`, `[]`, 0},
		{``, `[]`, 0},
		{`["7D1D","DA2A"]`, `["7D1D","DA2A"]`, 2},
		{`["ab", "cd"]`, `["AB","CD"]`, 2},
		{`["A1","B"]`, `["A1","B"]`, 2},
		{`not json`, `not json`, 0},
	}
	for _, c := range cases {
		p := parsePath(c.in)
		if p.PathJSON() != c.json || p.Len() != c.hops {
			t.Errorf("parsePath(%q) = %s (%d hops), want %s (%d)", c.in, p.PathJSON(), p.Len(), c.json, c.hops)
		}
	}
}

func TestParseTimeFormats(t *testing.T) {
	for in, want := range map[string]int64{
		"2026-05-17T18:13:27Z":     1779041607000,
		"2026-03-20T09:06:21.535Z": 1773997581535,
		"2026-05-17 18:13:27":      1779041607000,
		"":                         0,
		"garbage":                  0,
	} {
		if got := parseTimeMs(in); got != want {
			t.Errorf("parseTimeMs(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFormatTimeMatchesTimeFormat(t *testing.T) {
	for _, ms := range []int64{1, 999, 1000, 1779041607000, 1773997581535, 253402300799999, -1, -86400001} {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := FormatTime(ms); got != want {
			t.Errorf("FormatTime(%d) = %s, want %s", ms, got, want)
		}
	}
	if FormatTime(0) != "" {
		t.Error("FormatTime(0) is not empty")
	}
}
