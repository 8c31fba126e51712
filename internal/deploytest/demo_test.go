package deploytest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoShowsLiveMeshInBrowser runs the README's `./manage.sh demo` with
// its ports moved by env, checks the API and a real Chromium see packets,
// nodes, decrypted channel chat and live traffic, then stops it with SIGINT
// (Ctrl+C) and checks everything it started has exited.
func TestDemoShowsLiveMeshInBrowser(t *testing.T) {
	pwDir := filepath.Join(repoRoot, "internal", "webtest", "browser", "node_modules", "playwright-core")
	if _, err := os.Stat(pwDir); err != nil {
		t.Fatalf("playwright-core not installed at %s (./manage.sh test runs npm ci there): %v", pwDir, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node not installed: %v", err)
	}
	httpPort, mqttPort := freePort(t), freePort(t)
	demoDir := filepath.Join(t.TempDir(), "demo")
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	cmd := exec.Command("bash", filepath.Join(repoRoot, "manage.sh"), "demo")
	cmd.Env = append(os.Environ(),
		"CORESCOPE_BIN_DIR="+binDir,
		"CORESCOPE_SKIP_BUILD=1", // TestMain built them with ./manage.sh build
		fmt.Sprintf("DEMO_HTTP_PORT=%d", httpPort),
		fmt.Sprintf("DEMO_MQTT_PORT=%d", mqttPort),
		"DEMO_DIR="+demoDir,
		"DEMO_HISTORY_TRANSMISSIONS=1500",
		"DEMO_RATE=4",
	)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ./manage.sh demo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", tail(out.String(), 40))
			for _, f := range []string{"ingestor.log", "server.log", "meshsim.log"} {
				b, _ := os.ReadFile(filepath.Join(demoDir, f))
				t.Logf("%s (tail):\n%s", f, tail(string(b), 15))
			}
		}
	}()

	eventually(t, 120*time.Second, "demo announces it is running", func() error {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("demo exited early: %v", err)
		default:
		}
		if !strings.Contains(out.String(), "demo is running") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	var first apiStats
	eventually(t, 60*time.Second, "demo history visible in /api/stats", func() error {
		if err := getJSON(base+"/api/stats", &first); err != nil {
			return err
		}
		if first.TotalTransmissions < 500 || first.TotalNodes == 0 || first.TotalObservers == 0 {
			return fmt.Errorf("stats %+v", first)
		}
		return nil
	})
	checkDemoHistory(t, filepath.Join(demoDir, "meshcore.db"))
	// Decrypted channel chat: the simulated mesh talks on Public and #test.
	eventually(t, 30*time.Second, "decrypted channels listed", func() error {
		var ch struct {
			Channels []struct {
				Name         string `json:"name"`
				MessageCount int    `json:"messageCount"`
			} `json:"channels"`
		}
		if err := getJSON(base+"/api/channels", &ch); err != nil {
			return err
		}
		for _, c := range ch.Channels {
			if (strings.EqualFold(c.Name, "public") || c.Name == "#test") && c.MessageCount > 0 {
				return nil
			}
		}
		return fmt.Errorf("no decrypted Public/#test messages in %+v", ch.Channels)
	})

	shots := filepath.Join(repoRoot, "internal", "webtest", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", filepath.Join(repoRoot, "internal", "deploytest", "demo_check.mjs"), base, shots)
	node.Env = append(os.Environ(), "PLAYWRIGHT_CORE="+pwDir, "CHROMIUM=/usr/bin/chromium")
	res, err := node.CombinedOutput()
	if err != nil {
		t.Fatalf("browser check failed: %v\n%s", err, res)
	}
	var found struct {
		PacketRows     int      `json:"packetRows"`
		MapMarkers     int      `json:"mapMarkers"`
		LiveAnimations int      `json:"liveAnimations"`
		Errors         []string `json:"errors"`
	}
	lines := strings.Split(strings.TrimSpace(string(res)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &found); err != nil {
		t.Fatalf("browser check output: %v\n%s", err, res)
	}
	t.Logf("browser saw %d packet rows, %d map markers, %d live animations", found.PacketRows, found.MapMarkers, found.LiveAnimations)
	// demo_check.mjs exits non-zero on any page/console error from our code;
	// this guards against a script that forgets to.
	if len(found.Errors) > 0 {
		t.Fatalf("browser errors: %v", found.Errors)
	}

	// Live traffic keeps arriving.
	eventually(t, 60*time.Second, "live traffic adds transmissions", func() error {
		var now apiStats
		if err := getJSON(base+"/api/stats", &now); err != nil {
			return err
		}
		if now.TotalTransmissions <= first.TotalTransmissions {
			return fmt.Errorf("still %d transmissions", now.TotalTransmissions)
		}
		return nil
	})

	// Ctrl+C: SIGINT to manage.sh stops all three processes.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("SIGINT: %v", err)
	}
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("demo exit after Ctrl+C: %v (want a clean exit)", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("demo still running 40 s after SIGINT")
	}
	if !strings.Contains(out.String(), "demo stopped") {
		t.Errorf("demo did not report stopping:\n%s", tail(out.String(), 10))
	}
	// Nothing the demo started may outlive it: the group is empty.
	if err := syscall.Kill(-cmd.Process.Pid, 0); err == nil {
		t.Errorf("processes of the demo's group still alive after Ctrl+C")
	}
	if c, err := (&httpClientNoRetry{}).get(base + "/api/stats"); err == nil {
		t.Errorf("server still answers after Ctrl+C (status %d)", c)
	}
}

// checkDemoHistory: the demo's history is 24 hours deep, imported with each
// message's own time (it used to land within one second, so "last hour"
// was everything). SQL over the demo's SQLite file.
func checkDemoHistory(t *testing.T, dbPath string) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	hourAgo := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var first, last string
	var total, lastHour int
	if err := d.QueryRow(`SELECT min(first_seen), max(first_seen), count(*), count(*) FILTER (WHERE first_seen >= ?)
		FROM transmissions`, hourAgo).Scan(&first, &last, &total, &lastHour); err != nil {
		t.Fatalf("demo history: %v", err)
	}
	f, err1 := time.Parse(time.RFC3339, first)
	l, err2 := time.Parse(time.RFC3339, last)
	if err1 != nil || err2 != nil || l.Sub(f) < 23*time.Hour {
		t.Errorf("demo history spans %s … %s, want about 24 h", first, last)
	}
	// The history's density follows a day curve: no hour holds a third of it.
	if lastHour*3 > total {
		t.Errorf("%d of %d transmissions are from the last hour: the history is not spread over the day", lastHour, total)
	}
	t.Logf("demo history: %d transmissions from %s to %s, %d in the last hour", total, first, last, lastHour)
}

// httpClientNoRetry does one short GET, for "is anything still listening".
type httpClientNoRetry struct{}

func (httpClientNoRetry) get(url string) (int, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
