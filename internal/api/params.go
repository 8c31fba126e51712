package api

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query-parameter parsing. Every helper returns a 400-class error with a
// message naming the parameter instead of silently falling back to a default
// (the original's [quirk], API.md §0.4).

// intParam parses an optional integer; empty → def.
func intParam(q url.Values, name string, def int) (int, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("%s must be an integer, got %q", name, s)
	}
	return v, nil
}

// limitParam parses `limit`: empty or ≤ 0 → def, above max → max (clamped,
// documented per endpoint in API.md).
func limitParam(q url.Values, def, max int) (int, error) {
	v, err := intParam(q, "limit", def)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return def, nil
	}
	if v > max {
		return max, nil
	}
	return v, nil
}

// offsetParam parses `offset` (≥ 0).
func offsetParam(q url.Values) (int, error) {
	v, err := intParam(q, "offset", 0)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, badRequest("offset must be ≥ 0, got %d", v)
	}
	return v, nil
}

// intListParam parses a comma-separated list of integers ("5" or "4,5").
func intListParam(q url.Values, name string) ([]int, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, badRequest("%s must be an integer or a comma-separated list of integers, got %q", name, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// listParam splits a comma-separated parameter, trimming and dropping empties.
func listParam(q url.Values, name string) []string {
	s := q.Get(name)
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// regionParam parses `region` (API.md §0.4): comma-separated IATA codes,
// upper-cased; "All"/empty tokens ignored; nil = filter off.
func regionParam(q url.Values) []string {
	var out []string
	for _, r := range listParam(q, "region") {
		if strings.EqualFold(r, "all") {
			continue
		}
		out = append(out, strings.ToUpper(r))
	}
	return out
}

// timeParam parses an RFC 3339 instant (fractional seconds optional); empty →
// zero time.
func timeParam(q url.Values, name string) (time.Time, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(name, s)
}

func parseTime(name, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badRequest("%s must be an RFC 3339 time like 2026-03-27T21:05:45Z, got %q", name, s)
}

// unixMs converts t to unix ms; the zero time is 0 (unbounded).
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// boolParam parses true/false/1/0 (empty → false).
func boolParam(q url.Values, name string) (bool, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("%s must be true or false, got %q", name, s)
	}
	return v, nil
}

// isHash reports whether s looks like a 16-hex-char content hash.
func isHash(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
