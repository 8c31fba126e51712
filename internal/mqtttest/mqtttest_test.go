package mqtttest

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// TestStartListensAndStopCloses checks the broker accepts TCP connections
// on its advertised port and that Stop ends the process (twice is harmless).
func TestStartListensAndStopCloses(t *testing.T) {
	b := Start(t)
	if b.URL != fmt.Sprintf("tcp://127.0.0.1:%d", b.Port) {
		t.Fatalf("URL %q does not match port %d", b.URL, b.Port)
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), 2*time.Second)
	if err != nil {
		t.Fatalf("dial broker: %v", err)
	}
	c.Close()
	done := b.done
	b.Stop()
	b.Stop()
	select {
	case <-done:
	default:
		t.Fatal("Stop returned but the mosquitto process is still running")
	}
}
