package api

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/store"
)

// Packet endpoint limits (documented in API.md).
const (
	maxPacketLimit   = store.MaxPacketLimit
	maxBatchHashes   = 200
	maxJSONBodyBytes = 64 << 10
	// maxAPIBodyBytes bounds every /api request body (the largest route
	// limit: the geo-filter PUT); each route checks its own limit too.
	maxAPIBodyBytes = 1 << 20
)

// packetQuery parses the filters of GET /api/packets (API.md §5.4).
func packetQuery(r *http.Request) (store.PacketQuery, error) {
	q := r.URL.Query()
	var pq store.PacketQuery
	var err error
	if pq.Limit, err = limitParam(q, store.DefaultPacketLimit, maxPacketLimit); err != nil {
		return pq, err
	}
	if pq.Offset, err = offsetParam(q); err != nil {
		return pq, err
	}
	before, err := intParam(q, "before", 0)
	if err != nil {
		return pq, err
	}
	pq.BeforeID = int64(before)
	pq.Asc = q.Get("order") == "asc"
	if pq.Types, err = intListParam(q, "type"); err != nil {
		return pq, err
	}
	if pq.Routes, err = intListParam(q, "route"); err != nil {
		return pq, err
	}
	pq.Observers = listParam(q, "observer")
	pq.Regions = regionParam(q)
	pq.Hash = strings.ToLower(strings.TrimSpace(q.Get("hash")))
	pq.Node = strings.TrimSpace(q.Get("node"))
	pq.Channel = strings.TrimSpace(q.Get("channel"))
	since, err := timeParam(q, "since")
	if err != nil {
		return pq, err
	}
	until, err := timeParam(q, "until")
	if err != nil {
		return pq, err
	}
	pq.Since, pq.Until = since, until
	switch e := q.Get("expand"); e {
	case "", "none":
	case "observations":
		pq.Expand = true
	default:
		return pq, badRequest("expand must be observations, got %q", e)
	}
	pq.Nodes = listParam(q, "nodes")
	return pq, nil
}

// listPackets serves GET /api/packets: the plain list, the grouped list
// (groupByHash=true) and the multi-node list (nodes=…).
func (s *Server) listPackets(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pq, err := packetQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if key, f := s.areaParam(r.URL.Query()); f != nil {
		pq.AreaKey, pq.AreaContains = key, f
	}
	grouped, err := boolParam(r.URL.Query(), "groupByHash")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if isHeavy(pq.Limit, pq.Expand) {
		if !s.acquireHeavy(r) {
			return
		}
		defer s.releaseHeavy()
		hintLarge(w)
	}
	if grouped && len(pq.Nodes) == 0 {
		writeJSON(w, http.StatusOK, st.GroupedPackets(pq))
		return
	}
	var extra []byte
	var page store.PacketViewPage
	if len(pq.Nodes) > 0 {
		// Multi-node mode: only the paging and time bounds of the query apply.
		page = st.NodePacketViews(pq.Nodes, pq)
		extra = append(extra, `,"limit":`...)
		extra = appendInt(extra, int64(pq.Limit))
		extra = append(extra, `,"offset":`...)
		extra = appendInt(extra, int64(pq.Offset))
	} else {
		page = st.PacketViews(pq)
	}
	if page.NextBefore > 0 {
		extra = append(extra, `,"nextBefore":`...)
		extra = appendInt(extra, page.NextBefore)
	}
	streamPackets(w, page.Packets, page.Total, extra)
}

// packetTimestamps serves GET /api/packets/timestamps?since=: first_seen of
// every in-memory transmission after since, ascending ([] when none).
func (s *Server) packetTimestamps(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	raw := strings.TrimSpace(r.URL.Query().Get("since"))
	if raw == "" {
		s.writeError(w, r, badRequest("since required"))
		return
	}
	since, err := parseTime("since", raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st.Timestamps(since))
}

// packetDetailBody is GET /api/packets/{id}: the store's detail plus the
// codec's byte breakdown of the transmission, and of every observation whose
// raw bytes differ (its path differs), so the UI never re-derives layouts.
type packetDetailBody struct {
	store.PacketDetail
	Observations []detailObs   `json:"observations,omitempty"`
	Breakdown    breakdownJSON `json:"breakdown"`
}

type detailObs struct {
	store.ObsJSON
	Breakdown *breakdownJSON `json:"breakdown,omitempty"`
}

// detailBody attaches the breakdowns, decoding each distinct raw once.
func detailBody(d store.PacketDetail) packetDetailBody {
	out := packetDetailBody{PacketDetail: d, Breakdown: breakdownOf(d.Raw)}
	txHex := strings.ToUpper(hex.EncodeToString(d.Raw))
	seen := map[string]*breakdownJSON{}
	out.Observations = make([]detailObs, len(d.Observations))
	for i, o := range d.Observations {
		out.Observations[i].ObsJSON = o
		raw := strings.ToUpper(o.RawHex)
		if raw == "" || raw == txHex {
			continue
		}
		bd, ok := seen[raw]
		if !ok {
			b, err := hex.DecodeString(raw)
			if err == nil {
				v := breakdownOf(b)
				bd = &v
			} else {
				bd = &breakdownJSON{Fields: []meshcore.Field{}, Error: "raw_hex is not hex"}
			}
			seen[raw] = bd
		}
		out.Observations[i].Breakdown = bd
	}
	return out
}

// packetDetail serves GET /api/packets/{id}: by 16-hex hash, else numeric
// transmission id, else observation id.
func (s *Server) packetDetail(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := strings.TrimSpace(mux.Vars(r)["id"])
	if !isHash(id) {
		if _, convErr := strconv.ParseInt(id, 10, 64); convErr != nil {
			s.writeError(w, r, badRequest("packet id must be a 16-hex-char hash or a numeric id, got %q", id))
			return
		}
	}
	d, err := st.Packet(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, detailBody(d))
}

// breakdownJSON is the byte map of a packet (API.md §5.4 [improve]): the
// codec's fields, or an error when the bytes do not decode.
type breakdownJSON struct {
	Fields []meshcore.Field `json:"fields"`
	Error  string           `json:"error,omitempty"`
}

func breakdownOf(raw []byte) breakdownJSON {
	out := breakdownJSON{Fields: []meshcore.Field{}}
	fields, err := meshcore.Breakdown(raw)
	if fields != nil {
		out.Fields = fields
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// batchObservations serves POST /api/packets/observations {"hashes": [...]}.
func (s *Server) batchObservations(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Hashes []string `json:"hashes"`
	}
	if err := decodeBody(r, maxJSONBodyBytes, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Hashes) > maxBatchHashes {
		s.writeError(w, r, badRequest("too many hashes (max %d)", maxBatchHashes))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Results map[string][]store.ObsJSON `json:"results"`
	}{Results: st.ObservationsByHash(body.Hashes)})
}

// decodeBody reads a JSON body of at most limit bytes into v; errors are 400
// (`invalid JSON body`) or 413. A declared Content-Length over the limit is
// refused before reading a byte: the server then never sends 100 Continue,
// so a client using Expect gets the 413 instead of pushing megabytes into a
// connection that is about to be closed (which ended in a reset).
func decodeBody(r *http.Request, limit int64, v any) error {
	if r.ContentLength > limit {
		return errBodyTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errBodyTooLarge
		}
		return badRequest("invalid JSON body")
	}
	if int64(len(body)) > limit {
		return errBodyTooLarge
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("invalid JSON body")
	}
	return nil
}

var errBodyTooLarge = statusError(http.StatusRequestEntityTooLarge, "request body too large")

// traces serves GET /api/traces/{hash}: every observation of the hash,
// oldest first ([] for an unknown hash).
func (s *Server) traces(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Traces []store.Trace `json:"traces"`
	}{Traces: st.Traces(mux.Vars(r)["hash"])})
}
