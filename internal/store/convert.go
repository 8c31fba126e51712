package store

import (
	"database/sql"
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
	t.bytes = int32(txBaseBytes + len(t.Raw) + len(t.DecodedJSON) + len(t.Hash) + len(t.Sender) + len(t.Text))
	return t
}

// obsFromRow builds an Observation of tx t from a sync row.
func obsFromRow(r db.ObsRow, t *Transmission, intern *interner, ns *nodeSet, sc *scratch) *Observation {
	rb := db.ObsRowBytes{
		ID: r.ID, TransmissionID: r.TransmissionID, ObserverIdx: r.ObserverIdx, SNR: r.SNR, RSSI: r.RSSI,
		Score: r.Score, Timestamp: r.Timestamp,
		Direction: nullBytes(r.Direction), PathJSON: nullBytes(r.PathJSON),
		ResolvedPath: nullBytes(r.ResolvedPath), RawHex: nullBytes(r.RawHex),
	}
	return obsFromBytes(&rb, t, intern, ns, sc)
}

func nullBytes(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}

// obsFromBytes builds an Observation of tx t. The row's bytes are not kept; sc
// is reused between calls (single goroutine).
func obsFromBytes(r *db.ObsRowBytes, t *Transmission, intern *interner, ns *nodeSet, sc *scratch) *Observation {
	o := &Observation{
		ID:          r.ID,
		Tx:          t,
		ObserverIdx: r.ObserverIdx.Int64,
		Direction:   intern.getBytes(r.Direction),
		SNR:         OptFloat{r.SNR.Float64, r.SNR.Valid},
		RSSI:        OptFloat{r.RSSI.Float64, r.RSSI.Valid},
		score:       int32(r.Score.Int64),
		hasScore:    r.Score.Valid,
		Timestamp:   r.Timestamp * 1000,
		Path:        parsePathBytes(r.PathJSON),
	}
	if len(r.RawHex) > 0 {
		o.setRaw(r.RawHex, sc)
	} else {
		o.rawSame = true // no per-observer raw stored: the transmission's
	}
	n := o.Path.Len()
	if rp := r.ResolvedPath; len(rp) > 0 && string(rp) != "null" {
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
func (o *Observation) setRaw(h []byte, sc *scratch) {
	if len(h)%2 != 0 {
		return
	}
	if n := len(h) / 2; cap(sc.a) < n {
		sc.a = make([]byte, n, 2*n)
	} else {
		sc.a = sc.a[:n]
	}
	if _, err := hex.Decode(sc.a, h); err != nil {
		return
	}
	upper := hexUpper(string(h))
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
	raw := string(sc.a)
	o.raw, o.rawUpper = &raw, upper
}

// scratch holds buffers reused by the single writer goroutine.
type scratch struct{ a, b []byte }

// jsonStrings calls fn with each element of a flat JSON array of strings or
// nulls without escapes (fn gets nil for null). ok is false for anything else.
func jsonStrings(b []byte, fn func(item []byte) bool) bool {
	i, n := 0, len(b)
	skip := func() {
		for i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	skip()
	if i >= n || b[i] != '[' {
		return false
	}
	i++
	skip()
	if i < n && b[i] == ']' {
		i++
		skip()
		return i == n
	}
	for {
		skip()
		switch {
		case i < n && b[i] == '"':
			j := i + 1
			for j < n && b[j] != '"' && b[j] != '\\' {
				j++
			}
			if j >= n || b[j] != '"' {
				return false
			}
			if !fn(b[i+1 : j]) {
				return false
			}
			i = j + 1
		case i+4 <= n && string(b[i:i+4]) == "null":
			if !fn(nil) {
				return false
			}
			i += 4
		default:
			return false
		}
		skip()
		if i < n && b[i] == ',' {
			i++
			continue
		}
		if i < n && b[i] == ']' {
			i++
			skip()
			return i == n
		}
		return false
	}
}

// parseResolved parses a resolved_path JSON array of pubkeys or nulls with n
// entries; ok is false on any other shape.
func parseResolved(b []byte, n int, intern *interner) ([]string, bool) {
	var res []string
	k := 0
	ok := jsonStrings(b, func(it []byte) bool {
		if k >= n {
			return false
		}
		if len(it) > 0 {
			if res == nil {
				res = make([]string, n)
			}
			res[k] = intern.getLowerBytes(it)
		}
		k++
		return true
	})
	if !ok || k != n {
		return nil, false
	}
	return res, true
}

// Byte costs used by the self-accounting: Go struct sizes (rounded to the
// allocator's size classes) plus index entries.
const (
	txBaseBytes  = 400 // Transmission struct + state + byHash/list entries + interned strings
	obsBaseBytes = 240 // Observation struct + index entries (global, per observer, per node)
)

func obsBytes(o *Observation) int64 {
	n := obsBaseBytes + len(o.Path.Hops) + 16*len(o.Resolved)
	if o.raw != nil {
		n += 16 + len(*o.raw)
	}
	if o.Resolved != nil {
		n += 24
	}
	return int64(n)
}

// parsePath turns path_json into compact hop bytes; non-uniform legacy values are
// kept verbatim.
func parsePath(s string) Path { return parsePathBytes([]byte(s)) }

func parsePathBytes(b []byte) Path {
	if len(b) == 0 || string(b) == "[]" || string(b) == "null" {
		return Path{}
	}
	var buf []byte
	size := 0
	ok := jsonStrings(b, func(it []byte) bool {
		if len(it) == 0 || len(it)%2 != 0 || (size != 0 && len(it) != 2*size) || len(it) > 510 {
			return false
		}
		size = len(it) / 2
		for j := 0; j < len(it); j += 2 {
			hi, ok1 := unhex(it[j])
			lo, ok2 := unhex(it[j+1])
			if !ok1 || !ok2 {
				return false
			}
			buf = append(buf, hi<<4|lo)
		}
		return true
	})
	if !ok {
		return legacyPath(string(b))
	}
	if size == 0 {
		return Path{}
	}
	return Path{Hops: string(buf), HopSize: uint8(size)}
}

func legacyPath(s string) Path { return Path{Hops: s} }

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

// getBytes is get without allocating when b is already interned.
func (in *interner) getBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if v, ok := in.m[string(b)]; ok {
		return v
	}
	return in.get(string(b))
}

// getLower is get of strings.ToLower(s), without converting when s is already
// lower-case.
func (in *interner) getLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return in.get(strings.ToLower(s))
		}
	}
	return in.get(s)
}

func (in *interner) getLowerBytes(b []byte) string {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return in.get(strings.ToLower(string(b)))
		}
	}
	return in.getBytes(b)
}

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
