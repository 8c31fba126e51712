package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/corescope/corescope/internal/procio"
)

// ioRates are the /proc/self/io rates of a process, rounded for display.
type ioRates = procio.Rates

func roundRates(r ioRates) ioRates {
	return ioRates{
		ReadBytesPerSec:           round1(r.ReadBytesPerSec),
		WriteBytesPerSec:          round1(r.WriteBytesPerSec),
		CancelledWriteBytesPerSec: round1(r.CancelledWriteBytesPerSec),
		SyscallsRead:              round1(r.SyscallsRead),
		SyscallsWrite:             round1(r.SyscallsWrite),
	}
}

// ingestorFile is the part of the ingestor's stats file the perf page shows
// (keys as the ingestor writes them).
type ingestorFile struct {
	SampledAt          string            `json:"sampledAt"`
	TxInserted         uint64            `json:"tx_inserted"`
	TxDupes            uint64            `json:"tx_dupes"`
	ObsInserted        uint64            `json:"obs_inserted"`
	NodeUpserts        uint64            `json:"node_upserts"`
	ObserverUpserts    uint64            `json:"observer_upserts"`
	WriteErrors        uint64            `json:"write_errors"`
	SigDrops           uint64            `json:"sig_drops"`
	WALCommits         uint64            `json:"walCommits"`
	GroupCommitFlushes uint64            `json:"groupCommitFlushes"`
	BackfillUpdates    map[string]uint64 `json:"backfillUpdates"`
	ProcIO             *ioRates          `json:"procIO"`
}

// readIngestorFile returns the parsed stats file when it is fresh (≤ 5 s).
func (s *Server) readIngestorFile(now time.Time) (ingestorFile, bool) {
	st := s.ingestorStatus(now)
	var f ingestorFile
	if !st.Available || json.Unmarshal(st.Stats, &f) != nil {
		return f, false
	}
	return f, true
}

// perfIO serves GET /api/perf/io: the server's I/O rates and, when its
// stats file is fresh, the ingestor's.
func (s *Server) perfIO(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	type ingestorIO struct {
		ioRates
		SampledAt string `json:"sampledAt"`
	}
	out := struct {
		ioRates
		Ingestor *ingestorIO `json:"ingestor,omitempty"`
	}{ioRates: roundRates(s.io.Sample(now))}
	if f, ok := s.readIngestorFile(now); ok && f.ProcIO != nil {
		out.Ingestor = &ingestorIO{ioRates: roundRates(*f.ProcIO), SampledAt: f.SampledAt}
	}
	writeJSON(w, http.StatusOK, out)
}

// perfWriteSources serves GET /api/perf/write-sources: the ingestor's write
// counters ({"sources": {}, "sampleAt": ""} without a fresh stats file).
func (s *Server) perfWriteSources(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Sources  map[string]uint64 `json:"sources"`
		SampleAt string            `json:"sampleAt"`
	}{Sources: map[string]uint64{}}
	if f, ok := s.readIngestorFile(s.now()); ok {
		out.SampleAt = f.SampledAt
		for k, v := range map[string]uint64{
			"tx_inserted": f.TxInserted, "tx_dupes": f.TxDupes, "obs_inserted": f.ObsInserted,
			"node_upserts": f.NodeUpserts, "observer_upserts": f.ObserverUpserts, "write_errors": f.WriteErrors,
			"sig_drops": f.SigDrops, "walCommits": f.WALCommits, "groupCommitFlushes": f.GroupCommitFlushes,
		} {
			out.Sources[k] = v
		}
		for name, v := range f.BackfillUpdates {
			out.Sources["backfill_"+name] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}
