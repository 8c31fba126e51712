package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/meshcore"
	"github.com/corescope/corescope/internal/mqtttest"
)

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	err := run(ctx, args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelpForEveryCommand(t *testing.T) {
	out, _, err := runCmd(t, "--help")
	if err != nil || !strings.Contains(out, "meshsim generate") || !strings.Contains(out, "meshsim publish") {
		t.Fatalf("--help: err %v, output %q", err, out)
	}
	for _, c := range []string{"generate", "publish", "nodes"} {
		_, stderr, err := runCmd(t, c, "--help")
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "Usage: meshsim "+c) || !strings.Contains(stderr, "-seed") {
			t.Errorf("%s --help: err %v, output %q", c, err, stderr)
		}
	}
	if _, _, err := runCmd(t); !errors.Is(err, errUsage) {
		t.Errorf("no arguments: %v, want usage error", err)
	}
	if _, _, err := runCmd(t, "frobnicate"); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: %v, want usage error", err)
	}
}

func TestGenerateWritesTheSameFileForTheSameFlags(t *testing.T) {
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"generate", "--seed", "5", "--transmissions", "300", "--hours", "3", "--nodes", "60",
			"--observers", "4", "--end", "2026-02-01T12:00:00Z", "--out", out}
	}
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	for _, p := range []string{a, b} {
		if _, stderr, err := runCmd(t, args(p)...); err != nil {
			t.Fatalf("generate: %v\n%s", err, stderr)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) {
		t.Fatalf("outputs differ or are empty (%d vs %d bytes)", len(da), len(db))
	}
	// Every line is {topic, payload}; every packet decodes; times are in range.
	sc := bufio.NewScanner(bytes.NewReader(da))
	sc.Buffer(nil, 1<<20)
	lines, packets := 0, 0
	seen := map[string]bool{}
	for sc.Scan() {
		lines++
		var rec struct {
			Topic   string `json:"topic"`
			Payload struct {
				Raw       string `json:"raw"`
				Timestamp string `json:"timestamp"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		ts, err := time.Parse(time.RFC3339Nano, rec.Payload.Timestamp)
		if err != nil || ts.Before(time.Date(2026, 2, 1, 8, 59, 0, 0, time.UTC)) || ts.After(time.Date(2026, 2, 1, 12, 1, 0, 0, time.UTC)) {
			t.Fatalf("line %d: timestamp %q (%v) outside the 3 hours before --end", lines, rec.Payload.Timestamp, err)
		}
		if !strings.HasSuffix(rec.Topic, "/packets") {
			continue
		}
		packets++
		p, err := meshcore.DecodeHex(rec.Payload.Raw, meshcore.Options{})
		if err != nil {
			t.Fatalf("line %d: decode: %v", lines, err)
		}
		seen[p.Hash] = true
	}
	if packets < 300 || len(seen) < 300 {
		t.Fatalf("%d packet messages, %d distinct hashes for 300 transmissions", packets, len(seen))
	}
}

func TestGenerateRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"generate", "--hours", "-1"},
		{"generate", "--preset", "huge"},
		{"generate", "--end", "yesterday"},
		{"generate", "--nodes", "1"},
		{"generate", "--center", "north"},
		{"generate", "--bogus"},
		{"generate", "extra"},
		{"publish", "--transmissions", "1"}, // no --broker
	} {
		if _, _, err := runCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, "generate", "--transmissions", "1", "--out", filepath.Join(t.TempDir(), "no", "such", "dir.ndjson")); err == nil {
		t.Error("unwritable --out accepted")
	}
}

func TestNodesPrintsTheMesh(t *testing.T) {
	out, _, err := runCmd(t, "nodes", "--nodes", "30", "--observers", "3", "--center", "37.33,-121.89", "--iata", "sjc")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Nodes []struct {
			PubKey, Name, Role, IATA string
		} `json:"nodes"`
		Observers []struct{ ID, IATA string } `json:"observers"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("nodes output: %v", err)
	}
	if len(v.Nodes) != 30 || len(v.Observers) != 3 || v.Observers[0].IATA != "SJC" || len(v.Nodes[0].PubKey) != 64 {
		t.Fatalf("nodes output: %d nodes, %d observers %+v", len(v.Nodes), len(v.Observers), v.Observers)
	}
}

// collect subscribes to meshcore/# and counts what arrives.
func collect(t *testing.T, url string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var got []string
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("sub-%d", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe("meshcore/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		got = append(got, m.Topic()+" "+string(m.Payload()))
		mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func waitFor(t *testing.T, want int, get func() []string) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if g := get(); len(g) >= want {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("received %d of %d messages", len(get()), want)
	return nil
}

func TestPublishReplaysAGeneratedFile(t *testing.T) {
	b := mqtttest.Start(t)
	file := filepath.Join(t.TempDir(), "x.ndjson")
	if _, stderr, err := runCmd(t, "generate", "--transmissions", "100", "--nodes", "40", "--observers", "3",
		"--end", "2026-02-01T12:00:00Z", "--out", file); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	get := collect(t, b.URL)
	if _, stderr, err := runCmd(t, "publish", "--broker", b.URL, "--in", file); err != nil {
		t.Fatalf("publish: %v\n%s", err, stderr)
	}
	got := waitFor(t, len(lines), get)
	var first struct {
		Topic   string          `json:"topic"`
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal([]byte(lines[0]), &first)
	if got[0] != first.Topic+" "+string(first.Payload) {
		t.Fatalf("first message %q, want %q", got[0], first.Topic)
	}
}

func TestPublishLiveStopsAfterTheRequestedTransmissions(t *testing.T) {
	b := mqtttest.Start(t)
	get := collect(t, b.URL)
	// mqtt:// is how CoreScope configs spell brokers; it must work too.
	url := strings.Replace(b.URL, "tcp://", "mqtt://", 1)
	if _, stderr, err := runCmd(t, "publish", "--broker", url, "--rate", "500", "--transmissions", "8",
		"--nodes", "40", "--observers", "3"); err != nil {
		t.Fatalf("publish live: %v\n%s", err, stderr)
	}
	got := waitFor(t, 3+8, get) // a status per observer, then at least one observation per transmission
	status := 0
	for _, g := range got {
		if strings.Contains(strings.SplitN(g, " ", 2)[0], "/status") {
			status++
		}
	}
	if status < 3 {
		t.Fatalf("%d status messages, want one per observer", status)
	}
}

func TestPublishHistoryPreset(t *testing.T) {
	b := mqtttest.Start(t)
	get := collect(t, b.URL)
	if _, stderr, err := runCmd(t, "publish", "--broker", b.URL, "--history", "--transmissions", "50", "--hours", "1",
		"--nodes", "40", "--observers", "2"); err != nil {
		t.Fatalf("publish history: %v\n%s", err, stderr)
	}
	waitFor(t, 52, get)
}

func TestPublishLiveWithWarmupSendsHistoryFirst(t *testing.T) {
	b := mqtttest.Start(t)
	get := collect(t, b.URL)
	if _, stderr, err := runCmd(t, "publish", "--broker", b.URL, "--warmup", "20", "--rate", "500",
		"--transmissions", "3", "--nodes", "40", "--observers", "2"); err != nil {
		t.Fatalf("publish: %v\n%s", err, stderr)
	}
	got := waitFor(t, 2+20+2+3, get) // status, warm-up observations, status again, live observations
	var firstPacket struct {
		Timestamp string `json:"timestamp"`
	}
	for _, g := range got {
		topic, payload, _ := strings.Cut(g, " ")
		if strings.HasSuffix(topic, "/packets") {
			_ = json.Unmarshal([]byte(payload), &firstPacket)
			break
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, firstPacket.Timestamp)
	if err != nil || time.Since(ts) < 10*time.Minute {
		t.Fatalf("first warm-up packet at %q (%v): want history from the last --hours", firstPacket.Timestamp, err)
	}
}

func TestInterruptingALiveStreamIsANormalEnd(t *testing.T) {
	b := mqtttest.Start(t)
	get := collect(t, b.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Interrupt once traffic flows, like an operator pressing Ctrl-C.
		for len(get()) < 5 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	var out, errb bytes.Buffer
	err := run(ctx, []string{"publish", "--broker", b.URL, "--rate", "200", "--nodes", "30", "--observers", "2"}, &out, &errb)
	if err != nil {
		t.Fatalf("interrupted live publish: %v, want nil\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "msg=stopped") {
		t.Fatalf("no stop log line in %q", errb.String())
	}
}
