package api

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The packet responses are the server's largest (2,000 transmissions with
// their observations ≈ 2 MB), so they are encoded with these appenders
// instead of reflection: one growing byte slice, no intermediate maps or
// structs. Small responses use encoding/json (writeJSON).

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters, quotes,
// backslashes, U+2028/U+2029 and invalid UTF-8 are escaped the way
// encoding/json does (minus its HTML escaping, which JSON does not need).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip 8 plain bytes at a time: most of what the big lists carry
		// (hex, pubkeys, names, the quotes-free stretches of decoded_json) is
		// printable ASCII. This was the encoder's hottest loop (PERFORMANCE.md).
		for i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain8 reports whether the 8 bytes of s need no escaping: no byte below
// 0x20, none at or above 0x80 (UTF-8, checked rune by rune), no '"' or '\\'.
// SWAR: a byte b is zero in x exactly when (x-0x01…) & ^x & 0x80… has its
// high bit set.
func plain8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	quote := w ^ (ones * '"')
	slash := w ^ (ones * '\\')
	ctl := w - ones*0x20 // borrows (high bit) for bytes < 0x20
	bad := w | ctl&^w | (quote-ones)&^quote | (slash-ones)&^slash
	return bad&highs == 0
}

// appendStringOrNull appends null for "" (the store's NULL for text columns).
func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendFloat appends f like encoding/json does; NaN and ±Inf (never valid
// JSON) become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// bufPool recycles the encode buffers of streamed responses.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, flushEvery+8<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 { // do not pin a buffer grown by one huge item
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }
