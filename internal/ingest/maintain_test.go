package ingest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

func advertMsgs(t *testing.T) ([]ingesttest.Message, map[string]bool) {
	t.Helper()
	var msgs []ingesttest.Message
	keys := map[string]bool{}
	for _, v := range loadVectors(t) {
		if v.validAdvert() {
			msgs = append(msgs, packetMsg("SEA", strings.Repeat("4B", 32), "m", v.Hex, "1", "-1"))
			keys[v.Expect.Decoded.PubKey] = true
		}
	}
	return msgs, keys
}

// TestStartupRetentionMovesStaleNodes: nodes last heard more than
// retention.nodeDays ago move to inactive_nodes when the ingestor starts.
func TestStartupRetentionMovesStaleNodes(t *testing.T) {
	b := mqtttest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	msgs, keys := advertMsgs(t)
	tenDaysAgo := func() time.Time { return time.Now().AddDate(0, 0, -10) }
	old := ingesttest.StartWith(t, ingesttest.Config(b.URL, dbPath), ingest.Options{Now: tenDaysAgo})
	ingesttest.Publish(t, b.URL, msgs)
	old.WaitAcked(t, uint64(len(msgs)))
	old.Stop()
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM nodes"); got != len(keys) {
		t.Fatalf("nodes before retention = %d, want %d", got, len(keys))
	}

	ingesttest.Start(t, b.URL, dbPath) // default retention.nodeDays = 7
	d := openRO(t, dbPath)
	waitUntil(t, "stale nodes moved", func() bool {
		var n int
		return d.QueryRow("SELECT COUNT(*) FROM inactive_nodes").Scan(&n) == nil && n == len(keys)
	})
	if got := count(t, d, "SELECT COUNT(*) FROM nodes"); got != 0 {
		t.Errorf("nodes after retention = %d, want 0", got)
	}
}

// TestPruneRequestDeletesNodes: the server's prune request file is executed
// and answered with a result file.
func TestPruneRequestDeletesNodes(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "meshcore.db")
	msgs, keys := advertMsgs(t)
	ingesttest.Fill(t, dbPath, msgs)
	var victim string
	for k := range keys {
		victim = k
		break
	}
	reqDir := filepath.Join(dir, "prune-requests")
	if err := os.MkdirAll(reqDir, 0o755); err != nil {
		t.Fatal(err)
	}
	req := `{"id":"00ab","requestedAt":"2026-01-01T00:00:00Z","reason":"geo","pubkeys":["` + strings.ToUpper(victim) + `"]}`
	if err := os.WriteFile(filepath.Join(reqDir, "request-00ab.json"), []byte(req), 0o644); err != nil {
		t.Fatal(err)
	}
	ingesttest.Start(t, b.URL, dbPath)
	var res struct {
		ID          string `json:"id"`
		CompletedAt string `json:"completedAt"`
		Deleted     int    `json:"deleted"`
		Error       string `json:"error"`
	}
	waitUntil(t, "prune result", func() bool {
		raw, err := os.ReadFile(filepath.Join(reqDir, "result-00ab.json"))
		return err == nil && json.Unmarshal(raw, &res) == nil
	})
	if res.ID != "00ab" || res.Deleted != 1 || res.Error != "" || res.CompletedAt == "" {
		t.Errorf("result = %+v, want 1 node deleted", res)
	}
	if _, err := os.Stat(filepath.Join(reqDir, "request-00ab.json")); !os.IsNotExist(err) {
		t.Errorf("request file still there: %v", err)
	}
	if got := count(t, openRO(t, dbPath), "SELECT COUNT(*) FROM nodes WHERE public_key = ?", victim); got != 0 {
		t.Errorf("victim node still present")
	}
}
