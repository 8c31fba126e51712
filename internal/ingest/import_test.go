package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
)

// TestImportKeepsEachRecordsTime: `ingestor import` stores 24 h of meshsim
// history with each record's own time — first_seen of every transmission,
// the timestamp of every observation and the last_seen of every observer
// equal what a naive loop over the input computes — while bad lines are
// counted and reported with their line numbers, not fatal. Importing the
// same file again stores nothing new.
func TestImportKeepsEachRecordsTime(t *testing.T) {
	end := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	msgs := meshsim.New(meshsim.Options{Seed: 11, Nodes: 60, Observers: 4, End: end, Duration: 24 * time.Hour}).Generate(400)

	// The input, with bad lines among the records.
	var in bytes.Buffer
	badAt := map[int]string{}
	line := 0
	addBad := func(s, kind string) {
		line++
		in.WriteString(s + "\n")
		badAt[line] = kind
	}
	for i, m := range msgs {
		switch i {
		case 5:
			addBad(`{"topic":"meshcore/SEA/X/packets","payload":{"raw":"0A00"}}`, "no time")
		case 50:
			addBad(`not json at all`, "not a JSON object")
		case 100:
			addBad(`{"time":1773144000000,"topic":"meshcore/SEA/X/packets","payload":{"raw":"0A00"}}`, "time")
		case 150:
			addBad(`{"time":"2030-01-01T00:00:00Z","topic":"meshcore/SEA/X/packets","payload":{"raw":"0A00"}}`, "time in the future")
		case 200:
			line++
			in.WriteString("\n") // blank: skipped, not bad
		}
		if err := meshsim.WriteNDJSON(&in, m); err != nil {
			t.Fatal(err)
		}
		line++
	}
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	dbPath := filepath.Join(t.TempDir(), "meshcore.db")
	cfg := ingesttest.Config("tcp://127.0.0.1:1", dbPath) // no broker: import never connects
	clock := func() time.Time { return end.Add(time.Hour) }
	res := runImport(t, cfg, path, clock)
	if res.BadLines != 4 || res.Records != len(msgs) || res.Lines != line {
		t.Errorf("lines %d (want %d), records %d (want %d), bad %d (want 4)", res.Lines, line, res.Records, len(msgs), res.BadLines)
	}
	for i, b := range res.FirstBad {
		var n int
		if _, err := fmt.Sscanf(b, "line %d:", &n); err != nil || badAt[n] == "" || !strings.Contains(b, badAt[n]) {
			t.Errorf("bad line report %d %q does not name a bad line and its problem (%v)", i, b, badAt)
		}
	}

	// Independent expectation: a loop over the generated messages.
	firstSeen := map[string]time.Time{}
	obsTime := map[string]int64{} // hash|observer|path → unix seconds of the first such observation
	lastSeen := map[string]time.Time{}
	for _, m := range msgs {
		at := m.Time.UTC().Truncate(time.Second)
		if at.After(lastSeen[m.ObserverID]) {
			lastSeen[m.ObserverID] = at
		}
		if m.Kind == meshsim.KindStatus {
			continue
		}
		if _, ok := firstSeen[m.Hash]; !ok {
			firstSeen[m.Hash] = at
		}
		k := m.Hash + "|" + m.ObserverID + "|" + strings.Join(m.Hops, ",")
		if _, ok := obsTime[k]; !ok {
			obsTime[k] = at.Unix()
		}
	}
	d := openRO(t, dbPath)
	rows, err := d.Query("SELECT hash, first_seen FROM transmissions")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var h, fs string
		if err := rows.Scan(&h, &fs); err != nil {
			t.Fatal(err)
		}
		n++
		if want, ok := firstSeen[h]; !ok || fs != db.FormatTime(want) {
			t.Errorf("transmission %s first_seen %s, want %s", h, fs, db.FormatTime(want))
		}
	}
	rows.Close()
	if n != len(firstSeen) || int(res.TxInserted) != n {
		t.Errorf("%d transmissions stored (result says %d), want %d", n, res.TxInserted, len(firstSeen))
	}
	var first, last string
	if err := d.QueryRow("SELECT min(first_seen), max(first_seen) FROM transmissions").Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if f, _ := time.Parse(time.RFC3339, first); end.Sub(f) < 23*time.Hour {
		t.Errorf("history spans %s … %s, want about 24 h", first, last)
	}
	rows, err = d.Query(`SELECT t.hash, ob.id, o.path_json, o.timestamp FROM observations o
		JOIN transmissions t ON t.id = o.transmission_id JOIN observers ob ON ob.idx = o.observer_idx`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var h, id, pj string
		var ts int64
		if err := rows.Scan(&h, &id, &pj, &ts); err != nil {
			t.Fatal(err)
		}
		n++
		var hops []string
		if err := json.Unmarshal([]byte(pj), &hops); err != nil {
			t.Fatalf("path_json %q: %v", pj, err)
		}
		if want, ok := obsTime[h+"|"+id+"|"+strings.Join(hops, ",")]; !ok || ts != want {
			t.Errorf("observation %s by %s at %d, want %d", h, id[:8], ts, want)
		}
	}
	rows.Close()
	if n != len(obsTime) {
		t.Errorf("%d observations with an observer, want %d", n, len(obsTime))
	}
	for id, want := range lastSeen {
		var got string
		if err := d.QueryRow("SELECT last_seen FROM observers WHERE id = ?", id).Scan(&got); err != nil || got != db.FormatTime(want) {
			t.Errorf("observer %s last_seen %q (%v), want %s", id[:8], got, err, db.FormatTime(want))
		}
	}

	// Again: de-duplicated, nothing new.
	again := runImport(t, cfg, path, clock)
	if again.TxInserted != 0 || again.ObsInserted != 0 || again.Records != len(msgs) {
		t.Errorf("second import stored %d transmissions, %d observations; want 0 and 0", again.TxInserted, again.ObsInserted)
	}
}

func runImport(t *testing.T, cfg *config.Config, path string, now func() time.Time) ingest.ImportResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Import(context.Background(), cfg, f, ingest.ImportOptions{Now: now})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}
