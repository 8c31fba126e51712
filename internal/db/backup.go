package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// Backup writes a consistent snapshot of the database file src to the new
// file dst (VACUUM INTO: compact, no WAL, safe while the ingestor writes).
// The server may call it: it opens its own short-lived read-only connection
// (query_only, which the server's pool sets, would refuse VACUUM INTO even
// though it writes only dst). dst must not exist.
func Backup(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("backup to %s: %w", dst, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup %s: %w", src, err)
	}
	db, err := sql.Open("sqlite", dsn(src, []string{"busy_timeout(5000)"}, url.Values{"mode": {"ro"}}))
	if err != nil {
		return fmt.Errorf("backup %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("backup %s to %s: %w", src, dst, err)
	}
	return nil
}
