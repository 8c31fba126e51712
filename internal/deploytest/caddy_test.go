package deploytest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// adaptCaddyfile renders docker/Caddyfile to Caddy's JSON with env applied.
func adaptCaddyfile(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command("caddy", "adapt", "--adapter", "caddyfile", "--config", filepath.Join(repoRoot, "docker", "Caddyfile"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt docker/Caddyfile (%v): %v", env, err)
	}
	return string(out)
}

func TestCaddyfileServesHTTPByDefaultAndHTTPSForADomain(t *testing.T) {
	plain := adaptCaddyfile(t)
	for _, want := range []string{`"listen":[":80"]`, `"dial":"127.0.0.1:3000"`, `"admin":{"disabled":true}`, `"handler":"encode"`} {
		if !strings.Contains(plain, want) {
			t.Errorf("default Caddyfile: want %s in\n%s", want, plain)
		}
	}
	// What the entrypoint exports for CORESCOPE_DOMAIN=mesh.example.org.
	tls := adaptCaddyfile(t, "CORESCOPE_SITE_ADDRESS=mesh.example.org", "CORESCOPE_SERVER_PORT=3000")
	for _, want := range []string{`"listen":[":443"]`, `"host":["mesh.example.org"]`} {
		if !strings.Contains(tls, want) {
			t.Errorf("domain Caddyfile: want %s (automatic HTTPS) in\n%s", want, tls)
		}
	}
}

// assertCompressed fetches url with Accept-Encoding: gzip (the transport then
// leaves the body alone) and checks that Caddy answered gzip-compressed JSON
// smaller than its decoded form.
func assertCompressed(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET %s with Accept-Encoding: gzip: status %d, Content-Encoding %q (want gzip)",
			url, resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("GET %s: not gzip: %v", url, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("GET %s: gunzip: %v", url, err)
	}
	if !json.Valid(plain) || len(raw) >= len(plain) {
		t.Fatalf("GET %s: %d compressed bytes for %d decoded (valid JSON %v)", url, len(raw), len(plain), json.Valid(plain))
	}
	t.Logf("GET %s through Caddy: %d bytes gzip for %d bytes JSON", url, len(raw), len(plain))
}
