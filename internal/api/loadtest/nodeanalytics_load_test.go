package loadtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoadNodeAnalytics measures the node and observer analytics routes on
// the reference workload: time from the store being ready to the first
// background pass, then p50/p95 at 50 concurrent requests per route, and a
// burst of on-demand node analytics for 50 different nodes at once.
//
//	CORESCOPE_LOAD=1 CORESCOPE_LOAD_DB=/tmp/ref.db go test -run TestLoadNodeAnalytics -v -timeout 60m ./internal/api/loadtest/
func TestLoadNodeAnalytics(t *testing.T) {
	if os.Getenv("CORESCOPE_LOAD") != "1" {
		t.Skip("load benchmark: set CORESCOPE_LOAD=1 (see package doc)")
	}
	dbPath := referenceDB(t)
	bin := buildServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"compression": {"gzip": true}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := []string{"-config-dir", dir, "-db", dbPath, "-addr", fmt.Sprintf("127.0.0.1:%d", port)}
	if os.Getenv("CORESCOPE_LOAD_CACHE") == "0" {
		args = append(args, "-response-cache-ms", "0")
	}
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 2 * time.Minute}
	waitStatus := func(path string) time.Duration {
		for {
			resp, err := client.Get(base + path)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return time.Since(started)
				}
			}
			if time.Since(started) > 10*time.Minute {
				t.Fatalf("%s not ready after 10 min; logs:\n%s", path, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	loaded := waitStatus("/api/healthz")
	keys := pickKeys(t, client, base)
	obsPath := "/api/observers/" + url.PathEscape(keys.observer) + "/analytics?days=7"
	var warm time.Duration
	for _, p := range []string{obsPath, "/api/observers/clock-skew", "/api/nodes/clock-skew", "/api/nodes/network-status"} {
		warm = max(warm, waitStatus(p))
	}
	t.Logf("store ready %v; first node/observer analytics pass published %v after start (%v after ready)",
		loaded.Round(time.Millisecond), warm.Round(time.Millisecond), (warm - loaded).Round(time.Millisecond))

	routes := []string{
		"/api/nodes/network-status", "/api/nodes/clock-skew", "/api/observers/clock-skew",
		obsPath, "/api/observers/" + url.PathEscape(keys.observer) + "/analytics?days=30",
		"/api/observers/" + url.PathEscape(keys.observer) + "/analytics?days=1",
		"/api/observers/" + url.PathEscape(keys.observer) + "/metrics",
		"/api/observers/metrics/summary",
		"/api/nodes/" + keys.node + "/analytics", "/api/nodes/" + keys.node + "/analytics?days=30",
		"/api/nodes/" + keys.node + "/battery", "/api/nodes/" + keys.node + "/clock-skew",
	}
	var report strings.Builder
	fmt.Fprintf(&report, "| endpoint | bytes | p50 ms (c=50) | p95 ms (c=50) | p50 ms (c=1) |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, p := range routes {
		one := hammer(t, client, base+p, 1, 20) // first: includes an on-demand build where there is one
		r := hammer(t, client, base+p, 50, 500)
		fmt.Fprintf(&report, "| `%s` | %d | %.1f | %.1f | %.2f |\n", shorten(p, keys), r.bytes, r.p50, r.p95, one.p50)
	}

	// On-demand burst: analytics of 50 different nodes requested at once
	// (each a cold computation, at most one per core at a time).
	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	getInto(t, client, base+"/api/nodes?limit=50&sortBy=packetCount", &nodes)
	lat := make([]float64, len(nodes.Nodes))
	var wg sync.WaitGroup
	for i, n := range nodes.Nodes {
		wg.Add(1)
		go func(i int, pk string) {
			defer wg.Done()
			s := time.Now()
			resp, err := client.Get(base + "/api/nodes/" + pk + "/analytics?days=14")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			lat[i] = float64(time.Since(s).Microseconds()) / 1000
		}(i, n.PublicKey)
	}
	wg.Wait()
	sort.Float64s(lat)
	fmt.Fprintf(&report, "\nCold node analytics for %d different nodes at once: p50 %.0f ms, p95 %.0f ms, max %.0f ms.\n",
		len(lat), lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1])
	t.Log("\n" + report.String())
	if out := os.Getenv("CORESCOPE_LOAD_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(report.String()), 0o644)
	}
}
