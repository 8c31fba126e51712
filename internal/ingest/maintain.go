package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// Maintenance intervals (INGEST §12). Retention runs hourly: db.Prune is
// batched and idempotent, so covering the hourly node job and the daily
// others with one hourly pass costs a few index lookups.
const (
	retentionEvery    = time.Hour
	checkpointEvery   = time.Minute
	neighborsEvery    = time.Minute
	pruneRequestEvery = 15 * time.Second
)

// maintenanceLoop runs the periodic database jobs that belong to the
// ingestor: retention, WAL checkpoints, the neighbor-edge builder and the
// server's node-prune requests. Each job runs on its own goroutine; the
// db.Writer serialises them with the ingest batches in short holds.
func (ing *Ingestor) maintenanceLoop(ctx context.Context) {
	if ing.cfg.DB.VacuumOnStartup {
		if did, err := ing.writer.Vacuum(ctx); err != nil {
			ing.log.Error("startup vacuum failed", "err", err)
		} else if did {
			ing.log.Info("startup vacuum done (auto_vacuum is now incremental)")
		}
	}
	var wg sync.WaitGroup
	run := func(every time.Duration, job func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job(ctx) // once at startup, then on the ticker
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					job(ctx)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); ing.writer.RunCheckpointer(ctx, checkpointEvery) }()
	run(retentionEvery, ing.prune)
	run(neighborsEvery, ing.buildNeighbors)
	run(pruneRequestEvery, ing.processPruneRequests)
	wg.Wait()
}

func (ing *Ingestor) retention() db.Retention {
	r := ing.cfg.Retention
	return db.Retention{
		PacketDays:       r.PacketDays,
		NodeDays:         r.NodeDays,
		ObserverDays:     r.ObserverDays,
		MetricsDays:      r.MetricsDays,
		NeighborEdgeDays: ing.cfg.NeighborEdgesMaxAgeDays,
		VacuumPages:      ing.cfg.DB.IncrementalVacuumPages,
	}
}

func (ing *Ingestor) prune(ctx context.Context) {
	start := time.Now()
	res, err := ing.writer.Prune(ctx, ing.retention(), ing.now())
	if err != nil {
		if ctx.Err() == nil {
			ing.log.Error("retention failed", "err", err)
		}
		return
	}
	if res.Total() > 0 {
		ing.log.Info("retention", "transmissions", res.Transmissions, "observations", res.Observations,
			"nodes_moved", res.NodesMoved, "observers_inactivated", res.ObserversInactivated,
			"metrics", res.Metrics, "dropped", res.Dropped, "neighbor_edges", res.NeighborEdges,
			"took", time.Since(start).Round(time.Millisecond))
	}
}

func (ing *Ingestor) buildNeighbors(ctx context.Context) {
	start := time.Now()
	if _, err := ing.writer.BuildNeighborEdges(ctx, 0, 0); err != nil && ctx.Err() == nil {
		ing.log.Warn("neighbor edge build failed", "err", err)
		return
	}
	if d := time.Since(start); d > 5*time.Second {
		ing.log.Warn("neighbor edge build slow", "took", d.Round(time.Millisecond))
	}
}

// pruneRequest is a node deletion the read-only server asks for (STORAGE §8).
type pruneRequest struct {
	ID          string   `json:"id"`
	RequestedAt string   `json:"requestedAt"`
	Reason      string   `json:"reason,omitempty"`
	Pubkeys     []string `json:"pubkeys"`
}

type pruneResult struct {
	ID          string `json:"id"`
	RequestedAt string `json:"requestedAt"`
	CompletedAt string `json:"completedAt"`
	Deleted     int64  `json:"deleted"`
	Error       string `json:"error,omitempty"`
}

var pruneFileRE = regexp.MustCompile(`^request-([0-9a-fA-F]{1,64})\.json$`)

// processPruneRequests executes <dataDir>/prune-requests/request-<id>.json
// files: delete the nodes, write result-<id>.json atomically, remove the
// request.
func (ing *Ingestor) processPruneRequests(ctx context.Context) {
	dir := filepath.Join(filepath.Dir(ing.cfg.DBPath), "prune-requests")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			ing.log.Warn("prune requests not readable", "dir", dir, "err", err)
		}
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		m := pruneFileRE.FindStringSubmatch(e.Name())
		if m == nil || ctx.Err() != nil {
			continue
		}
		path := filepath.Join(dir, e.Name())
		res := pruneResult{ID: m[1]}
		b, err := os.ReadFile(path)
		var req pruneRequest
		if err == nil {
			err = json.Unmarshal(b, &req)
		}
		if err == nil {
			res.RequestedAt = req.RequestedAt
			keys := make([]string, 0, len(req.Pubkeys))
			for _, k := range req.Pubkeys {
				if k = strings.TrimSpace(k); k != "" {
					keys = append(keys, k)
				}
			}
			res.Deleted, err = ing.writer.DeleteNodes(ctx, keys)
		}
		if err != nil {
			res.Error = fmt.Sprintf("prune request: %v", err)
		}
		res.CompletedAt = time.Now().UTC().Format(time.RFC3339)
		out, _ := json.MarshalIndent(res, "", " ")
		if werr := writeFileAtomic(filepath.Join(dir, "result-"+m[1]+".json"), out); werr != nil {
			ing.log.Error("prune result not written", "id", m[1], "err", werr)
			continue
		}
		_ = os.Remove(path)
		ing.log.Info("prune request done", "id", m[1], "deleted", res.Deleted, "err", res.Error)
	}
}
