package api

// Operator routes (API key, API.md §5.3) and GET /api/perf/sqlite (§5.2).
// They are the documented exceptions that read SQLite (through internal/db,
// on a connection of their own opened on first use) or write files in the
// data directory; nothing on a page's polling path comes here.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// adminDB is the server's own read-only connection for these routes (the
// store's is private to the store); opened on first use, retried on failure.
type adminDB struct {
	mu sync.Mutex
	db *sql.DB
}

var errDBUnavailable = statusError(http.StatusServiceUnavailable, "database unavailable")

func (s *Server) adminReader(ctx context.Context) (*sql.DB, error) {
	s.admin.mu.Lock()
	defer s.admin.mu.Unlock()
	if s.admin.db != nil {
		return s.admin.db, nil
	}
	if s.cfg.DBPath == "" {
		return nil, errDBUnavailable
	}
	rdb, err := db.OpenReader(ctx, s.cfg.DBPath)
	if err != nil {
		s.log.Warn("admin: database not readable", "path", s.cfg.DBPath, "err", err)
		return nil, errDBUnavailable
	}
	rdb.SetMaxOpenConns(2)
	s.admin.db = rdb
	return rdb, nil
}

// Close releases the admin connection (tests; the process exits otherwise).
func (s *Server) Close() error {
	s.admin.mu.Lock()
	defer s.admin.mu.Unlock()
	if s.admin.db == nil {
		return nil
	}
	err := s.admin.db.Close()
	s.admin.db = nil
	return err
}

// ---- GET /api/dropped-packets ----------------------------------------------

const (
	droppedDefault = 100
	droppedMax     = 500
)

// droppedPacket is one row of GET /api/dropped-packets.
type droppedPacket struct {
	ID           int64   `json:"id"`
	Hash         *string `json:"hash"`
	Reason       string  `json:"reason"`
	ObserverID   *string `json:"observer_id"`
	ObserverName *string `json:"observer_name"`
	NodePubkey   *string `json:"node_pubkey"`
	NodeName     *string `json:"node_name"`
	DroppedAt    *string `json:"dropped_at"`
	RawHex       *string `json:"raw_hex,omitempty"`
}

func (s *Server) droppedPackets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q, droppedDefault, droppedMax)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rdb, err := s.adminReader(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows, err := db.ReadDropped(r.Context(), rdb, q.Get("observer"), q.Get("pubkey"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]droppedPacket, len(rows))
	for i, d := range rows {
		out[i] = droppedPacket{
			ID: d.ID, Hash: nullable(d.Hash), Reason: d.Reason, ObserverID: nullable(d.ObserverID),
			ObserverName: nullable(d.ObserverName), NodePubkey: nullable(d.NodePubkey),
			NodeName: nullable(d.NodeName), DroppedAt: nullable(d.DroppedAt), RawHex: nullable(d.RawHex),
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func nullable(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

// ---- GET /api/perf/sqlite ----------------------------------------------------

type perfSQLite struct {
	WalSizeMB     float64 `json:"walSizeMB"`
	WalSize       int64   `json:"walSize"`
	PageCount     int64   `json:"pageCount"`
	PageSize      int64   `json:"pageSize"`
	CacheSize     int64   `json:"cacheSize"`
	CacheHitRate  float64 `json:"cacheHitRate"`
	DBSizeMB      float64 `json:"dbSizeMB"`
	FreelistCount int64   `json:"freelistCount"`
}

func (s *Server) perfSQLite(w http.ResponseWriter, r *http.Request) {
	rdb, err := s.adminReader(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fst, err := db.ReadFileStats(r.Context(), rdb, s.cfg.DBPath)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := perfSQLite{
		WalSizeMB: float64(fst.WALBytes) / (1 << 20), WalSize: fst.WALBytes,
		PageCount: fst.PageCount, PageSize: fst.PageSize, CacheSize: fst.CacheSize,
		DBSizeMB:      round1(float64(fst.PageCount*fst.PageSize) / (1 << 20)),
		FreelistCount: fst.FreelistCount,
	}
	if hits, misses := s.observers.counters(); hits+misses > 0 {
		out.CacheHitRate = round3(float64(hits) / float64(hits+misses))
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- GET /api/backup -----------------------------------------------------------

// backup streams a consistent snapshot of the database (VACUUM INTO a temp
// file next to the database, then the file). VACUUM INTO is one read
// transaction: in WAL mode it never blocks the ingestor's commits. The
// write deadline is lifted so a large file is never cut off.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	if s.cfg.DBPath == "" {
		s.writeError(w, r, errDBUnavailable)
		return
	}
	if _, err := os.Stat(s.cfg.DBPath); err != nil {
		s.writeError(w, r, errDBUnavailable)
		return
	}
	dir, err := os.MkdirTemp(filepath.Dir(s.cfg.DBPath), ".backup-")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("backup temp dir: %w", err))
		return
	}
	defer os.RemoveAll(dir)
	snap := filepath.Join(dir, "snapshot.db")
	start := s.now()
	if err := db.Backup(r.Context(), s.cfg.DBPath, snap); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := os.Open(snap)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("open snapshot: %w", err))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.writeError(w, r, fmt.Errorf("stat snapshot: %w", err))
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="corescope-backup-%d.db"`, start.Unix()))
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	n, err := io.Copy(w, f)
	s.log.Info("backup served", "bytes", n, "took", s.now().Sub(start).Round(time.Millisecond), "err", err)
}

// ---- POST /api/admin/prune-geo-filter (+ GET .../status) -----------------------

type pruneNode struct {
	Pubkey string  `json:"pubkey"`
	Name   *string `json:"name"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
}

type pruneAnswer struct {
	DryRun    bool        `json:"dryRun"`
	Accepted  *bool       `json:"accepted,omitempty"`
	RequestID string      `json:"requestId,omitempty"`
	Count     int         `json:"count"`
	Nodes     []pruneNode `json:"nodes"`
	StatusURL string      `json:"statusUrl,omitempty"`
}

// pruneRequestFile is what the ingestor reads from prune-requests/
// (STORAGE.md §8; internal/ingest/maintain.go).
type pruneRequestFile struct {
	ID          string   `json:"id"`
	RequestedAt string   `json:"requestedAt"`
	Reason      string   `json:"reason,omitempty"`
	Pubkeys     []string `json:"pubkeys"`
}

// pruneResultFile is what the ingestor writes back.
type pruneResultFile struct {
	ID          string `json:"id"`
	RequestedAt string `json:"requestedAt"`
	CompletedAt string `json:"completedAt"`
	Deleted     int64  `json:"deleted"`
	Error       string `json:"error,omitempty"`
}

func (s *Server) pruneDir() string {
	return filepath.Join(filepath.Dir(s.cfg.DBPath), "prune-requests")
}

// pruneGeoFilter previews (no ?confirm=true) or enqueues the deletion of the
// nodes whose position lies outside the current geo filter. Nodes without a
// position (or at 0,0) are always kept.
func (s *Server) pruneGeoFilter(w http.ResponseWriter, r *http.Request) {
	confirm, err := boolParam(r.URL.Query(), "confirm")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Pubkeys []string `json:"pubkeys"`
	}
	if confirm {
		if err := decodeBody(r, maxJSONBodyBytes, &body); err != nil || len(body.Pubkeys) == 0 {
			s.writeError(w, r, badRequest("confirm requires pubkeys from preview in request body"))
			return
		}
	}
	inside := s.geoFilter.Load().Contains()
	if inside == nil {
		s.writeError(w, r, badRequest("no geo_filter configured"))
		return
	}
	rdb, err := s.adminReader(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := db.ReadNodePositions(r.Context(), rdb)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	want := make(map[string]bool, len(body.Pubkeys))
	for _, k := range body.Pubkeys {
		want[k] = true
	}
	out := pruneAnswer{DryRun: !confirm, Nodes: []pruneNode{}}
	var keys []string
	for _, n := range all {
		if inside(n.Lat, n.Lon) || (confirm && !want[n.PublicKey]) {
			continue
		}
		out.Nodes = append(out.Nodes, pruneNode{Pubkey: n.PublicKey, Name: nullable(n.Name), Lat: n.Lat, Lon: n.Lon})
		keys = append(keys, n.PublicKey)
	}
	out.Count = len(out.Nodes)
	if !confirm {
		writeJSON(w, http.StatusOK, out)
		return
	}
	id, err := s.enqueuePrune(keys)
	if err != nil {
		s.log.Error("prune request not written", "dir", s.pruneDir(), "err", err)
		s.writeError(w, r, statusError(http.StatusInternalServerError, "failed to enqueue prune request"))
		return
	}
	accepted := true
	out.Accepted, out.RequestID = &accepted, id
	out.StatusURL = "/api/admin/prune-geo-filter/status?id=" + id
	s.log.Info("prune request queued", "id", id, "nodes", len(keys))
	writeJSON(w, http.StatusAccepted, out)
}

// enqueuePrune writes prune-requests/request-<id>.json atomically (the
// ingestor polls the directory every 15 s) and returns the id.
func (s *Server) enqueuePrune(pubkeys []string) (string, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("request id: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	req := pruneRequestFile{ID: id, RequestedAt: s.now().UTC().Format(time.RFC3339), Reason: "geo-filter", Pubkeys: pubkeys}
	if req.Pubkeys == nil {
		req.Pubkeys = []string{}
	}
	b, err := json.MarshalIndent(req, "", " ")
	if err != nil {
		return "", fmt.Errorf("encode prune request: %w", err)
	}
	dir := s.pruneDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "request-"+id+".json"), b); err != nil {
		return "", err
	}
	return id, nil
}

var pruneIDRE = regexp.MustCompile(`^[0-9a-fA-F]{1,64}$`)

type pruneStatus struct {
	RequestID   string  `json:"requestId"`
	Status      string  `json:"status"`
	Deleted     *int64  `json:"deleted,omitempty"`
	RequestedAt *string `json:"requestedAt,omitempty"`
	CompletedAt *string `json:"completedAt,omitempty"`
	Error       *string `json:"error,omitempty"`
}

func (s *Server) pruneStatus(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	switch {
	case id == "":
		s.writeError(w, r, badRequest("missing id"))
		return
	case !pruneIDRE.MatchString(id):
		s.writeError(w, r, badRequest("invalid id"))
		return
	}
	dir := s.pruneDir()
	b, err := os.ReadFile(filepath.Join(dir, "result-"+id+".json"))
	if err == nil {
		var res pruneResultFile
		if err := json.Unmarshal(b, &res); err != nil {
			s.writeError(w, r, fmt.Errorf("prune result %s: %w", id, err))
			return
		}
		st := pruneStatus{RequestID: id, Status: "done", Deleted: &res.Deleted,
			RequestedAt: &res.RequestedAt, CompletedAt: &res.CompletedAt, Error: &res.Error}
		if res.Error != "" {
			st.Status = "error"
		}
		writeJSON(w, http.StatusOK, st)
		return
	}
	if !errors.Is(err, fs.ErrNotExist) {
		s.writeError(w, r, fmt.Errorf("prune status %s: %w", id, err))
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "request-"+id+".json")); err == nil {
		writeJSON(w, http.StatusOK, pruneStatus{RequestID: id, Status: "pending"})
		return
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.writeError(w, r, fmt.Errorf("prune status %s: %w", id, err))
		return
	}
	s.writeError(w, r, statusError(http.StatusNotFound, "unknown request id"))
}

// writeFileAtomic writes b to path through a temp file in the same directory
// and a rename, so a reader (the ingestor polling a queue, a config reload)
// never sees a partial file. The temp name starts with a dot: it matches no
// reader's pattern.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create temp file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write temp file for %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temp file for %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// The /api/spec summaries and key flags of these routes (kept here, next to
// the handlers, rather than in spec.go's shared table).
func init() {
	for k, v := range map[string]string{
		"GET /api/perf/sqlite":                   "SQLite file figures: pages, WAL size, cache",
		"POST /api/admin/prune-geo-filter":       "Preview, or queue for the ingestor, deleting nodes outside the geo filter",
		"GET /api/admin/prune-geo-filter/status": "State of a queued geo-prune request",
		"GET /api/dropped-packets":               "Packets the ingestor rejected (newest first)",
		"GET /api/backup":                        "Consistent SQLite snapshot of the database (download)",
	} {
		routeDocs[k] = v
	}
	for _, k := range []string{"POST /api/admin/prune-geo-filter", "GET /api/admin/prune-geo-filter/status",
		"GET /api/dropped-packets", "GET /api/backup"} {
		keyRoutes[k] = true
	}
}
