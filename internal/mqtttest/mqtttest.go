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
	bin  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
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
	b := &Broker{Dir: t.TempDir()}
	t.Cleanup(b.Stop)
	// The port is free when chosen but another test process may bind it
	// before Mosquitto does; Mosquitto then exits, and we try another port.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if lastErr = b.start(t, bin); lastErr == nil {
			return b
		}
	}
	logText, _ := os.ReadFile(filepath.Join(b.Dir, "mosquitto.log"))
	t.Fatalf("start mosquitto: %v; log:\n%s", lastErr, logText)
	return nil
}

// start runs one Mosquitto on a fresh free port and waits until it listens.
func (b *Broker) start(t testing.TB, bin string) error {
	t.Helper()
	b.Port = freePort(t)
	b.URL = fmt.Sprintf("tcp://127.0.0.1:%d", b.Port)
	conf := filepath.Join(b.Dir, "mosquitto.conf")
	text := fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
upgrade_outgoing_qos true
log_dest file %s/mosquitto.log
`, b.Port, b.Dir, b.Dir)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatalf("write mosquitto config: %v", err)
	}
	b.bin = bin
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	return b.wait(cmd)
}

// wait tracks cmd as the broker process and waits until it listens.
func (b *Broker) wait(cmd *exec.Cmd) error {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	b.cmd, b.done = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			// Exited: most likely the port was taken meanwhile. Whatever
			// answers on it now is not our broker.
			return fmt.Errorf("mosquitto exited before listening on port %d", b.Port)
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Stop()
	return fmt.Errorf("mosquitto did not listen on port %d within 10s", b.Port)
}

// Stop terminates the broker and waits for it; calling it twice is harmless.
func (b *Broker) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.done
	b.cmd = nil
}

// Restart starts the broker again on the same port with the same config
// and persistence directory, as after an outage; call Stop first. It fails
// the test if the broker does not listen within 10 s.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	if b.cmd != nil {
		t.Fatal("mqtttest: Restart of a running broker (call Stop first)")
	}
	cmd := exec.Command(b.bin, "-c", filepath.Join(b.Dir, "mosquitto.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("restart mosquitto: %v", err)
	}
	if err := b.wait(cmd); err != nil {
		t.Fatalf("restart mosquitto: %v", err)
	}
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
