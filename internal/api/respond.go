package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/corescope/corescope/internal/store"
)

// errBadRequest marks errors that are the client's fault (400). Build them
// with badRequest; the message is shown to the client verbatim.
type errBadRequest struct{ msg string }

func (e *errBadRequest) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &errBadRequest{msg: fmt.Sprintf(format, args...)}
}

// errStatus is a client-visible error with an explicit status (401/403/404…).
type errStatus struct {
	status int
	msg    string
}

func (e *errStatus) Error() string { return e.msg }

func statusError(status int, msg string) error { return &errStatus{status: status, msg: msg} }

// errNotReady answers 503 with Retry-After while the store is not there yet.
var errNotReady = statusError(http.StatusServiceUnavailable, "store loading, retry shortly")

// statusOf maps an error to its HTTP status and client message: the one
// place where error kinds become status codes (STYLE.md §6). Anything
// unknown is a 500 with a generic message; the detail is logged, not leaked.
func statusOf(err error) (int, string) {
	var br *errBadRequest
	var st *errStatus
	switch {
	case errors.As(err, &br):
		return http.StatusBadRequest, br.msg
	case errors.As(err, &st):
		return st.status, st.msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Not found"
	case errors.Is(err, store.ErrAmbiguous):
		return http.StatusConflict, "Ambiguous prefix: multiple nodes match. Use a longer prefix."
	default:
		return http.StatusInternalServerError, "internal error"
	}
}

// errorBody is the standard error response {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

// writeError writes err as JSON with the status statusOf picks.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	writeJSON(w, status, errorBody{Error: msg})
}

// writeJSON encodes v with a trailing newline (like the original's streaming
// encoder). Encoding happens before the header is written so an encoding
// failure still yields a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error"}`)
	}
	b = append(b, '\n')
	writeRaw(w, status, b)
}

// writeRaw writes pre-encoded JSON bytes.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshalLine encodes v with the trailing newline of writeJSON.
func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return append(b, '\n'), nil
}
