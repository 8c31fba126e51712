package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadAPIMisc measures GET /api/audio-lab/buckets and POST
// /api/paths/inspect on the reference workload: the first (cold) request
// and p50/p95 at 50 concurrent requests, with the response cache off so
// every request reaches the handler.
//
//	CORESCOPE_LOAD=1 CORESCOPE_LOAD_DB=/tmp/ref.db go test -run TestLoadAPIMisc -v -timeout 60m ./internal/api/loadtest/
func TestLoadAPIMisc(t *testing.T) {
	if os.Getenv("CORESCOPE_LOAD") != "1" {
		t.Skip("load benchmark: set CORESCOPE_LOAD=1 (see package doc)")
	}
	dbPath := referenceDB(t)
	bin := buildServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "-config-dir", dir, "-db", dbPath, "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-response-cache-ms", "0")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 2 * time.Minute}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		resp, err := client.Get(base + "/api/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Prefixes of a real three-hop path.
	var pk struct {
		Packets []struct {
			PathJSON string `json:"path_json"`
		} `json:"packets"`
	}
	getInto(t, client, base+"/api/packets?limit=2000", &pk)
	body := ""
	for _, p := range pk.Packets {
		var h []string
		if json.Unmarshal([]byte(p.PathJSON), &h) == nil && len(h) >= 3 {
			b, _ := json.Marshal(map[string][]string{"prefixes": h[:3]})
			body = string(b)
			break
		}
	}
	if body == "" {
		t.Fatal("no three-hop path in the data")
	}
	post := func() (*http.Response, error) {
		return client.Post(base+"/api/paths/inspect", "application/json", strings.NewReader(body))
	}
	var report strings.Builder
	fmt.Fprintf(&report, "| endpoint | bytes | first request ms | p50 ms (c=50) | p95 ms (c=50) |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, c := range []struct {
		label string
		do    func() (*http.Response, error)
	}{
		{"GET /api/audio-lab/buckets", func() (*http.Response, error) { return client.Get(base + "/api/audio-lab/buckets") }},
		{"POST /api/paths/inspect " + body, post},
	} {
		first := hammerDo(t, c.label, 1, 1, c.do)
		r := hammerDo(t, c.label, 50, 500, c.do)
		fmt.Fprintf(&report, "| `%s` | %d | %.1f | %.1f | %.1f |\n", c.label, r.bytes, first.p50, r.p50, r.p95)
	}
	t.Log("\n" + report.String())
}
