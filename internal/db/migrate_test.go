package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// schemaOf describes every table, index and view: PRAGMA table_info per
// table (order included) plus index definitions, so two databases can be
// compared exactly.
func schemaOf(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	type obj struct{ typ, name, tbl string }
	var objs []obj
	for rows.Next() {
		var o obj
		if err := rows.Scan(&o.typ, &o.name, &o.tbl); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	rows.Close()
	out := map[string]string{}
	for _, o := range objs {
		switch o.typ {
		case "table", "view":
			var cols []string
			r, err := db.Query("SELECT cid, name, type, \"notnull\", COALESCE(dflt_value, 'NULL'), pk FROM pragma_table_info(?)", o.name)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var cid, notnull, pk int
				var name, typ, dflt string
				if err := r.Scan(&cid, &name, &typ, &notnull, &dflt, &pk); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, fmt.Sprintf("%d %s %s notnull=%d default=%s pk=%d", cid, name, typ, notnull, dflt, pk))
			}
			r.Close()
			out[o.typ+" "+o.name] = strings.Join(cols, "\n")
		case "index":
			var cols []string
			r, err := db.Query("SELECT seqno, COALESCE(name, '<expr>') FROM pragma_index_info(?)", o.name)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var seq int
				var name string
				if err := r.Scan(&seq, &name); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, name)
			}
			r.Close()
			var unique int
			var partial int
			if err := db.QueryRow("SELECT \"unique\", partial FROM pragma_index_list(?) WHERE name = ?", o.tbl, o.name).Scan(&unique, &partial); err != nil {
				t.Fatalf("index_list %s: %v", o.name, err)
			}
			out["index "+o.name] = fmt.Sprintf("on %s(%s) unique=%d partial=%d", o.tbl, strings.Join(cols, ","), unique, partial)
		}
	}
	return out
}

func TestFreshAndMigratedFixtureHaveSameSchema(t *testing.T) {
	ctx := context.Background()
	fresh := mustOpen(t, nil)

	path := copyFixture(t)
	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrate fixture: %v", err)
	}
	defer w.Close()

	a, b := schemaOf(t, fresh.DB()), schemaOf(t, w.DB())
	delete(a, "table schema_version") // same shape, compared below through CheckSchema
	delete(b, "table schema_version")
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			t.Errorf("%s differs:\nfresh:\n%s\nmigrated fixture:\n%s", k, a[k], b[k])
		}
	}
	for _, want := range []string{"index idx_observations_observer_idx_timestamp", "index idx_observations_dedup", "view packets_v"} {
		if _, ok := a[want]; !ok {
			t.Errorf("fresh schema lacks %s", want)
		}
	}
	if got := a["index idx_observations_dedup"]; !strings.Contains(got, "unique=1") {
		t.Errorf("idx_observations_dedup = %s, want unique", got)
	}
	for _, w := range []*Writer{fresh, w} {
		if err := CheckSchema(ctx, w.DB()); err != nil {
			t.Errorf("CheckSchema after migrate: %v", err)
		}
	}
}

func TestMigrateFixtureKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t)

	// Before: counts and observation → observer id mapping through the
	// implicit rowid the original used.
	before, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, tb := range []string{"transmissions", "observations", "observers", "nodes", "neighbor_edges"} {
		counts[tb] = queryInt(t, before, "SELECT count(*) FROM "+tb)
	}
	if counts["observations"] == 0 || counts["observers"] == 0 {
		t.Fatalf("fixture looks empty: %v", counts)
	}
	obsOwner := map[int64]string{}
	rows, err := before.Query("SELECT o.id, b.id FROM observations o JOIN observers b ON b.rowid = o.observer_idx")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var owner string
		if err := rows.Scan(&id, &owner); err != nil {
			t.Fatal(err)
		}
		obsOwner[id] = owner
	}
	rows.Close()
	// The fixture holds exact duplicate observations (same transmission,
	// observer and path, from before the original added its dedup index). The
	// unique index cannot be built over them; the migration keeps the first
	// of each, which is also the only one the original server ever showed.
	dups := queryInt(t, before, `SELECT COALESCE(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM observations
WHERE observer_idx IS NOT NULL GROUP BY transmission_id, observer_idx, COALESCE(path_json, ''))`)
	firstOfDup := map[int64]bool{}
	rows, err = before.Query(`SELECT id FROM observations WHERE observer_idx IS NOT NULL AND id NOT IN (
SELECT min(id) FROM observations GROUP BY transmission_id, observer_idx, COALESCE(path_json, ''))`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		firstOfDup[id] = true
	}
	rows.Close()
	if int64(len(firstOfDup)) != dups {
		t.Fatalf("duplicate bookkeeping: %d ids vs %d", len(firstOfDup), dups)
	}
	for id := range firstOfDup {
		delete(obsOwner, id)
	}
	counts["observations"] -= dups
	sample := queryString(t, before, "SELECT hash || '|' || decoded_json FROM transmissions WHERE id = 2")
	nodeSample := queryString(t, before, "SELECT public_key || '|' || name || '|' || advert_count FROM nodes ORDER BY public_key LIMIT 1")
	before.Close()

	for round := 1; round <= 2; round++ { // the second round proves idempotence
		w, err := OpenWriter(ctx, path, Options{})
		if err != nil {
			t.Fatalf("round %d: OpenWriter: %v", round, err)
		}
		db := w.DB()
		for tb, want := range counts {
			if got := queryInt(t, db, "SELECT count(*) FROM "+tb); got != want {
				t.Errorf("round %d: %s rows = %d, want %d", round, tb, got, want)
			}
		}
		after := map[int64]string{}
		rows, err := db.Query("SELECT o.id, b.id FROM observations o JOIN observers b ON b.idx = o.observer_idx")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var owner string
			if err := rows.Scan(&id, &owner); err != nil {
				t.Fatal(err)
			}
			after[id] = owner
		}
		rows.Close()
		if !reflect.DeepEqual(after, obsOwner) {
			t.Errorf("round %d: observation → observer mapping changed (%d vs %d entries)", round, len(after), len(obsOwner))
		}
		if got := queryString(t, db, "SELECT hash || '|' || decoded_json FROM transmissions WHERE id = 2"); got != sample {
			t.Errorf("round %d: transmission 2 = %q, want %q", round, got, sample)
		}
		if got := queryString(t, db, "SELECT public_key || '|' || name || '|' || advert_count FROM nodes ORDER BY public_key LIMIT 1"); got != nodeSample {
			t.Errorf("round %d: node sample = %q, want %q", round, got, nodeSample)
		}
		if got := queryInt(t, db, "SELECT count(*) FROM _migrations"); got != int64(len(migrations)) {
			t.Errorf("round %d: _migrations rows = %d, want %d", round, got, len(migrations))
		}
		if got := queryInt(t, db, "SELECT max(version) FROM schema_version"); got != int64(SchemaVersion()) {
			t.Errorf("round %d: schema_version = %d, want %d", round, got, SchemaVersion())
		}
		// RFC 3339 everywhere: legacy "2026-03-29 17:37:40" and millisecond values are rewritten.
		for _, q := range []string{
			"SELECT count(*) FROM transmissions WHERE created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'",
			"SELECT count(*) FROM observers WHERE first_seen NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'",
			"SELECT count(*) FROM nodes WHERE first_seen NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'",
		} {
			if n := queryInt(t, db, q); n != 0 {
				t.Errorf("round %d: %d rows not RFC 3339: %s", round, n, q)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateConvertsLegacyTimes(t *testing.T) {
	path := copyFixture(t)
	w, err := OpenWriter(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Fixture: created_at "2026-03-29 17:37:40", observers.first_seen "2026-03-20T09:06:21.535Z".
	if got := queryString(t, w.DB(), "SELECT created_at FROM transmissions WHERE id = 1"); got != "2026-03-29T17:37:40Z" {
		t.Errorf("created_at = %q, want 2026-03-29T17:37:40Z", got)
	}
	if got := queryString(t, w.DB(), "SELECT first_seen FROM observers WHERE id = 'D5EF2ED77CEABCB22082F8794D5F9D89F2257E70533863E924DEBE6EBDDA312A'"); got != "2026-03-20T09:06:21Z" {
		t.Errorf("observer first_seen = %q, want 2026-03-20T09:06:21Z", got)
	}
}

func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// Empty database: behind, naming what is missing.
	empty := filepath.Join(dir, "empty.db")
	raw, err := Open(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	raw.Close()
	r, err := OpenReader(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSchema(ctx, r)
	r.Close()
	if !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "transmissions") {
		t.Fatalf("empty db: err = %v, want ErrSchemaBehind naming transmissions", err)
	}

	// Unmigrated legacy database: behind, naming our migrations.
	legacy := copyFixture(t)
	r, err = OpenReader(ctx, legacy)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSchema(ctx, r)
	r.Close()
	if !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "_migrations") {
		t.Fatalf("legacy db: err = %v, want ErrSchemaBehind naming _migrations", err)
	}

	// Migrated, then one migration of ours missing: behind, naming it.
	w := mustOpen(t, nil)
	if _, err := w.DB().Exec("DELETE FROM _migrations WHERE name = 'rfc3339_times_v1'"); err != nil {
		t.Fatal(err)
	}
	err = CheckSchema(ctx, w.DB())
	if !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "rfc3339_times_v1") {
		t.Fatalf("missing migration: err = %v, want ErrSchemaBehind naming rfc3339_times_v1", err)
	}
	// Legacy names of the original are known, not "newer".
	if _, err := w.DB().Exec("INSERT INTO _migrations (name) VALUES ('rfc3339_times_v1'), ('scope_name_v1')"); err != nil {
		t.Fatal(err)
	}
	if err := CheckSchema(ctx, w.DB()); err != nil {
		t.Fatalf("with legacy names: %v", err)
	}
	// A name from the future: newer, and the writer refuses it too.
	if _, err := w.DB().Exec("INSERT INTO _migrations (name) VALUES ('from_the_future_v9')"); err != nil {
		t.Fatal(err)
	}
	err = CheckSchema(ctx, w.DB())
	if !errors.Is(err, ErrSchemaNewer) || !strings.Contains(err.Error(), "from_the_future_v9") {
		t.Fatalf("future migration: err = %v, want ErrSchemaNewer naming it", err)
	}
	if err := Migrate(ctx, w.DB(), nil); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("Migrate on newer db: err = %v, want ErrSchemaNewer", err)
	}
}

func TestMigrateRemovesDuplicateObservationsBeforeUniqueIndex(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t)
	// Make the legacy database hold an exact duplicate observation.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO observations (transmission_id, observer_idx, direction, path_json, timestamp)
SELECT transmission_id, observer_idx, direction, path_json, timestamp + 1 FROM observations WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	n := queryInt(t, raw, "SELECT count(*) FROM observations")
	distinct := queryInt(t, raw, `SELECT count(*) FROM (SELECT 1 FROM observations WHERE observer_idx IS NOT NULL
GROUP BY transmission_id, observer_idx, COALESCE(path_json, ''))`) +
		queryInt(t, raw, "SELECT count(*) FROM observations WHERE observer_idx IS NULL")
	raw.Close()
	if distinct >= n {
		t.Fatalf("setup: no duplicates (%d distinct of %d)", distinct, n)
	}

	w, err := OpenWriter(ctx, path, Options{})
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	defer w.Close()
	if got := queryInt(t, w.DB(), "SELECT count(*) FROM observations"); got != distinct {
		t.Errorf("observations = %d, want %d (duplicates removed)", got, distinct)
	}
	if got := queryInt(t, w.DB(), "SELECT count(*) FROM observations WHERE id = 1"); got != 1 {
		t.Errorf("the first observation must be the one kept")
	}
}

func TestWaitForSchemaWaitsForTheIngestor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	raw, err := Open(ctx, path) // the file exists, nothing migrated yet
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Behind for the whole wait: ErrSchemaBehind after maxWait.
	if err := WaitForSchema(ctx, r, 5*time.Millisecond, 20*time.Millisecond, nil); !errors.Is(err, ErrSchemaBehind) {
		t.Fatalf("WaitForSchema on an empty db = %v, want ErrSchemaBehind", err)
	}
	// The ingestor migrates while the server waits: success.
	done := make(chan error, 1)
	go func() { done <- WaitForSchema(ctx, r, 5*time.Millisecond, time.Minute, nil) }()
	w, err := NewWriter(ctx, raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := <-done; err != nil {
		t.Fatalf("WaitForSchema after migration = %v", err)
	}
	// A newer schema is refused at once, without waiting.
	if _, err := w.DB().Exec("INSERT INTO _migrations (name) VALUES ('zz_future_v1')"); err != nil {
		t.Fatal(err)
	}
	// (Returning at all proves it did not wait: the retry interval is an hour.)
	if err := WaitForSchema(ctx, r, time.Hour, time.Hour, nil); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("WaitForSchema on a newer db = %v, want ErrSchemaNewer", err)
	}
	// A cancelled context ends the wait.
	if _, err := w.DB().Exec("DELETE FROM _migrations"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := WaitForSchema(cctx, r, time.Hour, time.Hour, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForSchema with cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestCheckSchemaNamesMissingColumn(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	if _, err := w.DB().Exec("DROP VIEW packets_v; DROP INDEX idx_tx_scope_name; ALTER TABLE transmissions DROP COLUMN scope_name"); err != nil {
		t.Fatal(err)
	}
	if err := CheckSchema(ctx, w.DB()); !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "transmissions.scope_name") {
		t.Fatalf("CheckSchema = %v, want ErrSchemaBehind naming transmissions.scope_name", err)
	}
}

func TestObserverIdxNeverReused(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t, nil)
	if _, err := w.WriteBatch(ctx, Batch{Observers: []ObserverUpsert{{ID: "A", Seen: t0}, {ID: "B", Seen: t0}}}); err != nil {
		t.Fatal(err)
	}
	old := queryInt(t, w.DB(), "SELECT idx FROM observers WHERE id = 'B'")
	if _, err := w.DB().Exec("DELETE FROM observers WHERE id = 'B'"); err != nil { // an operator cleaning up by hand
		t.Fatal(err)
	}
	if _, err := w.WriteBatch(ctx, Batch{Observers: []ObserverUpsert{{ID: "C", Seen: t0}}}); err != nil {
		t.Fatal(err)
	}
	if got := queryInt(t, w.DB(), "SELECT idx FROM observers WHERE id = 'C'"); got <= old {
		t.Errorf("new observer got idx %d, want > %d (never reuse)", got, old)
	}
}
