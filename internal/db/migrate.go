package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// migration is one named, one-shot schema step. Every step runs in its own
// transaction and is recorded by name in _migrations, the mechanism of the
// original CoreScope, so a database it wrote opens and migrates forward in
// place. Steps are written to be safe on any legacy shape (they probe before
// altering), never drop data, and never run twice.
type migration struct {
	name string
	run  func(ctx context.Context, tx *sql.Tx, log *slog.Logger) error
}

// migrations is the ordered list. Append only: never rename, reorder or edit
// a shipped step (a database records what ran by name).
var migrations = []migration{
	{"corescope_base_v1", migrateBase},
	{"observers_explicit_idx_v1", migrateObserverIdx},
	{"rfc3339_times_v1", migrateTimes},
	{"nodes_lowercase_pubkey_v1", migrateLowercasePubkeys},
}

// legacyMigrations are names the original CoreScope (13bdee57) records. They
// are known, so CheckSchema does not mistake them for a newer schema; our
// corescope_base_v1 covers everything they did.
var legacyMigrations = []string{
	"advert_count_unique_v1", "noise_floor_real_v1", "node_telemetry_v1",
	"obs_timestamp_index_v1", "obs_observer_ts_idx_v1", "observer_metrics_v1",
	"observer_metrics_ts_idx", "observers_inactive_v1", "observer_metrics_packets_v1",
	"channel_hash_v1", "dropped_packets_v1", "observers_last_packet_at_v1",
	"observers_clock_naive_v1", "cleanup_legacy_null_hash_ts", "foreign_advert_v1",
	"from_pubkey_v1", "channel_hash_casing_v1", "scope_name_v1",
	"nodes_default_scope_v1", "observations_raw_hex_v1",
	"backfill_path_json_from_raw_hex_v1", "backfill_default_scope_v1",
}

// MigrationNames returns the names of this binary's migrations in order.
func MigrationNames() []string {
	out := make([]string, len(migrations))
	for i, m := range migrations {
		out[i] = m.name
	}
	return out
}

// SchemaVersion is the number of migrations this binary knows; the
// schema_version table records it for humans.
func SchemaVersion() int { return len(migrations) }

const bookkeepingSQL = `
CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
);`

// Migrate brings the database at db to this binary's schema: every pending
// migration in order, each in its own transaction, then the packets_v view.
// It refuses (ErrSchemaNewer) a database that a newer binary has migrated.
// Only the ingestor calls it.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := db.ExecContext(ctx, bookkeepingSQL); err != nil {
		return fmt.Errorf("migrate: create bookkeeping tables: %w", err)
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if unknown := unknownMigrations(applied); len(unknown) > 0 {
		return fmt.Errorf("migrate: %w: database has migrations this binary does not know: %s",
			ErrSchemaNewer, strings.Join(unknown, ", "))
	}
	for i, m := range migrations {
		if applied[m.name] {
			continue
		}
		start := time.Now()
		if err := runMigration(ctx, db, i+1, m, log); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		log.Info("migration applied", "migration", m.name, "version", i+1, "took", time.Since(start).Round(time.Millisecond))
	}
	// The view is rebuilt on every start (as the original does) so it always
	// matches the current tables.
	if _, err := db.ExecContext(ctx, "DROP VIEW IF EXISTS packets_v; "+packetsView); err != nil {
		return fmt.Errorf("migrate: create view packets_v: %w", err)
	}
	return nil
}

func runMigration(ctx context.Context, db *sql.DB, version int, m migration, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// Re-check inside the transaction: with one writer this cannot race, but
	// it keeps the step honest if two ingestors are started by mistake.
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM _migrations WHERE name = ?", m.name).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check: %w", err)
	}
	if err := m.run(ctx, tx, log); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO _migrations (name) VALUES (?)", m.name); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT OR REPLACE INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
		version, m.name, FormatTime(time.Now())); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func appliedMigrations(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM _migrations")
	if err != nil {
		return nil, fmt.Errorf("read _migrations: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read _migrations: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

func unknownMigrations(applied map[string]bool) []string {
	known := map[string]bool{}
	for _, m := range migrations {
		known[m.name] = true
	}
	for _, n := range legacyMigrations {
		known[n] = true
	}
	var out []string
	for n := range applied {
		if !known[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// tableColumns returns the column names of table, or nil if it does not exist.
func tableColumns(ctx context.Context, q querier, name string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", name)
	if err != nil {
		return nil, fmt.Errorf("table_info %s: %w", name, err)
	}
	defer rows.Close()
	var cols map[string]bool
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("table_info %s: %w", name, err)
		}
		if cols == nil {
			cols = map[string]bool{}
		}
		cols[c] = true
	}
	return cols, rows.Err()
}

func indexExists(ctx context.Context, tx *sql.Tx, name string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("probe index %s: %w", name, err)
	}
	return n > 0, nil
}

// migrateBase creates every table, adds every column a legacy database lacks
// (like the original's dbschema.Apply), removes exact duplicate observations
// that would block the unique dedup index, and creates every index.
func migrateBase(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
	for _, t := range tables {
		cols, err := tableColumns(ctx, tx, t.name)
		if err != nil {
			return err
		}
		if cols == nil {
			if _, err := tx.ExecContext(ctx, t.createSQL()); err != nil {
				return fmt.Errorf("create %s: %w", t.name, err)
			}
			continue
		}
		for _, c := range t.columns {
			if cols[c.name] || !addable(c.decl) {
				continue // observers.idx is added by observers_explicit_idx_v1
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+t.name+" ADD COLUMN "+c.name+" "+c.decl); err != nil {
				return fmt.Errorf("add column %s.%s: %w", t.name, c.name, err)
			}
			log.Info("column added", "table", t.name, "column", c.name)
		}
	}
	has, err := indexExists(ctx, tx, "idx_observations_dedup")
	if err != nil {
		return err
	}
	if !has {
		// The original created this index long ago; databases from before it
		// may hold exact duplicates (same transmission, observer and path).
		// Keep the first of each, which is what the index would have kept.
		res, err := tx.ExecContext(ctx, `DELETE FROM observations
WHERE observer_idx IS NOT NULL AND id NOT IN (
    SELECT min(id) FROM observations GROUP BY transmission_id, observer_idx, COALESCE(path_json, ''))`)
		if err != nil {
			return fmt.Errorf("remove duplicate observations: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			log.Warn("duplicate observations removed before creating the dedup index", "rows", n)
		}
	}
	return createIndexes(ctx, tx)
}

func addable(decl string) bool {
	d := strings.ToUpper(decl)
	return !strings.Contains(d, "PRIMARY KEY") && !strings.Contains(d, "UNIQUE")
}

func createIndexes(ctx context.Context, tx *sql.Tx) error {
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("%s: %w", ix, err)
		}
	}
	return nil
}

// migrateObserverIdx rebuilds a legacy observers table (TEXT primary key,
// implicit rowid) into the canonical one with idx INTEGER PRIMARY KEY, copying
// rowid → idx so every observations.observer_idx keeps pointing at the same
// observer. The implicit rowid of the old table could be renumbered by VACUUM.
func migrateObserverIdx(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
	cols, err := tableColumns(ctx, tx, "observers")
	if err != nil {
		return err
	}
	if cols["idx"] {
		return nil // created fresh in canonical form
	}
	var t table
	for _, tb := range tables {
		if tb.name == "observers" {
			t = tb
		}
	}
	t.name = "observers_new"
	names := make([]string, 0, len(t.columns))
	src := make([]string, 0, len(t.columns))
	for _, c := range t.columns {
		names = append(names, c.name)
		if c.name == "idx" {
			src = append(src, "rowid")
		} else {
			src = append(src, c.name)
		}
	}
	stmts := []string{
		"DROP VIEW IF EXISTS packets_v",
		t.createSQL(),
		"INSERT INTO observers_new (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(src, ", ") + " FROM observers",
		"DROP TABLE observers",
		"ALTER TABLE observers_new RENAME TO observers",
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("rebuild observers: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM observers").Scan(&n); err != nil {
		return fmt.Errorf("rebuild observers: %w", err)
	}
	log.Info("observers rebuilt with explicit idx", "rows", n)
	return createIndexes(ctx, tx)
}

// timeColumns are the TEXT time columns; rfc3339_times_v1 rewrites legacy
// values (space-separated SQLite datetime, milliseconds, numeric offsets) to
// TimeFormat so that string comparison in SQL is correct.
var timeColumns = []struct{ table, column string }{
	{"transmissions", "first_seen"}, {"transmissions", "created_at"},
	{"nodes", "last_seen"}, {"nodes", "first_seen"},
	{"inactive_nodes", "last_seen"}, {"inactive_nodes", "first_seen"},
	{"observers", "last_seen"}, {"observers", "first_seen"},
	{"observers", "last_packet_at"}, {"observers", "clock_last_naive_at"},
	{"observer_metrics", "timestamp"}, {"neighbor_edges", "last_seen"},
	{"dropped_packets", "dropped_at"},
}

func migrateTimes(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
	for _, tc := range timeColumns {
		// Values SQLite cannot parse (strftime → NULL) are left as they are.
		// OR IGNORE: observer_metrics has timestamp in its primary key; two
		// legacy spellings of one bucket keep the first.
		q := fmt.Sprintf(`UPDATE OR IGNORE %[1]s SET %[2]s = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %[2]s)
WHERE %[2]s IS NOT NULL AND strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %[2]s) IS NOT NULL
  AND %[2]s <> strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %[2]s)`, tc.table, tc.column)
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return fmt.Errorf("normalise %s.%s: %w", tc.table, tc.column, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			log.Info("time values normalised to RFC 3339", "table", tc.table, "column", tc.column, "rows", n)
		}
	}
	return nil
}

// migrateLowercasePubkeys lowercases legacy node keys (#1483). The original
// ran this on every boot; our writer only writes lowercase, so once is enough.
// OR IGNORE leaves a mixed-case row alone when its lowercase twin exists.
func migrateLowercasePubkeys(ctx context.Context, tx *sql.Tx, _ *slog.Logger) error {
	for _, q := range []string{
		"UPDATE OR IGNORE nodes SET public_key = lower(public_key) WHERE public_key <> lower(public_key)",
		"UPDATE OR IGNORE inactive_nodes SET public_key = lower(public_key) WHERE public_key <> lower(public_key)",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lowercase pubkeys: %w", err)
		}
	}
	return nil
}
