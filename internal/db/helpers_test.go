package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/fixtures"
)

// mustOpen opens a fresh migrated writer in t.TempDir with a fixed clock.
func mustOpen(t testing.TB, now func() time.Time) *Writer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meshcore.db")
	w, err := OpenWriter(context.Background(), path, Options{Now: now})
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// copyFixture copies the original CoreScope's database to a temp dir.
func copyFixture(t testing.TB) string {
	t.Helper()
	return fixtures.CopyFixtureDB(t, "fixture.db")
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func queryString(t testing.TB, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func fixedClock(s string) func() time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

func ptr[T any](v T) *T { return &v }
