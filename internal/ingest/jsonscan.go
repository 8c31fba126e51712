package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// scanner is a small, allocation-light JSON reader for the flat objects the
// bridge publishes. encoding/json with per-field unmarshalers cost ~25 µs per
// message in the ingest profile (it validates and re-scans every field); this
// walks the bytes once. It is strict about JSON syntax (anything
// encoding/json rejects is rejected, FuzzScannerAgreesWithEncodingJSON
// checks that) but reads only the keys it is asked for. Keys match exactly,
// as the reference's map lookups did.
type scanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("invalid JSON")

func (s *scanner) errf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// object reads an object, calling field for each member with the scanner
// positioned at the value; field must consume the value (skip if unwanted).
func (s *scanner) object(field func(key []byte) error) error {
	if s.peek() != '{' {
		return s.errf("want object")
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errf("want object key")
		}
		key, esc, err := s.rawString()
		if err != nil {
			return err
		}
		if esc { // escaped keys never match our field names; still valid JSON
			if _, err := unescape(key); err != nil {
				return err
			}
			key = nil
		}
		if s.peek() != ':' {
			return s.errf("want ':'")
		}
		s.i++
		s.ws()
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errf("want ',' or '}'")
		}
	}
}

// rawString reads a string token and returns its raw contents (between the
// quotes) and whether it contains escapes.
func (s *scanner) rawString() ([]byte, bool, error) {
	s.i++ // opening quote
	start := s.i
	esc := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			return raw, esc, nil
		case c == '\\':
			esc = true
			s.i += 2
		case c < 0x20:
			return nil, false, s.errf("control character in string")
		default:
			s.i++
		}
	}
	return nil, false, s.errf("unterminated string")
}

// unescape decodes a raw string with escapes (rare for bridge messages) via
// encoding/json, which also validates it.
func unescape(raw []byte) (string, error) {
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var v string
	if err := json.Unmarshal(q, &v); err != nil {
		return "", fmt.Errorf("%w: %v", errSyntax, err)
	}
	return v, nil
}

// str reads a string value; any other value type is skipped and reported as
// absent (a wrong type in one field must not lose the packet).
func (s *scanner) str() (string, bool, error) {
	if s.peek() != '"' {
		return "", false, s.skip()
	}
	raw, esc, err := s.rawString()
	if err != nil {
		return "", false, err
	}
	if esc {
		v, err := unescape(raw)
		return v, err == nil, err
	}
	if !utf8.Valid(raw) { // encoding/json semantics: invalid bytes become U+FFFD
		return string([]rune(string(raw))), true, nil
	}
	return string(raw), true, nil
}

// num reads a number or a numeric string ("-110dBm"); other values are
// skipped and reported as absent.
func (s *scanner) num() (num, error) {
	switch c := s.peek(); {
	case c == '"':
		v, ok, err := s.str()
		if err != nil || !ok {
			return num{}, err
		}
		f, ok := parseNumString(v)
		return num{v: f, ok: ok}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		lit, err := s.number()
		if err != nil {
			return num{}, err
		}
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return num{}, nil
		}
		return num{v: f, ok: true}, nil
	default:
		return num{}, s.skip()
	}
}

// number reads a JSON number literal per RFC 8259.
func (s *scanner) number() ([]byte, error) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return nil, s.errf("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, s.errf("bad fraction")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, s.errf("bad exponent")
		}
	}
	return s.b[start:s.i], nil
}

// skip consumes any value, validating its syntax. Nesting is bounded so a
// hostile payload cannot exhaust the stack.
func (s *scanner) skip() error { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) error {
	if depth > 64 {
		return s.errf("nesting too deep")
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte) error { return s.skipDepth(depth + 1) })
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.errf("want ',' or ']'")
			}
		}
	case c == '"':
		raw, esc, err := s.rawString()
		if err == nil && esc {
			_, err = unescape(raw)
		}
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.errf("unexpected character")
	}
}

func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.errf("bad literal")
	}
	s.i += len(word)
	return nil
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errf("data after the top-level value")
	}
	return nil
}
