// Package mqtttest starts a real Mosquitto broker for tests. It never mocks:
// when the mosquitto binary is missing the test fails with an install hint,
// because CI (.ci/run) installs it and a silent skip would hide a gap.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Broker is a running Mosquitto process owned by one test.
type Broker struct {
	// URL is the broker address in paho form, e.g. "tcp://127.0.0.1:41883".
	URL  string
	Port int
	Dir  string // config, persistence and log directory
	cmd  *exec.Cmd
	conf string
}

// Start launches mosquitto on a free loopback port with persistence in a
// temporary directory and limits large enough for at-least-once tests
// (persistent sessions keep every queued QoS 1 message). The broker is
// stopped when the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, statErr := os.Stat(p); statErr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		t.Fatalf("mosquitto not installed (apt-get install mosquitto; .ci/run does this): %v", err)
	}
	dir := t.TempDir()
	b := &Broker{Dir: dir, Port: freePort(t)}
	b.URL = fmt.Sprintf("tcp://127.0.0.1:%d", b.Port)
	b.conf = filepath.Join(dir, "mosquitto.conf")
	conf := fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
upgrade_outgoing_qos true
log_dest file %s/mosquitto.log
`, b.Port, dir, dir)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		t.Fatalf("write mosquitto config: %v", err)
	}
	b.start(t, bin)
	t.Cleanup(b.Stop)
	return b
}

func (b *Broker) start(t testing.TB, bin string) {
	t.Helper()
	b.cmd = exec.Command(bin, "-c", b.conf)
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(b.Dir, "mosquitto.log"))
	t.Fatalf("mosquitto did not listen on %d within 10s; log:\n%s", b.Port, log)
}

// Stop terminates the broker; calling it twice is harmless.
func (b *Broker) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	_, _ = b.cmd.Process.Wait()
	b.cmd = nil
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
