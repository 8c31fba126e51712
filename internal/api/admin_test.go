package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
	pb "github.com/corescope/corescope/proto"
)

const adminKey = "a-very-strong-key-0123"

var keyHdr = map[string]string{"X-API-Key": adminKey}

// writeBatch writes b into a new database at path (created and migrated).
func writeBatch(t *testing.T, path string, b db.Batch) {
	t.Helper()
	ctx := context.Background()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.WriteBatch(ctx, b)
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("write batch: %v %+v", err, res.Rejected)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// adminServer is a keyed server whose config points at dbPath.
func adminServer(t *testing.T, dbPath string, mod func(*config.Config)) string {
	t.Helper()
	cfg := testConfig(func(c *config.Config) {
		c.APIKey, c.DBPath = adminKey, dbPath
		if mod != nil {
			mod(c)
		}
	})
	s, ts := newServer(t, cfg, nil, nil)
	t.Cleanup(func() { s.Close() })
	return ts.URL
}

func TestDroppedPacketsMatchInsertedRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var b db.Batch
	for i := 0; i < 620; i++ {
		d := db.Dropped{Hash: fmt.Sprintf("%016x", i), Reason: "bad_signature", ObserverID: fmt.Sprintf("OBS%d", i%3),
			ObserverName: fmt.Sprintf("obs %d", i%3), At: base.Add(time.Duration(i) * time.Second)}
		if i%5 == 0 {
			d.NodePubkey, d.NodeName, d.RawHex = fmt.Sprintf("%064x", i%4), "node", "AABB"
		}
		b.Dropped = append(b.Dropped, d)
	}
	writeBatch(t, path, b)
	url := adminServer(t, path, nil)

	type row struct {
		ID         int64   `json:"id"`
		Hash       string  `json:"hash"`
		Reason     string  `json:"reason"`
		ObserverID string  `json:"observer_id"`
		NodePubkey *string `json:"node_pubkey"`
		DroppedAt  string  `json:"dropped_at"`
		RawHex     *string `json:"raw_hex"`
	}
	// want is the naive answer: the inserted rows, newest first, filtered.
	want := func(observer, pubkey string, limit int) []string {
		var out []string
		for i := len(b.Dropped) - 1; i >= 0 && len(out) < limit; i-- {
			d := b.Dropped[i]
			if (observer == "" || d.ObserverID == observer) && (pubkey == "" || d.NodePubkey == pubkey) {
				out = append(out, d.Hash)
			}
		}
		return out
	}
	for _, c := range []struct {
		query, observer, pubkey string
		limit                   int
	}{
		{"", "", "", 100},
		{"?limit=7", "", "", 7},
		{"?limit=100000", "", "", 500},
		{"?observer=OBS1&limit=500", "OBS1", "", 500},
		{"?pubkey=" + fmt.Sprintf("%064x", 2), "", fmt.Sprintf("%064x", 2), 100},
		{"?observer=OBS2&pubkey=" + fmt.Sprintf("%064x", 0), "OBS2", fmt.Sprintf("%064x", 0), 100},
		{"?observer=nobody", "nobody", "", 100},
	} {
		code, _, body := fetch(t, "GET", url+"/api/dropped-packets"+c.query, "", keyHdr)
		var got []row
		if code != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("%s: %d %s", c.query, code, trunc(body))
		}
		if err := strict.Unmarshal(adapt(t, body, items), &pb.DroppedPacketList{}); err != nil {
			t.Fatalf("%s: contract: %v", c.query, err)
		}
		w := want(c.observer, c.pubkey, c.limit)
		if len(got) != len(w) {
			t.Fatalf("%s: %d rows, want %d", c.query, len(got), len(w))
		}
		for i := range w {
			if got[i].Hash != w[i] || got[i].Reason != "bad_signature" {
				t.Fatalf("%s: row %d = %+v, want hash %s", c.query, i, got[i], w[i])
			}
		}
		if len(got) > 0 {
			i := int(got[0].ID - 1) // ids follow insertion order
			if at := base.Add(time.Duration(i) * time.Second).Format(db.TimeFormat); got[0].DroppedAt != at {
				t.Fatalf("%s: dropped_at %s, want %s", c.query, got[0].DroppedAt, at)
			}
			if (got[0].RawHex != nil) != (b.Dropped[i].RawHex != "") {
				t.Fatalf("%s: raw_hex %v for inserted %q", c.query, got[0].RawHex, b.Dropped[i].RawHex)
			}
		}
	}
	if code, _, _ := fetch(t, "GET", url+"/api/dropped-packets", "", nil); code != 401 {
		t.Fatalf("no key: %d, want 401", code)
	}
	if code, _, body := fetch(t, "GET", url+"/api/dropped-packets?limit=x", "", keyHdr); code != 400 || !strings.Contains(string(body), "limit") {
		t.Fatalf("limit=x: %d %s", code, body)
	}
}

// TestKeyedAnswersAreNeverCached: the response micro-cache must not hand a
// keyed GET's answer to a request without the key.
func TestKeyedAnswersAreNeverCached(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	writeBatch(t, path, db.Batch{Dropped: []db.Dropped{{Hash: "00", Reason: "secret-reason"}}})
	cfg := testConfig(func(c *config.Config) { c.APIKey, c.DBPath = adminKey, path })
	s, ts := newServer(t, cfg, runStore(t, path, nil), func(o *Options) { o.ResponseCacheTTL = time.Minute })
	t.Cleanup(func() { s.Close() })
	if code, _, body := fetch(t, "GET", ts.URL+"/api/dropped-packets", "", keyHdr); code != 200 || !strings.Contains(string(body), "secret-reason") {
		t.Fatalf("keyed: %d %s", code, body)
	}
	code, _, body := fetch(t, "GET", ts.URL+"/api/dropped-packets", "", nil)
	if code != 401 || strings.Contains(string(body), "secret-reason") {
		t.Fatalf("keyless after keyed: %d %s", code, body)
	}
}

func TestPerfSQLiteMatchesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	writeBatch(t, path, db.Batch{Dropped: []db.Dropped{{Hash: "00", Reason: "x"}}})
	// Keep a writer open with uncheckpointed pages so there is a WAL file.
	ctx := context.Background()
	w, err := db.OpenWriter(ctx, path, db.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteBatch(ctx, db.Batch{Dropped: []db.Dropped{{Hash: "01", Reason: "y"}}}); err != nil {
		t.Fatal(err)
	}
	url := adminServer(t, path, nil)
	var got struct {
		WalSizeMB float64 `json:"walSizeMB"`
		WalSize   int64   `json:"walSize"`
		PageCount int64   `json:"pageCount"`
		PageSize  int64   `json:"pageSize"`
		CacheSize int64   `json:"cacheSize"`
	}
	getJSON(t, url+"/api/perf/sqlite", 200, &got)
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	var pages, size int64
	if err := w.DB().QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := w.DB().QueryRow("PRAGMA page_size").Scan(&size); err != nil {
		t.Fatal(err)
	}
	if got.WalSize != fi.Size() || got.WalSizeMB != float64(fi.Size())/(1<<20) || got.PageCount != pages || got.PageSize != size || got.CacheSize == 0 {
		t.Fatalf("perf/sqlite %+v; file: wal %d bytes, %d pages of %d", got, fi.Size(), pages, size)
	}
}

// TestPruneGeoFilterRoundTripThroughTheIngestor: preview lists exactly the
// nodes outside the filter (naive check below), confirm queues them, the
// real ingestor deletes them and the status route reports it.
func TestPruneGeoFilterRoundTripThroughTheIngestor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	now := time.Now().UTC().Truncate(time.Second)
	f := func(v float64) *float64 { return &v }
	type pos struct{ lat, lon *float64 }
	nodes := map[string]pos{
		"inside":   {f(37.5), f(-122.0)},
		"north":    {f(45.0), f(-122.0)},
		"east":     {f(37.5), f(-100.0)},
		"nogps":    {nil, nil},
		"zero":     {f(0), f(0)},
		"south":    {f(10.0), f(-122.0)},
		"insideSW": {f(37.01), f(-122.99)},
	}
	var b db.Batch
	i := 0
	keyOf := map[string]string{}
	for name, p := range nodes {
		pk := fmt.Sprintf("%064x", 0xa0+i)
		i++
		keyOf[name] = pk
		b.Nodes = append(b.Nodes, db.NodeUpsert{PublicKey: pk, Name: name, Role: "repeater", Lat: p.lat, Lon: p.lon, Seen: now})
	}
	writeBatch(t, path, b)
	// The box 37..38 N, -123..-121 E as a polygon; naive check of "outside".
	poly := [][]float64{{37, -123}, {38, -123}, {38, -121}, {37, -121}}
	outside := map[string]bool{}
	for name, p := range nodes {
		if p.lat != nil && !(*p.lat == 0 && *p.lon == 0) && !(*p.lat >= 37 && *p.lat <= 38 && *p.lon >= -123 && *p.lon <= -121) {
			outside[keyOf[name]] = true
		}
	}
	url := adminServer(t, path, func(c *config.Config) { c.GeoFilter = &config.GeoFilter{Polygon: poly} })

	type answer struct {
		DryRun    bool   `json:"dryRun"`
		Accepted  bool   `json:"accepted"`
		RequestID string `json:"requestId"`
		Count     int    `json:"count"`
		Nodes     []struct {
			Pubkey string  `json:"pubkey"`
			Name   string  `json:"name"`
			Lat    float64 `json:"lat"`
		} `json:"nodes"`
		StatusURL string `json:"statusUrl"`
	}
	var prev answer
	code, _, body := fetch(t, "POST", url+"/api/admin/prune-geo-filter", "", keyHdr)
	if err := strict.Unmarshal(body, &pb.PruneGeoFilter{}); err != nil {
		t.Fatalf("preview contract: %v: %s", err, body)
	}
	if code != 200 || json.Unmarshal(body, &prev) != nil || !prev.DryRun || prev.Count != len(outside) || len(prev.Nodes) != len(outside) {
		t.Fatalf("preview: %d %s; want %d nodes outside", code, body, len(outside))
	}
	for j, n := range prev.Nodes {
		if !outside[n.Pubkey] {
			t.Fatalf("preview lists %s (%s), which is inside or has no position", n.Name, n.Pubkey)
		}
		if j > 0 && prev.Nodes[j-1].Name > n.Name {
			t.Fatalf("preview not ordered by name: %s before %s", prev.Nodes[j-1].Name, n.Name)
		}
	}
	if code, _, body := fetch(t, "POST", url+"/api/admin/prune-geo-filter?confirm=true", `{}`, keyHdr); code != 400 || !strings.Contains(string(body), "pubkeys") {
		t.Fatalf("confirm without pubkeys: %d %s", code, body)
	}
	// Confirm two of them plus one inside node (which must not be queued).
	sel := []string{prev.Nodes[0].Pubkey, prev.Nodes[1].Pubkey, keyOf["inside"]}
	reqBody, _ := json.Marshal(map[string][]string{"pubkeys": sel})
	var acc answer
	code, _, body = fetch(t, "POST", url+"/api/admin/prune-geo-filter?confirm=true", string(reqBody), keyHdr)
	if err := strict.Unmarshal(body, &pb.PruneGeoFilter{}); err != nil {
		t.Fatalf("confirm contract: %v: %s", err, body)
	}
	if code != 202 || json.Unmarshal(body, &acc) != nil || acc.DryRun || !acc.Accepted || acc.Count != 2 ||
		len(acc.RequestID) != 16 || acc.StatusURL != "/api/admin/prune-geo-filter/status?id="+acc.RequestID {
		t.Fatalf("confirm: %d %s", code, body)
	}
	var st struct {
		RequestID   string `json:"requestId"`
		Status      string `json:"status"`
		Deleted     int64  `json:"deleted"`
		CompletedAt string `json:"completedAt"`
	}
	getKeyed := func(u string, want int, v any) {
		t.Helper()
		code, _, body := fetch(t, "GET", url+u, "", keyHdr)
		if code != want || (v != nil && json.Unmarshal(body, v) != nil) {
			t.Fatalf("GET %s: %d %s, want %d", u, code, body, want)
		}
		if v != nil {
			if err := strict.Unmarshal(body, &pb.PruneStatus{}); err != nil {
				t.Fatalf("GET %s: contract: %v: %s", u, err, body)
			}
		}
	}
	getKeyed(acc.StatusURL, 200, &st)
	if st.Status != "pending" || st.RequestID != acc.RequestID {
		t.Fatalf("before the ingestor: %+v", st)
	}
	getKeyed("/api/admin/prune-geo-filter/status?id=abcdef", 404, nil)
	getKeyed("/api/admin/prune-geo-filter/status?id=../../etc", 400, nil)
	getKeyed("/api/admin/prune-geo-filter/status", 400, nil)

	// The real ingestor processes the queue once at startup.
	brk := mqtttest.Start(t)
	ing := ingesttest.Start(t, brk.URL, path)
	deadline := time.Now().Add(20 * time.Second)
	for st.Status == "pending" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		getKeyed(acc.StatusURL, 200, &st)
	}
	ing.Stop()
	if st.Status != "done" || st.Deleted != 2 || st.CompletedAt == "" {
		t.Fatalf("after the ingestor: %+v", st)
	}
	rdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for _, pk := range sel {
		var n int
		if err := rdb.QueryRow("SELECT COUNT(*) FROM nodes WHERE public_key = ?", pk).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 0, false: 1}[pk != keyOf["inside"]]; n != want {
			t.Fatalf("node %s: %d rows after the prune, want %d", pk, n, want)
		}
	}
}

func TestPruneWithoutGeoFilterIs400(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meshcore.db")
	writeBatch(t, path, db.Batch{})
	url := adminServer(t, path, nil)
	if code, _, body := fetch(t, "POST", url+"/api/admin/prune-geo-filter", "", keyHdr); code != 400 || !strings.Contains(string(body), "no geo_filter configured") {
		t.Fatalf("%d %s", code, body)
	}
}

// TestBackupIsConsistentWhileIngesting takes backups while a real ingestor
// commits a steady stream: the ingestor's commits keep flowing (no gap longer
// than a batch window or two), and every snapshot passes integrity_check and
// is internally consistent; once writing stops, a backup has exactly the
// source's row counts.
func TestBackupIsConsistentWhileIngesting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meshcore.db")
	sim := meshsim.New(meshsim.Options{Seed: 5, Nodes: 80, Observers: 5, Duration: 2 * time.Hour, End: time.Now().UTC().Truncate(time.Second)})
	var msgs []ingesttest.Message
	for _, m := range sim.Generate(4000) {
		msgs = append(msgs, ingesttest.Message{Topic: m.Topic, Payload: m.Payload})
	}
	brk := mqtttest.Start(t)
	ing := ingesttest.Start(t, brk.URL, path)
	ingesttest.Publish(t, brk.URL, msgs[:2000])
	ing.WaitAcked(t, 2000)
	url := adminServer(t, path, nil)

	// Publish the rest in small steps while sampling the commit counter.
	pubDone := make(chan error, 1)
	go func() {
		for i := 2000; i < len(msgs); i += 50 {
			if err := ingesttest.PublishErr(brk.URL, msgs[i:min(i+50, len(msgs))]); err != nil {
				pubDone <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		pubDone <- nil
	}()
	// A stall is time with messages received but not acknowledged and no
	// commit: the publisher pausing is not the ingestor stopping.
	var maxGap atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		last, lastAt := ing.Stats().GroupCommitFlushes, time.Now()
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
			st := ing.Stats()
			if st.GroupCommitFlushes != last || st.Received == st.Acked {
				last, lastAt = st.GroupCommitFlushes, time.Now()
				continue
			}
			if g := time.Since(lastAt); int64(g) > maxGap.Load() {
				maxGap.Store(int64(g))
			}
		}
	}()
	backups := 0
	for {
		snap := fetchBackup(t, url, filepath.Join(dir, fmt.Sprintf("b%d.db", backups)))
		checkSnapshot(t, snap)
		backups++
		select {
		case err := <-pubDone:
			if err != nil {
				t.Fatal(err)
			}
			pubDone = nil
		default:
		}
		if pubDone == nil {
			break
		}
	}
	ing.WaitAcked(t, uint64(len(msgs)))
	close(stopSampling)
	<-sampled
	if backups < 2 {
		t.Fatalf("only %d backups during ingest", backups)
	}
	// A lock conflict would show as SQLITE_BUSY: retried batches or write
	// errors after busy_timeout (5 s).
	if st := ing.Stats(); st.WriteErrors != 0 || st.BatchRetries != 0 {
		t.Fatalf("ingestor during backups: %d write errors, %d batch retries", st.WriteErrors, st.BatchRetries)
	}
	limit := 2 * time.Second
	if raceEnabled {
		limit = 15 * time.Second // CPU-bound slowness, not a lock: see above
	}
	if g := time.Duration(maxGap.Load()); g > limit {
		t.Fatalf("ingestor commits stalled %s with work pending during backups", g)
	}
	t.Logf("%d backups during ingest; longest stall with work pending %s", backups, time.Duration(maxGap.Load()))

	// Quiet source: the snapshot has exactly its counts.
	snap := fetchBackup(t, url, filepath.Join(dir, "final.db"))
	checkSnapshot(t, snap)
	for _, tbl := range []string{"transmissions", "observations", "nodes", "observers", "dropped_packets", "observer_metrics"} {
		if a, b := countRows(t, path, tbl), countRows(t, snap, tbl); a != b || (tbl == "transmissions" && a == 0) {
			t.Fatalf("%s: source %d rows, backup %d", tbl, a, b)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".backup-*")); len(entries) != 0 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

// fetchBackup downloads GET /api/backup into dst and checks its headers.
func fetchBackup(t *testing.T, url, dst string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/backup", nil)
	req.Header.Set("X-API-Key", adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="corescope-backup-`) {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("backup: %d %v %s", resp.StatusCode, resp.Header, trunc(b))
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != resp.ContentLength {
		t.Fatalf("backup body: %d of %d bytes: %v", n, resp.ContentLength, err)
	}
	return dst
}

// checkSnapshot: integrity_check ok, and no observation points at a
// transmission or observer the snapshot lacks (a torn copy would).
func checkSnapshot(t *testing.T, path string) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var res string
	if err := d.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("%s: integrity_check %q %v", path, res, err)
	}
	var orphans int
	if err := d.QueryRow(`SELECT COUNT(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM transmissions t WHERE t.id = o.transmission_id)
		OR (o.observer_idx IS NOT NULL AND NOT EXISTS (SELECT 1 FROM observers b WHERE b.idx = o.observer_idx))`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%s: %d orphan observations (%v)", path, orphans, err)
	}
}

func countRows(t *testing.T, path, table string) int64 {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int64
	if err := d.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s in %s: %v", table, path, err)
	}
	return n
}
