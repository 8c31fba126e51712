package api

import (
	"compress/gzip"
	"crypto/subtle"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cors implements API.md §1.2: no Origin or no allow-list → nothing added;
// allowed origin → echo (or *) with methods/headers; preflight → 204, or 403
// for a disallowed origin. PUT is allowed too (the original omitted it, so a
// cross-origin geo-filter PUT was impossible).
func cors(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	wildcard := false
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		if o == "*" {
			wildcard = true
		}
		set[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		ok := wildcard || set[origin]
		if ok {
			h := w.Header()
			if wildcard {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-API-Key")
		}
		if r.Method == http.MethodOptions {
			if ok {
				w.WriteHeader(http.StatusNoContent)
			} else {
				w.WriteHeader(http.StatusForbidden)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireKey guards the protected routes of API.md §0.3. The decision order
// is: no key configured → 403; header differs (constant-time compare) → 401;
// weak key configured → 403. The key itself is never logged. An address
// that sent too many wrong keys gets 429 for a while (keyguard.go).
func (s *Server) requireKey(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := s.cfg.APIKey
		if key == "" {
			s.writeError(w, r, statusError(http.StatusForbidden, "write endpoints disabled — set apiKey in config.json"))
			return
		}
		addr := clientAddr(r)
		if left, blocked := s.keyGuard.blocked(addr); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int((left+time.Second-1)/time.Second)))
			s.writeError(w, r, statusError(http.StatusTooManyRequests, "too many wrong API keys; retry later"))
			return
		}
		got := r.Header.Get("X-API-Key")
		if subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			s.keyGuard.fail(addr, s.log)
			s.writeError(w, r, statusError(http.StatusUnauthorized, "unauthorized"))
			return
		}
		s.keyGuard.succeed(addr)
		if !s.cfg.APIKeyStrong() {
			s.writeError(w, r, statusError(http.StatusForbidden, "forbidden"))
			return
		}
		next(w, r)
	}
}

// defaultGzipTypes are the content types compressed by default (API.md §1.1).
var defaultGzipTypes = []string{
	"application/json", "application/javascript", "application/x-javascript",
	"application/xml", "text/html", "text/css", "text/plain", "text/xml",
	"image/svg+xml", "text/markdown", "text/javascript",
}

// gzipper compresses responses whose content type is in its allow-list when
// the client accepts gzip. Writers are pooled per level. Large bodies (≥
// largeBody, or marked with hintLarge) use BestSpeed: on a multi-megabyte
// packet list level 6 costs about four times as long as level 1 for ~15 %
// fewer bytes, and the time is what the user waits for.
type gzipper struct {
	types map[string]bool
	pool  sync.Pool
	fast  sync.Pool
}

const largeBody = 256 << 10

func newGzipper(level int, types []string) *gzipper {
	if level < gzip.BestSpeed || level > gzip.BestCompression {
		level = gzip.DefaultCompression
	}
	if len(types) == 0 {
		types = defaultGzipTypes
	}
	g := &gzipper{types: make(map[string]bool, len(types))}
	for _, t := range types {
		g.types[strings.ToLower(strings.TrimSpace(t))] = true
	}
	g.pool.New = func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, level)
		return zw
	}
	g.fast.New = func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return zw
	}
	return g
}

func (g *gzipper) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, g: g}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// gzipWriter decides at WriteHeader time whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	g           *gzipper
	zw          *gzip.Writer
	pool        *sync.Pool
	wroteHeader bool
	large       bool
}

// hintLarge marks the response as large before its header is written (a
// streamed body has no Content-Length to tell).
func (w *gzipWriter) hintLarge() { w.large = true }

// hintLarge finds the gzip writer under w (through Unwrap) and marks the
// response as large; a no-op without compression.
func hintLarge(w http.ResponseWriter) {
	for w != nil {
		if h, ok := w.(interface{ hintLarge() }); ok {
			h.hintLarge()
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (w *gzipWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	h := w.Header()
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	// Partial content (Range) is never compressed: Content-Range counts the
	// identity bytes.
	if status != http.StatusNoContent && status != http.StatusNotModified && status != http.StatusPartialContent &&
		h.Get("Content-Encoding") == "" && h.Get("Content-Range") == "" && w.g.types[ct] {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && n >= largeBody {
			w.large = true
		}
		h.Del("Content-Length")
		w.pool = &w.g.pool
		if w.large {
			w.pool = &w.g.fast
		}
		zw := w.pool.Get().(*gzip.Writer)
		zw.Reset(w.ResponseWriter)
		w.zw = zw
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.zw != nil {
		return w.zw.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets streaming handlers push compressed data.
func (w *gzipWriter) Flush() {
	if w.zw != nil {
		_ = w.zw.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController access to the underlying writer
// (backup lifts the write deadline through it).
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) close() {
	if w.zw != nil {
		_ = w.zw.Close()
		w.zw.Reset(io.Discard)
		w.pool.Put(w.zw)
		w.zw = nil
	}
}
