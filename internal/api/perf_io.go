package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// ioRates are /proc/self/io deltas per second (zeros off Linux).
type ioRates struct {
	ReadBytesPerSec           float64 `json:"readBytesPerSec"`
	WriteBytesPerSec          float64 `json:"writeBytesPerSec"`
	CancelledWriteBytesPerSec float64 `json:"cancelledWriteBytesPerSec"`
	SyscallsRead              float64 `json:"syscallsRead"`
	SyscallsWrite             float64 `json:"syscallsWrite"`
}

// ioSampler turns the server's /proc/self/io counters into rates since the
// previous call (by any client), as the original did.
type ioSampler struct {
	mu   sync.Mutex
	last [5]float64
	at   time.Time
}

var procIOKeys = [5]string{"read_bytes", "write_bytes", "cancelled_write_bytes", "syscr", "syscw"}

func (p *ioSampler) sample(now time.Time) ioRates {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return ioRates{}
	}
	var cur [5]float64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if !ok {
			continue
		}
		for i, key := range procIOKeys {
			if string(k) == key {
				cur[i], _ = strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out ioRates
	if dt := now.Sub(p.at).Seconds(); !p.at.IsZero() && dt > 0 {
		rate := func(i int) float64 { return round1(max(0, (cur[i]-p.last[i])/dt)) }
		out = ioRates{rate(0), rate(1), rate(2), rate(3), rate(4)}
	}
	p.last, p.at = cur, now
	return out
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
	}{ioRates: s.io.sample(now)}
	if f, ok := s.readIngestorFile(now); ok && f.ProcIO != nil {
		out.Ingestor = &ingestorIO{ioRates: *f.ProcIO, SampledAt: f.SampledAt}
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
