package deploytest

import (
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
	for _, want := range []string{`"listen":[":80"]`, `"dial":"127.0.0.1:3000"`, `"admin":{"disabled":true}`} {
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
