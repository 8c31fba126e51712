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
	return b, strings.ToUpper(s) == s && strings.ToLower(s) != s
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
		FromPubkey:     intern.get(strings.ToLower(r.FromPubkey.String)),
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

// obsFromRow builds an Observation of tx t.
func obsFromRow(r db.ObsRow, t *Transmission, intern *interner, ns *nodeSet) *Observation {
	o := &Observation{
		ID:          r.ID,
		Tx:          t,
		ObserverIdx: r.ObserverIdx.Int64,
		Direction:   intern.get(r.Direction.String),
		SNR:         OptFloat{r.SNR.Float64, r.SNR.Valid},
		RSSI:        OptFloat{r.RSSI.Float64, r.RSSI.Valid},
		Score:       OptInt{r.Score.Int64, r.Score.Valid},
		Timestamp:   r.Timestamp * 1000,
		Path:        parsePath(r.PathJSON.String),
	}
	if r.RawHex.Valid && r.RawHex.String != "" {
		raw, upper := decodeHex(r.RawHex.String)
		if string(raw) != string(t.Raw) {
			o.raw, o.rawUpper = raw, upper
		}
	}
	n := o.Path.Len()
	if r.ResolvedPath.Valid && r.ResolvedPath.String != "" && r.ResolvedPath.String != "null" {
		var rp []*string
		if json.Unmarshal([]byte(r.ResolvedPath.String), &rp) == nil && len(rp) == n {
			res := make([]string, n)
			any := false
			for i, pk := range rp {
				if pk != nil && *pk != "" {
					res[i] = intern.get(strings.ToLower(*pk))
					any = true
				}
			}
			if any {
				o.Resolved = res
			}
		}
	} else if n > 0 && ns != nil {
		res := make([]string, n)
		any := false
		for i := 0; i < n; i++ {
			if pk := ns.resolveHop(o.Path.Hop(i)); pk != "" {
				res[i] = intern.get(pk)
				any = true
			}
		}
		if any {
			o.Resolved = res
		}
	}
	return o
}

// Byte costs used by the self-accounting (approximate struct + index entry sizes).
const (
	txBaseBytes  = 320 // Transmission struct, state, index entries (hash map, lists)
	obsBaseBytes = 160 // Observation struct, index entries (global, per observer)
)

func obsBytes(o *Observation) int64 {
	return obsBaseBytes + int64(len(o.Path.Hops)+len(o.Path.JSON)+len(o.raw)+16*len(o.Resolved))
}

// parsePath turns path_json into compact hop bytes; non-uniform legacy values are
// kept verbatim.
func parsePath(s string) Path {
	if s == "" || s == "[]" || s == "null" {
		return Path{}
	}
	hops, ok := parseLegacyPath(s)
	if !ok || len(hops) == 0 {
		return Path{JSON: s}
	}
	size := len(hops[0]) / 2
	if size == 0 || size > 255 {
		return Path{JSON: s}
	}
	buf := make([]byte, 0, size*len(hops))
	for _, h := range hops {
		if len(h) != size*2 {
			return Path{JSON: s}
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return Path{JSON: s}
		}
		buf = append(buf, b...)
	}
	return Path{Hops: buf, HopSize: uint8(size)}
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
