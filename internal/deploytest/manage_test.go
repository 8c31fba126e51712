package deploytest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestManageHelpListsEveryCommand(t *testing.T) {
	out, err := manage(t, nil, "help")
	if err != nil {
		t.Fatalf("./manage.sh help: %v\n%s", err, out)
	}
	for _, c := range []string{"setup", "start", "stop", "restart", "status", "logs", "backup", "restore",
		"update", "mqtt-test", "demo", "build", "test", "test-image", "help"} {
		if !strings.Contains(out, "\n  "+c+" ") && !strings.Contains(out, "\n  "+c+"\n") {
			t.Errorf("help does not list %q:\n%s", c, out)
		}
	}
	out, err = manage(t, nil, "no-such-command")
	if err == nil || !strings.Contains(out, "unknown command: no-such-command") {
		t.Errorf("unknown command: want a failure naming it, got err=%v:\n%s", err, out)
	}
}

func TestManageFailsClearlyWithoutConfig(t *testing.T) {
	env := []string{"CORESCOPE_DATA_DIR=" + t.TempDir()}
	out, err := manage(t, env, "start")
	if err == nil || !strings.Contains(out, "run ./manage.sh setup first") {
		t.Fatalf("start without config.json: want a hint to run setup, got err=%v:\n%s", err, out)
	}
	out, err = manage(t, env, "backup")
	if err == nil || !strings.Contains(out, "no database at") {
		t.Fatalf("backup without a database: want a clear error, got err=%v:\n%s", err, out)
	}
	out, err = manage(t, env, "restore")
	if err == nil || !strings.Contains(out, "usage: ./manage.sh restore") {
		t.Fatalf("restore without an argument: want usage, got err=%v:\n%s", err, out)
	}
}

// setupConfig is the part of config.json that setup writes.
type setupConfig struct {
	DBPath         string `json:"dbPath"`
	APIKey         string `json:"apiKey"`
	EmbeddedBroker string `json:"embeddedBroker"`
	MQTTSources    []struct {
		Name     string   `json:"name"`
		Broker   string   `json:"broker"`
		Topics   []string `json:"topics"`
		Username string   `json:"username"`
		Password string   `json:"password"`
	} `json:"mqttSources"`
}

func TestSetupNonInteractiveWritesWorkingConfig(t *testing.T) {
	// setup writes ./.env next to manage.sh, so run a copy (with the parts
	// it sources from docker/) in a temp dir.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"manage.sh", "docker/manage-setup.sh", "docker/manage-demo.sh", "docker/manage-test-image.sh"} {
		script, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), script, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) (string, error) {
		cmd := exec.Command("bash", append([]string{filepath.Join(dir, "manage.sh")}, args...)...)
		cmd.Env = append(os.Environ(), "CORESCOPE_MODE=native")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("setup", "--non-interactive", "--data-dir", data, "--http-port", "3999", "--mqtt-port", "18999",
		"--mqtt-source", `remote=mqtts://alice:pa"ss@broker.example.org:8883`)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(data, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg setupConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("config.json is not valid JSON: %v\n%s", err, raw)
	}
	if len(cfg.APIKey) < 32 {
		t.Errorf("apiKey %q: want a generated key of ≥ 32 characters", cfg.APIKey)
	}
	if cfg.EmbeddedBroker != "0.0.0.0:18999" {
		t.Errorf("embeddedBroker = %q, want 0.0.0.0:18999", cfg.EmbeddedBroker)
	}
	if len(cfg.MQTTSources) != 2 {
		t.Fatalf("mqttSources: want local + remote, got %+v", cfg.MQTTSources)
	}
	r := cfg.MQTTSources[1]
	if r.Name != "remote" || r.Broker != "mqtts://broker.example.org:8883" || r.Username != "alice" || r.Password != `pa"ss` {
		t.Errorf("remote source = %+v; want credentials split out of the URL", r)
	}
	if info, err := os.Stat(filepath.Join(data, "config.json")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config.json holds secrets: want mode 0600, got %v (%v)", info.Mode().Perm(), err)
	}
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil || !strings.Contains(string(env), "CORESCOPE_DATA_DIR="+data) || !strings.Contains(string(env), "CORESCOPE_HTTP_PORT=3999") {
		t.Errorf(".env = %q (%v); want the data dir and port", env, err)
	}

	// A second run keeps the existing config (and its API key).
	if out, err := run("setup", "--non-interactive"); err != nil || !strings.Contains(out, "keeping the existing") {
		t.Fatalf("second setup: %v\n%s", err, out)
	}
	again, _ := os.ReadFile(filepath.Join(data, "config.json"))
	if string(again) != string(raw) {
		t.Errorf("second setup rewrote config.json without --force")
	}
	if out, err := run("setup", "--non-interactive", "--api-key", "short"); err == nil || !strings.Contains(out, "at least 16") {
		t.Errorf("weak --api-key: want a refusal, got err=%v:\n%s", err, out)
	}
}

func TestEntrypointHelpAndMissingBinaries(t *testing.T) {
	ep := filepath.Join(repoRoot, "docker", "entrypoint.sh")
	out, err := exec.Command("bash", ep, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DISABLE_CADDY") {
		t.Fatalf("entrypoint --help: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", ep)
	cmd.Env = append(os.Environ(), "CORESCOPE_APP="+t.TempDir(), "CORESCOPE_DATA="+t.TempDir(), "CORESCOPE_RUN="+t.TempDir())
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "corescope-ingestor is missing") {
		t.Fatalf("entrypoint without binaries: want a clear error, got err=%v:\n%s", err, out)
	}
}

// TestDemoRefusesToWipeAForeignDirectory: the demo deletes its directory on
// every start, so it must refuse one that is not an earlier demo's.
func TestDemoRefusesToWipeAForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := manage(t, []string{"DEMO_DIR=" + dir, "CORESCOPE_SKIP_BUILD=1",
		fmt.Sprintf("DEMO_HTTP_PORT=%d", freePort(t)), fmt.Sprintf("DEMO_MQTT_PORT=%d", freePort(t))}, "demo")
	if err == nil || !strings.Contains(out, "refusing to delete it") {
		t.Fatalf("demo in a foreign non-empty DEMO_DIR: err=%v, want a refusal:\n%s", err, out)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "keep me" {
		t.Fatalf("demo touched %s: %q, %v", precious, b, err)
	}
}

// TestTestImageSaysWhenNoEngineAnswers: where no Docker engine answers,
// `./manage.sh test-image` says so and fails (a stub docker whose `info`
// fails stands in for a machine without an engine, so the result does not
// depend on the machine running the test).
func TestTestImageSaysWhenNoEngineAnswers(t *testing.T) {
	stub := t.TempDir()
	script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(stub, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := manage(t, []string{"PATH=" + stub + ":" + os.Getenv("PATH")}, "test-image")
	if err == nil || !strings.Contains(out, "no Docker engine answers") {
		t.Fatalf("test-image without an engine: want a non-zero exit naming the problem, got err=%v:\n%s", err, out)
	}
	if strings.Contains(out, "building image") {
		t.Errorf("test-image tried to build without an engine:\n%s", out)
	}
}
