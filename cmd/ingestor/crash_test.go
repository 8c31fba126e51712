package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/db"
	"github.com/corescope/corescope/internal/ingest"
	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/mqtttest"
)

// buildIngestor compiles this command into dir.
func buildIngestor(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ingestor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// txtMsg returns a distinct, valid zero-hop DIRECT TXT_MSG packet for n.
func txtMsg(n int) string {
	b := []byte{0x0A, 0x00, byte(n), byte(n >> 8), 0xAB, 0xCD}
	ct := make([]byte, 16)
	binary.LittleEndian.PutUint64(ct, uint64(n)*0x9E3779B97F4A7C15)
	binary.LittleEndian.PutUint64(ct[8:], uint64(n))
	return strings.ToUpper(hex.EncodeToString(append(b, ct...)))
}

func streamMsgs(n, observers int) []ingesttest.Message {
	msgs := make([]ingesttest.Message, 0, n*observers)
	for i := range n {
		for o := range observers {
			obs := fmt.Sprintf("%02X", 0xC0+o) + strings.Repeat("11", 31)
			p, _ := json.Marshal(map[string]any{"origin": "obs" + obs[:2], "raw": txtMsg(i), "SNR": "5", "RSSI": "-90"})
			msgs = append(msgs, ingesttest.Message{Topic: "meshcore/SEA/" + obs + "/packets", Payload: p})
		}
	}
	return msgs
}

type proc struct {
	cmd *exec.Cmd
	log *os.File
}

func startIngestor(t *testing.T, bin, cfgPath, statsPath, logPath string) *proc {
	t.Helper()
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "CORESCOPE_INGESTOR_STATS=" + statsPath}
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ingestor: %v", err)
	}
	p := &proc{cmd: cmd, log: lf}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_, _ = p.cmd.Process.Wait()
		}
		lf.Close()
	})
	return p
}

func readStats(path string) (ingest.Stats, bool) {
	var st ingest.Stats
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

func waitFor(t *testing.T, what string, logPath string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("timed out waiting for %s; ingestor log:\n%s", what, tail(string(log), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func queryCount(t *testing.T, d *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestKill9LosesNothing runs the real binary against a real Mosquitto,
// kills it with SIGKILL in mid-stream, restarts it and checks that every
// published message is stored exactly once: acknowledged-after-commit
// messages are not lost, and redelivered ones are absorbed by the de-dup keys.
func TestKill9LosesNothing(t *testing.T) {
	dir := t.TempDir()
	bin := buildIngestor(t, dir)
	b := mqtttest.Start(t)
	dbPath := filepath.Join(dir, "data", "meshcore.db")
	statsPath := filepath.Join(dir, "stats.json")
	logPath := filepath.Join(dir, "ingestor.log")
	cfgPath := filepath.Join(dir, "config.json")
	cfg := fmt.Sprintf(`{"dbPath": %q, "mqttSources": [{"name": "crash", "broker": %q, "topics": ["meshcore/#"], "connectTimeoutSec": 20}],
"ingest": {"batchSize": 200, "batchDelayMs": 20}, "observerRateLimit": {"packetsPerSec": -1}}`, dbPath, b.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	const packets, observers = 3000, 2
	msgs := streamMsgs(packets, observers)

	p := startIngestor(t, bin, cfgPath, statsPath, logPath)
	waitFor(t, "first connection", logPath, func() bool {
		st, ok := readStats(statsPath)
		return ok && len(st.Sources) == 1 && st.Sources[0].Connected
	})

	var published atomic.Int64
	pubDone := make(chan error, 1)
	go func() {
		// Publish in paced chunks (≥ 3.5 s in all) so that even on a fast
		// machine the kill lands while messages are still flowing.
		for i := 0; i < len(msgs); i += 250 {
			end := min(i+250, len(msgs))
			if err := ingesttest.PublishErr(b.URL, msgs[i:end]); err != nil {
				pubDone <- err
				return
			}
			published.Store(int64(end))
			time.Sleep(150 * time.Millisecond)
		}
		pubDone <- nil
	}()

	waitFor(t, "a third of the stream to be acked", logPath, func() bool {
		st, ok := readStats(statsPath)
		return ok && st.Acked >= uint64(len(msgs)/3)
	})
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	_, _ = p.cmd.Process.Wait()
	before, _ := readStats(statsPath)
	t.Logf("killed after %d acked, %d published", before.Acked, published.Load())
	if err := <-pubDone; err != nil {
		t.Fatalf("publisher: %v", err)
	}
	if before.Acked >= uint64(len(msgs)) {
		t.Fatalf("the kill came after the whole stream was acked (%d); the test proves nothing", before.Acked)
	}

	_ = os.Remove(statsPath)
	p2 := startIngestor(t, bin, cfgPath, statsPath, logPath)
	rd, err := db.OpenReader(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	waitFor(t, "every observation stored", logPath, func() bool {
		var n int
		_ = rd.QueryRow("SELECT COUNT(*) FROM observations").Scan(&n)
		return n >= packets*observers
	})
	// Give redeliveries still in flight a moment to show up as (wrong) extra rows.
	time.Sleep(300 * time.Millisecond)
	if got := queryCount(t, rd, "SELECT COUNT(*) FROM transmissions"); got != packets {
		t.Errorf("transmissions = %d, want %d", got, packets)
	}
	if got := queryCount(t, rd, "SELECT COUNT(*) FROM observations"); got != packets*observers {
		t.Errorf("observations = %d, want %d", got, packets*observers)
	}

	// Graceful stop: SIGTERM flushes and exits 0.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.cmd.Wait(); err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("ingestor exit after SIGTERM: %v\n%s", err, tail(string(log), 2000))
	}
}
