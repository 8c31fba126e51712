package store

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// parseTimeMs parses the time formats found in the database (RFC 3339 with or
// without fractional seconds, and SQLite's `YYYY-MM-DD HH:MM:SS`) into unix ms.
// Unparseable or empty values give 0.
func parseTimeMs(s string) int64 {
	if s == "" {
		return 0
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli()
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.000"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UnixMilli()
		}
	}
	return 0
}

func decodeHex(s string) (b []byte, upper bool) {
	if s == "" {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, hexUpper(s)
}

func optInt8(v int64, valid bool) int8 {
	if !valid || v < -128 || v > 127 {
		return -1
	}
	return int8(v)
}

// decodedFields are the few decoded_json fields the store indexes by.
type decodedFields struct {
	PubKey          string `json:"pubKey"`
	Channel         string `json:"channel"`
	Sender          string `json:"sender"`
	Text            string `json:"text"`
	SenderTimestamp int64  `json:"sender_timestamp"`
}

// txFromRow builds a Transmission. Bad raw hex or decoded JSON are kept as far
// as they go (empty raw bytes, no pre-parsed fields); the row is never dropped.
func txFromRow(r db.TxRow, intern *interner) *Transmission {
	t := &Transmission{
		ID:             r.ID,
		Hash:           strings.ToLower(r.Hash),
		FirstSeen:      parseTimeMs(r.FirstSeen),
		RouteType:      optInt8(r.RouteType.Int64, r.RouteType.Valid),
		PayloadType:    optInt8(r.PayloadType.Int64, r.PayloadType.Valid),
		PayloadVersion: optInt8(r.PayloadVersion.Int64, r.PayloadVersion.Valid),
		DecodedJSON:    r.DecodedJSON.String,
		FromPubkey:     intern.getLower(r.FromPubkey.String),
		ChannelHash:    intern.get(r.ChannelHash.String),
		ScopeName:      OptString{intern.get(r.ScopeName.String), r.ScopeName.Valid},
	}
	t.Raw, t.rawUpper = decodeHex(r.RawHex)
	if t.PayloadType == 4 || t.PayloadType == 5 {
		var d decodedFields
		if json.Unmarshal([]byte(t.DecodedJSON), &d) == nil {
			if t.FromPubkey == "" && t.PayloadType == 4 && len(d.PubKey) == 64 {
				t.FromPubkey = intern.get(strings.ToLower(d.PubKey))
			}
			if t.PayloadType == 5 {
				t.Sender = d.Sender
				t.Text = d.Text
				if d.Sender != "" && strings.HasPrefix(d.Text, d.Sender+": ") {
					t.Text = d.Text[len(d.Sender)+2:]
				}
				t.SenderTimestamp = d.SenderTimestamp
				if t.ChannelHash == "" && d.Channel != "" {
					t.ChannelHash = intern.get(d.Channel)
				}
			}
		}
	}
	if t.FirstSeen == 0 {
		t.FirstSeen = parseTimeMs(strings.Replace(r.FirstSeen, " ", "T", 1) + "Z")
	}
	t.bytes = txBaseBytes + int64(len(t.Raw)+len(t.DecodedJSON)+len(t.Hash)+len(t.Sender)+len(t.Text))
	return t
}

// obsFromRow builds an Observation of tx t. sc is reused between calls
// (single goroutine).
func obsFromRow(r db.ObsRow, t *Transmission, intern *interner, ns *nodeSet, sc *scratch) *Observation {
	o := &Observation{
		ID:          r.ID,
		Tx:          t,
		ObserverIdx: r.ObserverIdx.Int64,
		Direction:   intern.get(r.Direction.String),
		SNR:         OptFloat{r.SNR.Float64, r.SNR.Valid},
		RSSI:        OptFloat{r.RSSI.Float64, r.RSSI.Valid},
		score:       int32(r.Score.Int64),
		hasScore:    r.Score.Valid,
		Timestamp:   r.Timestamp * 1000,
		Path:        parsePath(r.PathJSON.String),
	}
	if r.RawHex.Valid && r.RawHex.String != "" {
		o.setRaw(r.RawHex.String, sc)
	} else {
		o.rawSame = true // no per-observer raw stored: the transmission's
	}
	n := o.Path.Len()
	if rp := r.ResolvedPath.String; r.ResolvedPath.Valid && rp != "" && rp != "null" {
		if res, ok := parseResolved(rp, n, intern); ok {
			o.Resolved = res
		}
	} else if n > 0 && ns != nil {
		var res []string
		for i := 0; i < n; i++ {
			if pk := ns.resolveHop(o.Path.Hop(i)); pk != "" {
				if res == nil {
					res = make([]string, n)
				}
				res[i] = intern.get(pk)
			}
		}
		o.Resolved = res
	}
	return o
}

// setRaw keeps the observer's raw hex only when it cannot be rebuilt from the
// transmission's raw bytes and the observation's path.
func (o *Observation) setRaw(h string, sc *scratch) {
	if len(h)%2 != 0 {
		return
	}
	if n := len(h) / 2; cap(sc.a) < n {
		sc.a = make([]byte, n, 2*n)
	} else {
		sc.a = sc.a[:n]
	}
	if _, err := hex.Decode(sc.a, []byte(h)); err != nil {
		return
	}
	upper := hexUpper(h)
	if upper == o.Tx.rawUpper {
		if string(sc.a) == string(o.Tx.Raw) {
			o.rawSame = true
			return
		}
		var ok bool
		if sc.b, ok = rebuildRaw(o.Tx.Raw, o.Path, sc.b); ok && string(sc.b) == string(sc.a) {
			return
		}
	}
	o.raw, o.rawUpper = string(sc.a), upper
}

// scratch holds buffers reused by the single writer goroutine.
type scratch struct{ a, b []byte }

// hexUpper reports whether hex text is written with upper-case letters (text
// without letters renders the same either way and counts as lower).
func hexUpper(h string) bool {
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c >= 'A' && c <= 'F':
			return true
		case c >= 'a' && c <= 'f':
			return false
		}
	}
	return false
}

// parseResolved parses a resolved_path JSON array of pubkeys or nulls with n
// entries; ok is false on any other shape.
func parseResolved(s string, n int, intern *interner) ([]string, bool) {
	items, ok := splitJSONArray(s)
	if !ok || len(items) != n {
		return nil, false
	}
	var res []string
	for i, it := range items {
		if it == "null" || it == `""` {
			continue
		}
		if len(it) < 2 || it[0] != '"' || it[len(it)-1] != '"' {
			return nil, false
		}
		pk := it[1 : len(it)-1]
		if res == nil {
			res = make([]string, n)
		}
		res[i] = intern.getLower(pk)
	}
	return res, true
}

// splitJSONArray splits a flat JSON array of strings/null (no escapes) into
// its raw items; ok is false for anything else.
func splitJSONArray(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return []string{}, true
	}
	if strings.ContainsRune(body, '\\') {
		return nil, false
	}
	parts := strings.Split(body, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts, true
}

// Byte costs used by the self-accounting: Go struct sizes (rounded to the
// allocator's size classes) plus index entries.
const (
	txBaseBytes  = 400 // Transmission struct + state + byHash/list entries + interned strings
	obsBaseBytes = 240 // Observation struct + index entries (global, per observer, per node)
)

func obsBytes(o *Observation) int64 {
	n := obsBaseBytes + len(o.Path.Hops) + len(o.raw) + 16*len(o.Resolved)
	if o.Resolved != nil {
		n += 24
	}
	return int64(n)
}

// parsePath turns path_json into compact hop bytes; non-uniform legacy values are
// kept verbatim.
func parsePath(s string) Path {
	if s == "" || s == "[]" || s == "null" {
		return Path{}
	}
	items, ok := splitJSONArray(s)
	if !ok || len(items) == 0 {
		return legacyPath(s)
	}
	size := (len(items[0]) - 2) / 2
	if size <= 0 || size > 255 {
		return legacyPath(s)
	}
	buf := make([]byte, 0, size*len(items))
	for _, it := range items {
		if len(it) != size*2+2 || it[0] != '"' || it[len(it)-1] != '"' {
			return legacyPath(s)
		}
		for j := 1; j < len(it)-1; j += 2 {
			hi, ok1 := unhex(it[j])
			lo, ok2 := unhex(it[j+1])
			if !ok1 || !ok2 {
				return legacyPath(s)
			}
			buf = append(buf, hi<<4|lo)
		}
	}
	return Path{Hops: string(buf), HopSize: uint8(size)}
}

func legacyPath(s string) Path { return Path{legacy: &s} }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseLegacyPath parses a path_json array of strings (upper-cased).
func parseLegacyPath(s string) ([]string, bool) {
	var hops []string
	if err := json.Unmarshal([]byte(s), &hops); err != nil {
		return []string{}, false
	}
	for i := range hops {
		hops[i] = strings.ToUpper(hops[i])
	}
	if hops == nil {
		hops = []string{}
	}
	return hops, true
}

// interner shares one copy of repeated strings (pubkeys, channel names,
// directions). Used only by the Run goroutine.
type interner struct{ m map[string]string }

func (in *interner) get(s string) string {
	if s == "" {
		return ""
	}
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	in.m[s] = s
	return s
}

// getLower is get of strings.ToLower(s), without converting when the
// lower-case form is already interned.
func (in *interner) getLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return in.get(strings.ToLower(s))
		}
	}
	return in.get(s)
}
