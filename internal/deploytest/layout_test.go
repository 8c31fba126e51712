package deploytest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
)

// stack is one native run of the container layout: docker/entrypoint.sh →
// supervisord → mosquitto, ingestor, server, caddy.
type stack struct {
	t        *testing.T
	env      []string
	data     string
	run      string
	httpPort int // Caddy, the only port a browser would use
	mqttURL  string
	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan error
}

func (s *stack) base() string { return fmt.Sprintf("http://127.0.0.1:%d", s.httpPort) }

// startStack runs the repository's entrypoint with the container paths and
// ports overridden through its environment, as the Dockerfile's ENV would.
func startStack(t *testing.T, extraEnv ...string) *stack {
	t.Helper()
	return startStackWithDotEnv(t, "", extraEnv...)
}

// startStackWithDotEnv is startStack with dotenv written to <data>/.env
// first (the settings file `manage.sh setup` writes for the container).
func startStackWithDotEnv(t *testing.T, dotenv string, extraEnv ...string) *stack {
	t.Helper()
	for _, bin := range []string{"supervisord", "supervisorctl", "caddy"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (apt-get install supervisor caddy; ./manage.sh test installs them): %v", bin, err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	tmp := t.TempDir()
	// supervisord's unix socket lives in the run dir: keep its path short
	// (sun_path is ~107 bytes; t.TempDir embeds the long test name).
	run, err := os.MkdirTemp("", "cs-run-")
	if err != nil {
		t.Fatalf("run dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	s := &stack{
		t:        t,
		data:     filepath.Join(tmp, "data"),
		run:      run,
		httpPort: freePort(t),
		out:      &syncBuffer{},
		done:     make(chan error, 1),
	}
	mqttPort := freePort(t)
	s.mqttURL = fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)
	s.env = []string{
		"CORESCOPE_APP=" + binDir,
		"CORESCOPE_DATA=" + s.data,
		"CORESCOPE_RUN=" + s.run,
		"CORESCOPE_DOCKER=" + filepath.Join(repoRoot, "docker"),
		"CORESCOPE_CADDYFILE=" + filepath.Join(repoRoot, "docker", "Caddyfile"),
		fmt.Sprintf("CORESCOPE_HTTP_PORT=%d", s.httpPort),
		fmt.Sprintf("CORESCOPE_HTTPS_PORT=%d", freePort(t)),
		fmt.Sprintf("CORESCOPE_MQTT_PORT=%d", mqttPort),
		"CORESCOPE_MQTT_BIND=127.0.0.1",
		fmt.Sprintf("CORESCOPE_SERVER_PORT=%d", freePort(t)),
		"CORESCOPE_USER=" + u.Username,
		"CORESCOPE_SUPERVISORD_USER=" + u.Username,
		"XDG_DATA_HOME=" + filepath.Join(tmp, "xdg"),
		"PATH=" + os.Getenv("PATH") + ":/usr/sbin:/usr/bin",
		"HOME=" + tmp,
	}
	s.env = append(s.env, extraEnv...)
	if dotenv != "" {
		if err := os.MkdirAll(s.data, 0o755); err != nil {
			t.Fatalf("data dir: %v", err)
		}
		if err := os.WriteFile(filepath.Join(s.data, ".env"), []byte(dotenv), 0o600); err != nil {
			t.Fatalf("write .env: %v", err)
		}
	}
	s.cmd = exec.Command("bash", filepath.Join(repoRoot, "docker", "entrypoint.sh"))
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	// Own process group: if supervisord ever leaves a child behind, the
	// cleanup can still end everything this test started.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start entrypoint: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(s.stop)
	return s
}

// stop sends supervisord SIGTERM (what `docker stop` does) and waits for
// it to stop its programs.
func (s *stack) stop() {
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(45 * time.Second):
		s.t.Errorf("supervisord did not exit within 45 s of SIGTERM; killing its process group")
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-s.done
	}
	if s.t.Failed() {
		s.t.Logf("container log (last 60 lines):\n%s", tail(s.out.String(), 60))
	}
}

func (s *stack) supervisorctl(args ...string) (string, error) {
	cmd := exec.Command("supervisorctl", append([]string{"-c", filepath.Join(repoRoot, "docker", "supervisord.conf")}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *stack) stats() (apiStats, error) {
	var st apiStats
	err := getJSON(s.base()+"/api/stats", &st)
	return st, err
}

// publish sends msgs to the stack's Mosquitto and returns their distinct
// transmission hashes.
func (s *stack) publish(msgs []meshsim.Message) map[string]bool {
	s.t.Helper()
	return s.publishTo(s.mqttURL, msgs)
}

func (s *stack) publishTo(url string, msgs []meshsim.Message) map[string]bool {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := meshsim.Publish(ctx, url, msgs, 0); err != nil {
		s.t.Fatalf("publish %d messages to %s: %v", len(msgs), s.mqttURL, err)
	}
	hashes := map[string]bool{}
	for _, m := range msgs {
		if m.Hash != "" {
			hashes[m.Hash] = true
		}
	}
	return hashes
}

// waitStored waits until every hash in want is in the database and the
// server (through Caddy) reports at least that many transmissions.
func (s *stack) waitStored(want map[string]bool, what string) {
	s.t.Helper()
	db := filepath.Join(s.data, "meshcore.db")
	eventually(s.t, 90*time.Second, what, func() error {
		got, err := dbHashes(db)
		if err != nil {
			return err
		}
		if n, sample := missing(want, got); n > 0 {
			return fmt.Errorf("%d of %d transmissions not in the database, e.g. %v", n, len(want), sample)
		}
		st, err := s.stats()
		if err != nil {
			return err
		}
		if st.TotalTransmissions < len(want) {
			return fmt.Errorf("server reports %d transmissions, want ≥ %d", st.TotalTransmissions, len(want))
		}
		return nil
	})
}

func TestContainerLayoutServesThroughCaddyAndSurvivesIngestorRestart(t *testing.T) {
	s := startStack(t)

	// Through Caddy: HTTP first, then readiness.
	eventually(t, 90*time.Second, "server answers through Caddy", func() error {
		_, err := s.stats()
		return err
	})
	eventually(t, 60*time.Second, "/api/healthz ready through Caddy", func() error {
		var h struct {
			Ready bool `json:"ready"`
		}
		if err := getJSON(s.base()+"/api/healthz", &h); err != nil {
			return err
		}
		if !h.Ready {
			return fmt.Errorf("ready=false")
		}
		return nil
	})
	eventually(t, 30*time.Second, "supervisorctl status shows 4 programs RUNNING", func() error {
		out, err := s.supervisorctl("status")
		if err != nil || strings.Count(out, "RUNNING") != 4 {
			return fmt.Errorf("err %v:\n%s", err, out)
		}
		return nil
	})
	for _, prog := range []string{"mosquitto", "ingestor", "server", "caddy"} {
		if !strings.Contains(s.out.String(), "\n"+prog+" | ") {
			t.Errorf("container log has no line prefixed %q", prog+" | ")
		}
	}
	cfg, err := os.ReadFile(filepath.Join(s.data, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"apiKey"`) {
		t.Fatalf("entrypoint did not create config.json with an apiKey on first start: %v\n%s", err, cfg)
	}

	sim := meshsim.New(meshsim.Options{Seed: 7, Nodes: 60, Observers: 4, Duration: time.Hour})
	msgs := sim.Generate(400)
	half := len(msgs) / 2
	first := s.publish(msgs[:half])
	s.waitStored(first, "first batch stored and served")

	var nodes struct {
		Nodes []struct {
			PublicKey string `json:"public_key"`
		} `json:"nodes"`
	}
	if err := getJSON(s.base()+"/api/nodes?limit=5", &nodes); err != nil {
		t.Fatalf("GET /api/nodes through Caddy: %v", err)
	}
	if len(nodes.Nodes) == 0 {
		t.Fatalf("GET /api/nodes through Caddy: no nodes after %d transmissions", len(first))
	}
	// Caddy compresses large API answers (docker/Caddyfile `encode`).
	assertCompressed(t, s.base()+"/api/packets?limit=200")

	// The live feed through Caddy's WebSocket proxying, and the API: the
	// same check `./manage.sh test-image` runs against the container.
	runStackcheck(t, s.base(), s.mqttURL)

	// Restart without loss: stop the ingestor, publish while it is down
	// (Mosquitto queues for its persistent session), start it again.
	if out, err := s.supervisorctl("stop", "ingestor"); err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("supervisorctl stop ingestor: %v\n%s", err, out)
	}
	rest := msgs[half:]
	second := s.publish(rest)
	if out, err := s.supervisorctl("start", "ingestor"); err != nil || !strings.Contains(out, "started") {
		t.Fatalf("supervisorctl start ingestor: %v\n%s", err, out)
	}
	eventually(t, 30*time.Second, "ingestor RUNNING again", func() error {
		out, err := s.supervisorctl("status", "ingestor")
		if err != nil && !strings.Contains(out, "RUNNING") {
			return fmt.Errorf("%v: %s", err, out)
		}
		if !strings.Contains(out, "RUNNING") {
			return fmt.Errorf("status: %s", strings.TrimSpace(out))
		}
		return nil
	})
	all := map[string]bool{}
	for h := range first {
		all[h] = true
	}
	for h := range second {
		all[h] = true
	}
	s.waitStored(all, "everything published while the ingestor was stopped arrives after its restart")
}

// TestContainerLoginAndNoCaddy runs the layout with the two options
// operators change most: a broker login (no anonymous clients) and
// DISABLE_CADDY, where the server itself must take the HTTP port.
// TestContainerLoginAndNoCaddy takes its settings from <data>/.env, as
// `manage.sh setup` writes them: the file is parsed, not sourced, so a
// password with spaces, quotes and "$" arrives intact (CRLF tolerated).
func TestContainerLoginAndNoCaddy(t *testing.T) {
	const password = `s3cret pass$HOME"x`
	s := startStackWithDotEnv(t, "# written by setup\r\nMQTT_USERNAME=observer\r\nMQTT_PASSWORD="+password+"\r\nDISABLE_CADDY=\"true\"\r\n")
	eventually(t, 90*time.Second, "server answers on the HTTP port without Caddy", func() error {
		_, err := s.stats()
		return err
	})
	out, err := s.supervisorctl("status", "caddy")
	if strings.Contains(out, "RUNNING") {
		t.Fatalf("caddy runs although DISABLE_CADDY=true (err %v):\n%s", err, out)
	}

	sim := meshsim.New(meshsim.Options{Seed: 3, Nodes: 30, Observers: 3, Duration: time.Hour})
	msgs := sim.Generate(60)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := meshsim.Publish(ctx, s.mqttURL, msgs[:5], 0); err == nil {
		t.Fatalf("anonymous publish to the internal broker succeeded although a login is configured")
	}
	// The generated config.json carries the login, so the ingestor gets in.
	u, err := url.Parse(s.mqttURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("observer", password)
	authURL := u.String()
	want := s.publishTo(authURL, msgs)
	s.waitStored(want, "messages published with the login are stored")
}

// runStackcheck builds and runs internal/deploytest/stackcheck (one fresh
// packet published over MQTT must reach the WebSocket and the API).
func runStackcheck(t *testing.T, base, mqttURL string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stackcheck")
	build := exec.Command("go", "build", "-o", bin, "./internal/deploytest/stackcheck")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build stackcheck: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-base", base, "-mqtt", mqttURL, "-timeout", "60s").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stackcheck: OK") {
		t.Fatalf("stackcheck against %s: %v\n%s", base, err, out)
	}
	t.Logf("%s", out)
}
