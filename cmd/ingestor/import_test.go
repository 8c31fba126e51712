package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestImportCommand: --help documents the format; a gzip file with two
// observations of one packet (different observers, 10 minutes apart) and a
// bad line is imported with the records' own times; the summary on stdout
// reports the bad line; missing arguments and files are errors.
func TestImportCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runImport(context.Background(), []string{"--help"}, noenv, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Usage: ingestor import", `"time"`, "RFC 3339", "Unix seconds", "-config"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("--help lacks %q:\n%s", w, out.String())
		}
	}

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "meshcore.db")
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"dbPath":"`+dbPath+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const raw = "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976"
	lines := `{"time":"2026-01-02T03:04:05Z","topic":"meshcore/SEA/AAAA/packets","payload":{"raw":"` + raw + `","SNR":5}}
{"time":1767323645,"topic":"meshcore/SEA/BBBB/packets","payload":"{\"raw\":\"` + raw + `\"}"}
{"topic":"meshcore/SEA/CCCC/packets","payload":{"raw":"` + raw + `"}}
`
	in := filepath.Join(dir, "capture.jsonl.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(lines))
	zw.Close()
	if err := os.WriteFile(in, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if err := runImport(context.Background(), []string{"-config", cfgPath, in}, noenv, &out, &errb); err != nil {
		t.Fatalf("import: %v\n%s", err, errb.String())
	}
	for _, w := range []string{"3 lines, 2 records: 2 stored (1 new transmissions, 2 new observations)", "1 bad lines", "line 3: no time"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	if !strings.Contains(errb.String(), "import done") {
		t.Errorf("no final progress log:\n%s", errb.String())
	}
	d, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var firstSeen string
	var minTS, maxTS int64
	if err := d.QueryRow(`SELECT t.first_seen, min(o.timestamp), max(o.timestamp) FROM transmissions t
		JOIN observations o ON o.transmission_id = t.id`).Scan(&firstSeen, &minTS, &maxTS); err != nil {
		t.Fatal(err)
	}
	// 2026-01-02T03:04:05Z = 1767323045; the second record is 600 s later.
	if firstSeen != "2026-01-02T03:04:05Z" || minTS != 1767323045 || maxTS != 1767323645 {
		t.Errorf("stored first_seen %s, observation times %d..%d; want the records' times", firstSeen, minTS, maxTS)
	}

	if err := runImport(context.Background(), []string{"-config", cfgPath}, noenv, &out, &errb); err == nil {
		t.Error("import without a file succeeded")
	}
	if err := runImport(context.Background(), []string{"-config", cfgPath, filepath.Join(dir, "missing.jsonl")}, noenv, &out, &errb); err == nil {
		t.Error("import of a missing file succeeded")
	}
}
