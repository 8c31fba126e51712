package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// writerPragmas are applied by the driver to every new connection, in order.
// modernc.org/sqlite only honours the _pragma=name(value) form (the original's
// _busy_timeout/_journal_mode keys were silently ignored). auto_vacuum must
// come before anything writes to a new file; on an existing file it is a no-op
// (changing it needs a full VACUUM, see (*Writer).Vacuum).
var writerPragmas = []string{
	"busy_timeout(5000)",
	"auto_vacuum(INCREMENTAL)",
	"journal_mode(WAL)",
	"foreign_keys(ON)",
	// FULL (SQLite's default, stated for clarity): the ingestor acknowledges
	// MQTT messages after commit, so a commit must survive a power cut. With
	// group commit this is one fsync per batch, not per packet.
	"synchronous(FULL)",
}

var readerPragmas = []string{
	"busy_timeout(5000)",
	"query_only(1)",
}

// dsn builds a modernc file URI with the given pragmas and extra parameters.
func dsn(path string, pragmas []string, extra url.Values) string {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	q["_pragma"] = pragmas
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// Open opens the database at path as the single writer: one connection
// (every write serialises on it), WAL, busy_timeout 5 s, foreign keys on,
// incremental auto-vacuum on new files. It creates the parent directory. It
// does not migrate; OpenWriter does.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open %s: create directory: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite", dsn(path, writerPragmas, nil))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("open %s: journal_mode is %q, want wal (is the file on a filesystem without shared memory?)", path, mode)
	}
	return db, nil
}

// OpenReader opens the database at path read-only for the server:
// mode=ro plus query_only (any write fails instead of contending with the
// ingestor), busy_timeout 5 s, a few connections for concurrent reads. It
// does not check the schema; call CheckSchema or WaitForSchema.
func OpenReader(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open reader %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, readerPragmas, url.Values{"mode": {"ro"}}))
	if err != nil {
		return nil, fmt.Errorf("open reader %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open reader %s: %w", path, err)
	}
	return db, nil
}
