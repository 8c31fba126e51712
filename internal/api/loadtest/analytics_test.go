package loadtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/ingesttest"
	"github.com/corescope/corescope/internal/meshsim"
	"github.com/corescope/corescope/internal/mqtttest"
)

// analyticsDefaults are the precomputed shapes (what the web app requests).
var analyticsDefaults = []string{
	"/api/analytics/roles", "/api/analytics/rf", "/api/analytics/topology", "/api/analytics/channels",
	"/api/analytics/distance", "/api/analytics/hash-sizes", "/api/analytics/hash-collisions",
	"/api/analytics/subpaths-bulk?groups=2-2:50,3-3:30,4-4:20,5-8:15",
	"/api/analytics/neighbor-graph", "/api/analytics/neighbor-graph?min_count=1&min_score=0",
	"/api/scope-stats", "/api/scope-stats?window=7d",
}

// TestLoadAnalytics measures the analytics routes on the reference workload
// (PERFORMANCE.md, Analytics): time until the first background pass has
// published every precomputed shape, RSS with every shape warm, p50/p95 at
// 50 concurrent requests for the precomputed shapes and for on-demand ones,
// and the server's CPU while 10 transmissions/s arrive through Mosquitto and
// the real ingestor, with the recomputer rebuilding every 60 s versus never
// (the difference is the recomputer's cost). Like TestLoad it runs only with
// CORESCOPE_LOAD=1 (and reuses CORESCOPE_LOAD_DB):
//
//	CORESCOPE_LOAD=1 CORESCOPE_LOAD_DB=/tmp/ref.db go test -run TestLoadAnalytics -v -timeout 60m ./internal/api/loadtest/
//
// CORESCOPE_LOAD_CPU_SECONDS sets the length of each CPU run (default 125).
func TestLoadAnalytics(t *testing.T) {
	if os.Getenv("CORESCOPE_LOAD") != "1" {
		t.Skip("load benchmark: set CORESCOPE_LOAD=1 (see package doc)")
	}
	ref := referenceDB(t)
	bin := buildServer(t)
	var report strings.Builder

	// 1. Warm-up, RSS and latency, on a copy nobody writes.
	srv := startServer(t, bin, copyDB(t, ref), 300)
	fmt.Fprintf(&report, "Full load %v; every precomputed shape published %v after start (first background pass %v).\n",
		srv.loaded.Round(time.Millisecond), srv.warm.Round(time.Millisecond), (srv.warm - srv.loaded).Round(time.Millisecond))
	// The first pass goes on with the node/observer analytics after the
	// mesh routes answer; the engine frees memory when a pass ends. Sample
	// RSS until it has been flat for 15 s (at most 90 s).
	var samples []string
	rss, last, flat := 0.0, 0.0, 0
	for i := 0; i < 18 && flat < 3; i++ {
		time.Sleep(5 * time.Second)
		rss, _ = procStatus(srv.cmd.Process.Pid)
		samples = append(samples, fmt.Sprintf("%.0f", rss))
		if rss > last-1 && rss < last+1 {
			flat++
		} else {
			flat = 0
		}
		last = rss
	}
	fmt.Fprintf(&report, "RSS with every precomputed shape warm, once the first pass (node/observer analytics included) has ended: %.0f MB (sampled every 5 s: %s MB).\n\n",
		rss, strings.Join(samples, ", "))
	keys := pickKeys(t, srv.client, srv.base)
	var hop struct {
		Subpaths []struct {
			RawHops []string `json:"rawHops"`
		} `json:"subpaths"`
	}
	getInto(t, srv.client, srv.base+"/api/analytics/subpaths?minLen=2&maxLen=2&limit=1", &hop)
	region := firstRegion(t, srv)
	onDemand := []string{
		"/api/analytics/rf?window=24h", "/api/analytics/topology?window=7d", "/api/analytics/channels?window=24h",
		"/api/analytics/hash-sizes?area=none", "/api/analytics/subpaths?minLen=2&maxLen=4&limit=50",
		"/api/analytics/neighbor-graph?min_count=3&min_score=0.05", "/api/analytics/neighbor-graph?role=repeater",
	}
	if region != "" {
		onDemand = append(onDemand, "/api/analytics/rf?region="+region, "/api/analytics/topology?region="+region)
	}
	if len(hop.Subpaths) > 0 {
		onDemand = append(onDemand, "/api/analytics/subpath-detail?hops="+strings.Join(hop.Subpaths[0].RawHops, ","))
	}
	fmt.Fprintf(&report, "| route | JSON bytes | first answer ms | p50 ms (c=50) | p95 ms (c=50) | server CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, group := range [][]string{analyticsDefaults, onDemand} {
		for _, p := range group {
			start := time.Now()
			resp, err := srv.client.Get(srv.base + p)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			first := time.Since(start)
			cpu0 := procCPU(srv.cmd.Process.Pid)
			r := hammer(t, srv.client, srv.base+p, 50, 500)
			cpu := procCPU(srv.cmd.Process.Pid) - cpu0
			fmt.Fprintf(&report, "| `%s` | %d | %.1f | %.1f | %.1f | %d |\n", shorten(p, keys), r.bytes,
				float64(first.Microseconds())/1000, r.p50, r.p95, cpu.Microseconds()/500)
		}
		fmt.Fprintf(&report, "| *on-demand shapes (first answer computes; the rest share or reuse it)* | | | | | |\n")
	}
	rssAfter, hwm := procStatus(srv.cmd.Process.Pid)
	fmt.Fprintf(&report, "\nRSS after the latency runs (on-demand shapes cached too) %.0f MB, peak %.0f MB.\n", rssAfter, hwm)
	srv.stop()

	// 2. Recomputer CPU while 10 transmissions/s arrive.
	secs := 125
	if v, err := strconv.Atoi(os.Getenv("CORESCOPE_LOAD_CPU_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	never := cpuWhileIngesting(t, bin, ref, 86400, secs)
	every := cpuWhileIngesting(t, bin, ref, 60, secs)
	fmt.Fprintf(&report, "\nServer CPU while 10 tx/s arrive (%d s each): recompute every 60 s %.2f%% of one core, never %.2f%% → recomputer %.2f%% (at the default 300 s cadence ≈ %.2f%%).\n",
		secs, every, never, every-never, (every-never)/5)
	t.Log("\n" + report.String())
	if out := os.Getenv("CORESCOPE_LOAD_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(report.String()), 0o644)
	}
}

type runningServer struct {
	cmd          *exec.Cmd
	base         string
	client       *http.Client
	loaded, warm time.Duration
	logs         *bytes.Buffer
}

func (s *runningServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// startServer runs the server binary on dbPath with the given analytics
// cadence (seconds) and waits until every precomputed shape answers 200.
func startServer(t *testing.T, bin, dbPath string, cadence int) *runningServer {
	t.Helper()
	dir := t.TempDir()
	conf := fmt.Sprintf(`{"compression": {"gzip": true}, "analytics": {"defaultIntervalSeconds": %d}, "neighborGraph": {"cacheRecomputeIntervalSeconds": %d}}`, cadence, cadence)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s := &runningServer{base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 2 * time.Minute}}
	s.cmd = exec.Command(bin, "-config-dir", dir, "-db", dbPath, "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	started := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	waitFor := func(path string) {
		for {
			resp, err := s.client.Get(s.base + path)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
			if time.Since(started) > 5*time.Minute {
				t.Fatalf("%s not ready after 5 min; logs:\n%s", path, s.logs.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("/api/healthz")
	s.loaded = time.Since(started)
	for _, p := range analyticsDefaults {
		waitFor(p)
	}
	s.warm = time.Since(started)
	return s
}

// copyDB copies a (closed) database into a temp dir so a run can write it.
func copyDB(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "meshcore.db")
	for _, sfx := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + sfx)
		if err != nil {
			if sfx != "" {
				continue
			}
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+sfx, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func firstRegion(t *testing.T, s *runningServer) string {
	var obs struct {
		Observers []struct {
			IATA string `json:"iata"`
		} `json:"observers"`
	}
	getInto(t, s.client, s.base+"/api/observers", &obs)
	for _, o := range obs.Observers {
		if o.IATA != "" {
			return o.IATA
		}
	}
	return ""
}

// cpuWhileIngesting starts the server on a fresh copy of ref with the given
// cadence, then publishes the reference mesh's next transmissions at 10/s
// through Mosquitto into a real ingestor writing that copy, and returns the
// server's CPU over secs seconds as a percentage of one core.
func cpuWhileIngesting(t *testing.T, bin, ref string, cadence, secs int) float64 {
	t.Helper()
	dbPath := copyDB(t, ref)
	srv := startServer(t, bin, dbPath, cadence)
	defer srv.stop()
	b := mqtttest.Start(t)
	ing := ingesttest.Start(t, b.URL, dbPath)
	defer ing.Stop()
	// The same mesh a day later: new transmissions through known nodes.
	sim := meshsim.New(meshsim.ReferenceOptions(1, time.Now().UTC().Add(24*time.Hour).Truncate(time.Hour)))
	// Each(n) yields n transmissions with all their observations (and
	// status messages): spread them evenly over secs seconds.
	const perSecond = 10
	var msgs []meshsim.Message
	_ = sim.Each(perSecond*secs, func(m meshsim.Message) error {
		msgs = append(msgs, m)
		return nil
	})
	per := (len(msgs) + secs - 1) / secs
	var batches [][]meshsim.Message
	for i := 0; i < len(msgs); i += per {
		batches = append(batches, msgs[i:min(i+per, len(msgs))])
	}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("analytics-load-pub"))
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(250)
	cpu0, start := procCPU(srv.cmd.Process.Pid), time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for _, batch := range batches {
		for _, m := range batch {
			c.Publish(m.Topic, 1, false, m.Payload)
		}
		<-tick.C
	}
	cpu, wall := procCPU(srv.cmd.Process.Pid)-cpu0, time.Since(start)
	return 100 * cpu.Seconds() / wall.Seconds()
}
