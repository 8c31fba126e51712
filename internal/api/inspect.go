package api

// POST /api/paths/inspect and GET /api/audio-lab/buckets (API.md §5.9,
// §5.10): computed by internal/inspect from a store snapshot, once per data
// generation (concurrent requests of one generation share the build).

import (
	"encoding/hex"
	"errors"
	"net/http"
	"sync"

	"github.com/corescope/corescope/internal/inspect"
	"github.com/corescope/corescope/internal/store"
)

// genMemo holds one value per store generation. get builds it under the
// memo's own lock, so concurrent callers of a generation wait for one build
// (the store's locks are never held).
type genMemo[T any] struct {
	mu  sync.Mutex
	gen uint64
	ok  bool
	v   T
}

func (m *genMemo[T]) get(gen uint64, build func() T) T {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ok || m.gen != gen {
		m.v, m.gen, m.ok = build(), gen, true
	}
	return m.v
}

type inspectMemos struct {
	audio genMemo[[]byte] // encoded answer
	graph genMemo[edgeView]
}

// edgeView is a snapshot with its neighbour-edge index, shared by every
// path/affinity request of one generation.
type edgeView struct {
	sn *store.Snapshot
	g  *inspect.Graph
}

func (s *Server) audioLabBuckets(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b := s.inspect.audio.get(st.Generation(), func() []byte {
		b, err := marshalLine(inspect.AudioLab(st.Snapshot()))
		if err != nil {
			s.log.Error("audio lab", "err", err)
		}
		return b
	})
	if b == nil {
		s.writeError(w, r, errors.New("audio lab: encode failed"))
		return
	}
	writeRaw(w, http.StatusOK, b)
}

// Path inspector limits (API.md §5.9).
const (
	inspectMaxBody     = 4096
	inspectMaxPrefixes = 64
	inspectDefLimit    = 10
	inspectMaxLimit    = 50
)

type inspectRequest struct {
	Prefixes []string `json:"prefixes"`
	// Context (observerId, since, until) only keyed the original's cache;
	// it is accepted and has no effect.
	Context *struct {
		ObserverID string `json:"observerId"`
		Since      string `json:"since"`
		Until      string `json:"until"`
	} `json:"context"`
	Limit int `json:"limit"`
}

func (s *Server) pathsInspect(w http.ResponseWriter, r *http.Request) {
	var req inspectRequest
	if err := decodeBody(r, inspectMaxBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	prefixes, err := inspectPrefixes(req.Prefixes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit := req.Limit
	if limit <= 0 {
		limit = inspectDefLimit
	}
	limit = min(limit, inspectMaxLimit)
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := s.edgeView(st)
	writeJSON(w, http.StatusOK, inspect.Inspect(v.sn, v.g, prefixes, limit, s.now()))
}

// edgeView is the current generation's snapshot and edge index.
func (s *Server) edgeView(st Store) edgeView {
	return s.inspect.graph.get(st.Generation(), func() edgeView {
		sn := st.Snapshot()
		g := inspect.NewGraph(sn)
		g.Built = s.now()
		return edgeView{sn: sn, g: g}
	})
}

// debugAffinity serves GET /api/debug/affinity (API key).
func (s *Server) debugAffinity(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := inspect.AffinityFilter{Prefix: q.Get("prefix"), Node: q.Get("node")}
	if f.Prefix != "" {
		if _, err := hex.DecodeString(f.Prefix); err != nil || len(f.Prefix) > 6 {
			s.writeError(w, r, badRequest("prefix must be 1-3 bytes of hex"))
			return
		}
	}
	v := s.edgeView(st)
	writeJSON(w, http.StatusOK, inspect.DebugAffinity(v.sn, v.g, f, v.g.Built, s.now()))
}

// inspectPrefixes validates and lower-cases the hop prefixes: 1–64 of them,
// each 1–3 bytes of hex, all the same length.
func inspectPrefixes(in []string) ([]string, error) {
	switch {
	case len(in) == 0:
		return nil, badRequest("prefixes required")
	case len(in) > inspectMaxPrefixes:
		return nil, badRequest("too many prefixes (max %d)", inspectMaxPrefixes)
	}
	out := make([]string, len(in))
	for i, p := range in {
		p = inspect.NormalizePrefix(p)
		switch {
		case p == "" || len(p)%2 != 0:
			return nil, badRequest("prefixes must be even-length hex")
		case len(p) > 6:
			return nil, badRequest("prefix exceeds 3 bytes")
		}
		if _, err := hex.DecodeString(p); err != nil {
			return nil, badRequest("prefixes must be valid hex")
		}
		if i > 0 && len(p) != len(out[0]) {
			return nil, badRequest("mixed prefix lengths not allowed")
		}
		out[i] = p
	}
	return out, nil
}

// The /api/spec summaries of these routes.
func init() {
	routeDocs["POST /api/paths/inspect"] = "Which repeater chains can a list of hop prefixes stand for (beam search)"
	routeDocs["GET /api/audio-lab/buckets"] = "Sample packets per payload type for the audio lab"
	routeDocs["GET /api/debug/affinity"] = "Neighbour edges and how each hop prefix resolves on their evidence"
	keyRoutes["GET /api/debug/affinity"] = true
}
