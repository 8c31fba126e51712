package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ErrSchemaBehind means the database lacks a table or a migration this binary
// needs: the ingestor has not migrated it yet. The server waits and retries.
var ErrSchemaBehind = errors.New("database schema is behind this binary (start the ingestor to migrate it)")

// ErrSchemaNewer means the database records a migration this binary does not
// know: it was migrated by a newer CoreScope. Refuse to run.
var ErrSchemaNewer = errors.New("database schema is newer than this binary (upgrade CoreScope)")

// CheckSchema verifies, read-only, that the database at db has every table and
// migration this binary knows and none it does not. It returns nil, an error
// wrapping ErrSchemaBehind or ErrSchemaNewer that names what is missing or
// unknown, or another error if the database cannot be read.
func CheckSchema(ctx context.Context, db *sql.DB) error {
	var missingTables []string
	for _, t := range append([]table{{name: "_migrations"}}, tables...) {
		cols, err := tableColumns(ctx, db, t.name)
		if err != nil {
			return fmt.Errorf("check schema: %w", err)
		}
		if cols == nil {
			missingTables = append(missingTables, t.name)
			continue
		}
		for _, c := range t.columns {
			if !cols[c.name] {
				missingTables = append(missingTables, t.name+"."+c.name)
			}
		}
	}
	if len(missingTables) > 0 && contains(missingTables, "_migrations") {
		return fmt.Errorf("%w: missing %s", ErrSchemaBehind, strings.Join(missingTables, ", "))
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if unknown := unknownMigrations(applied); len(unknown) > 0 {
		return fmt.Errorf("%w: unknown migrations %s", ErrSchemaNewer, strings.Join(unknown, ", "))
	}
	var missing []string
	for _, m := range migrations {
		if !applied[m.name] {
			missing = append(missing, "migration "+m.name)
		}
	}
	missing = append(missing, missingTables...)
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrSchemaBehind, strings.Join(missing, ", "))
	}
	return nil
}

// WaitForSchema polls CheckSchema every interval until it passes, the schema
// is newer (returned at once), maxWait has passed (the last ErrSchemaBehind is
// returned), or ctx ends. Each failed attempt is logged with the reason, so an
// operator sees why the server is not serving data yet.
func WaitForSchema(ctx context.Context, db *sql.DB, interval, maxWait time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deadline := time.Now().Add(maxWait)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := CheckSchema(ctx, db)
		if err == nil || errors.Is(err, ErrSchemaNewer) {
			return err
		}
		if time.Now().After(deadline) {
			return err
		}
		log.Warn("waiting for the ingestor to migrate the database", "reason", err.Error(), "retry_in", interval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for schema: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
