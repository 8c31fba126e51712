package deploytest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// binDir holds corescope-{server,ingestor,meshsim} built once by
// `./manage.sh build`, the command the Dockerfile runs too.
var binDir string

// repoRoot is the repository checkout (manage.sh, docker/).
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytest: repo root:", err)
		return 1
	}
	repoRoot = root
	// DEPLOYTEST_BIN_DIR reuses binaries built earlier (while iterating on
	// these tests); CI always builds them here with ./manage.sh build.
	if dir := os.Getenv("DEPLOYTEST_BIN_DIR"); dir != "" {
		binDir = dir
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "deploytest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytest: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	cmd := exec.Command("bash", filepath.Join(repoRoot, "manage.sh"), "build")
	cmd.Env = append(os.Environ(), "CORESCOPE_BIN_DIR="+binDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "deploytest: ./manage.sh build failed: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually polls cond every 250 ms until it returns nil or the deadline
// passes, then fails with the last error.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = cond(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// getJSON GETs url and decodes a 200 answer into v.
func getJSON(url string, v any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %.200s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decode: %w (%.200s)", url, err, body)
	}
	return nil
}

// apiStats is the part of /api/stats these tests read.
type apiStats struct {
	TotalPackets       int `json:"totalPackets"`
	TotalTransmissions int `json:"totalTransmissions"`
	TotalObservations  int `json:"totalObservations"`
	TotalNodes         int `json:"totalNodes"`
	TotalObservers     int `json:"totalObservers"`
}

// dbHashes returns the transmission hashes stored in the SQLite file at path
// (opened read-only next to the running ingestor).
func dbHashes(path string) (map[string]bool, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT hash FROM transmissions")
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", path, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out[h] = true
	}
	return out, rows.Err()
}

// missing lists the hashes of want that got lacks (at most 5, for messages).
func missing(want, got map[string]bool) (n int, sample []string) {
	for h := range want {
		if !got[h] {
			n++
			if len(sample) < 5 {
				sample = append(sample, h)
			}
		}
	}
	return n, sample
}

// syncBuffer is an io.Writer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tail returns the last n lines of s, for failure messages.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// manage runs ./manage.sh with extra environment and returns its combined
// output; it fails the test when the command fails and wantOK is set.
func manage(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(repoRoot, "manage.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "CORESCOPE_BIN_DIR="+binDir, "CORESCOPE_MODE=native")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	return string(out), err
}
