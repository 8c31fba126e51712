package deploytest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

// nativeInstall is a data directory run by `./manage.sh start` in native
// mode against a test Mosquitto.
type nativeInstall struct {
	data string
	env  []string
	port int
}

func newNativeInstall(t *testing.T, brokerURL string) *nativeInstall {
	t.Helper()
	n := &nativeInstall{data: filepath.Join(t.TempDir(), "data"), port: freePort(t)}
	if err := os.MkdirAll(n.data, 0o755); err != nil {
		t.Fatal(err)
	}
	// No per-observer rate limit: the backup test keeps the ingestor busy
	// with 400 messages/s from 5 simulated observers (load, not a flood).
	cfg := fmt.Sprintf(`{"dbPath": %q, "mqttSources": [{"name": "test", "broker": %q, "topics": ["meshcore/#"]}],
		"observerRateLimit": {"packetsPerSec": -1}}`,
		filepath.Join(n.data, "meshcore.db"), brokerURL)
	if err := os.WriteFile(filepath.Join(n.data, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n.env = []string{
		"CORESCOPE_DATA_DIR=" + n.data,
		fmt.Sprintf("CORESCOPE_HTTP_PORT=%d", n.port),
		"CORESCOPE_ASSUME_YES=",
	}
	t.Cleanup(func() {
		if out, err := manage(t, n.env, "stop"); err != nil {
			t.Errorf("./manage.sh stop: %v\n%s", err, out)
		}
	})
	return n
}

func (n *nativeInstall) base() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }

func countRows(path string) (tx, obs int, err error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRow("SELECT count(*) FROM transmissions").Scan(&tx); err != nil {
		return 0, 0, fmt.Errorf("count transmissions in %s: %w", path, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM observations").Scan(&obs); err != nil {
		return 0, 0, fmt.Errorf("count observations in %s: %w", path, err)
	}
	return tx, obs, nil
}

func integrityCheck(path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var res string
	err = db.QueryRow("PRAGMA integrity_check").Scan(&res)
	return res, err
}

func TestBackupOfLiveDatabaseIsConsistentAndRestores(t *testing.T) {
	broker := mqtttest.Start(t)
	n := newNativeInstall(t, broker.URL)
	if out, err := manage(t, n.env, "start"); err != nil {
		t.Fatalf("./manage.sh start: %v\n%s", err, out)
	}

	// Keep the ingestor writing during the backup.
	sim := meshsim.New(meshsim.Options{Seed: 11, Nodes: 80, Observers: 5, Duration: 2 * time.Hour})
	msgs := sim.Generate(1500)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var pubErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		pubErr = meshsim.Publish(ctx, broker.URL, msgs, 400)
	}()
	db := filepath.Join(n.data, "meshcore.db")
	eventually(t, 60*time.Second, "ingestor has written rows", func() error {
		tx, _, err := countRows(db)
		if err != nil {
			return err
		}
		if tx < 50 {
			return fmt.Errorf("%d transmissions so far", tx)
		}
		return nil
	})

	// mqtt-test sees the traffic on the configured broker.
	out, err := manage(t, n.env, "mqtt-test", "--seconds", "2")
	if err != nil || !strings.Contains(out, "observer data is flowing") || !strings.Contains(out, "test  connected") {
		t.Errorf("./manage.sh mqtt-test while publishing (err %v):\n%s", err, out)
	}

	dest := filepath.Join(t.TempDir(), "backup")
	out, err = manage(t, n.env, "backup", dest)
	if err != nil {
		t.Fatalf("./manage.sh backup while ingesting: %v\n%s", err, out)
	}
	if !strings.Contains(out, "integrity ok") {
		t.Errorf("backup output does not report the integrity check:\n%s", out)
	}
	bk := filepath.Join(dest, "meshcore.db")
	if res, err := integrityCheck(bk); err != nil || res != "ok" {
		t.Fatalf("PRAGMA integrity_check on the backup = %q, %v; want ok", res, err)
	}
	bkTx, _, err := countRows(bk)
	if err != nil || bkTx == 0 {
		t.Fatalf("backup holds %d transmissions (%v); want > 0", bkTx, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "config.json")); err != nil {
		t.Errorf("backup lacks config.json: %v", err)
	}
	bkHashes, err := dbHashes(bk)
	if err != nil {
		t.Fatal(err)
	}

	wg.Wait()
	if pubErr != nil {
		t.Fatalf("publish: %v", pubErr)
	}
	want := map[string]bool{}
	for _, m := range msgs {
		if m.Hash != "" {
			want[m.Hash] = true
		}
	}
	eventually(t, 90*time.Second, "all published transmissions stored", func() error {
		got, err := dbHashes(db)
		if err != nil {
			return err
		}
		if k, sample := missing(want, got); k > 0 {
			return fmt.Errorf("%d missing, e.g. %v", k, sample)
		}
		return nil
	})
	fullTx, _, err := countRows(db)
	if err != nil {
		t.Fatal(err)
	}
	if bkTx >= fullTx {
		t.Fatalf("backup has %d transmissions, live database %d: the test needs writes after the backup to show the restore", bkTx, fullTx)
	}

	// A file that is not a database is refused and nothing changes.
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, just text"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = manage(t, n.env, "restore", junk, "--yes")
	if err == nil || !strings.Contains(out, "not a usable database") {
		t.Fatalf("restore of a junk file: want a refusal, got err=%v:\n%s", err, out)
	}
	if tx, _, err := countRows(db); err != nil || tx != fullTx {
		t.Fatalf("after the refused restore the live database has %d transmissions (%v), want %d", tx, err, fullTx)
	}

	out, err = manage(t, n.env, "restore", dest, "--yes")
	if err != nil {
		t.Fatalf("./manage.sh restore: %v\n%s", err, out)
	}
	olds, _ := filepath.Glob(filepath.Join(n.data, "meshcore.db.pre-restore-*"))
	var old string
	for _, p := range olds {
		if !strings.HasSuffix(p, "-wal") && !strings.HasSuffix(p, "-shm") {
			old = p
		}
	}
	if old == "" {
		t.Fatalf("restore did not keep the previous database (files: %v)\n%s", olds, out)
	}
	if tx, _, err := countRows(old); err != nil || tx != fullTx {
		t.Fatalf("kept database has %d transmissions (%v), want %d", tx, err, fullTx)
	}
	// The restored database is live again: the restarted server serves it.
	eventually(t, 60*time.Second, "restarted server serves the restored database", func() error {
		var st apiStats
		if err := getJSON(n.base()+"/api/stats", &st); err != nil {
			return err
		}
		if st.TotalTransmissions < bkTx || st.TotalTransmissions >= fullTx {
			return fmt.Errorf("server reports %d transmissions; want the backup's %d (live had %d)", st.TotalTransmissions, bkTx, fullTx)
		}
		return nil
	})
	got, err := dbHashes(db)
	if err != nil {
		t.Fatal(err)
	}
	if k, sample := missing(bkHashes, got); k > 0 {
		t.Fatalf("restored database lacks %d of the backup's transmissions, e.g. %v", k, sample)
	}

	out, err = manage(t, n.env, "status")
	if err != nil || !strings.Contains(out, "health:    ready") || !strings.Contains(out, "packets:") {
		t.Fatalf("./manage.sh status after restore (err %v):\n%s", err, out)
	}
}
