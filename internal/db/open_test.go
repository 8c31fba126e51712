package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriterPragmasTakeEffect(t *testing.T) {
	w := mustOpen(t, nil)
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"auto_vacuum", "2"}, // INCREMENTAL, because the file is new
		{"synchronous", "2"}, // FULL
		{"query_only", "0"},
	} {
		if got := queryString(t, w.DB(), "PRAGMA "+tc.pragma); got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	if got := w.DB().Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer max open connections = %d, want 1", got)
	}
}

func TestReaderIsReadOnlyWithBusyTimeout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "meshcore.db")
	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct{ pragma, want string }{
		{"query_only", "1"},
		{"busy_timeout", "5000"},
		{"journal_mode", "wal"},
	} {
		if got := queryString(t, r, "PRAGMA "+tc.pragma); got != tc.want {
			t.Errorf("reader PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	if _, err := r.Exec("INSERT INTO observers (id) VALUES ('x')"); err == nil {
		t.Error("reader accepted a write")
	}
	if err := CheckSchema(ctx, r); err != nil {
		t.Errorf("CheckSchema on reader: %v", err)
	}
	// The reader keeps working after the writer shut down cleanly (its
	// TRUNCATE checkpoint leaves no WAL content behind).
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatalf("OpenReader after writer closed: %v", err)
	}
	defer r2.Close()
	if n := queryInt(t, r2, "SELECT count(*) FROM transmissions"); n != 0 {
		t.Errorf("transmissions = %d, want 0", n)
	}
}

func TestOpenReaderMissingFile(t *testing.T) {
	_, err := OpenReader(context.Background(), filepath.Join(t.TempDir(), "nope.db"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("err = %v, want a not-exist error", err)
	}
	if !strings.Contains(err.Error(), "nope.db") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my data #1?x", "mesh core.db")
	w, err := OpenWriter(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	w.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the exact path: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
